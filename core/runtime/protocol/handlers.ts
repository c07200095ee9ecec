// Handlers known to the fleet (part of the v1 contract, docs/protocol.md): one JSON entry per job type in
// KV bucket DOCCTL_HANDLERS, written by workers when they start and by a manager told about handlers up front.
import type { PayloadSchema } from "./types.ts";
import { BUCKET_HANDLERS } from "./subjects.ts";

export { BUCKET_HANDLERS };

/** The JSON value under key `<handler>` in DOCCTL_HANDLERS. */
export interface HandlerInfoV1 {
  v: 1;
  /** the job type (a token, also the key) */
  name: string;
  /** one line saying what it does */
  description?: string;
  /** the JSON Schema its payload must pass */
  schema?: PayloadSchema;
  /** who wrote the entry: "worker" (it serves the handler) or "manager" (declared up front, name only until a worker starts) */
  source: "worker" | "manager";
  /** worker or manager id that wrote it */
  registered_by: string;
  /** ms since epoch of the write */
  updated_at: number;
}
