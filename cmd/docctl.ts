#!/usr/bin/env bun
// The docctl binary's entry. It imports nothing heavy before deciding whether to re-execute without
// JavaScriptCore's FTL tier (cmd/jit.ts): a static import of the CLI would load and run every module
// once in the process that is about to be replaced (~150 ms of CPU per `docctl submit`, paid twice).
import { reexecWithoutFtl } from "./jit.ts";

const argv = process.argv.slice(2);
reexecWithoutFtl(argv);
const { main } = await import("./main.ts");
process.exit(await main(argv));
