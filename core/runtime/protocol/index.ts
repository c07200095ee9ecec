// protocol/: the v1 wire contract (docs/protocol.md): message types and their codec, subjects and
// stream names, error codes, the handler API, control and presence shapes. Imports nothing of docctl.
export * from "./codec.ts";
export * from "./subjects.ts";
export * from "./errors.ts";
export * from "./types.ts";
export * from "./control.ts";
export * from "./handlers.ts";
