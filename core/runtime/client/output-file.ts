// A result's document written to a file: fetched from the object store when it did not ride inline.
import { mkdir, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { Objm } from "@nats-io/obj";
import type { NatsConnection } from "@nats-io/transport-node";
import type { ResultV1 } from "../protocol/codec.ts";

/** Fetch the document a result names and write it under `dir`; returns the path. */
export async function saveOutput(nc: NatsConnection, r: ResultV1, dir: string, taken = new Set<string>()): Promise<string> {
  const out = r.output!;
  let bytes = out.data;
  if (!bytes) {
    if (!out.bucket || !out.name) throw new Error(`the result of job ${r.id} names a document but neither carries it nor says where it is`);
    const os = await new Objm(nc).open(out.bucket);
    bytes = (await os.getBlob(out.name)) ?? undefined;
    if (!bytes) throw new Error(`the document ${out.name} of job ${r.id} is no longer in ${out.bucket} (expired?)`);
  }
  // Only a base name: a handler cannot make the submitter write outside the directory.
  let name = basename(out.filename ?? `${r.id}.bin`) || `${r.id}.bin`;
  // Two jobs of one run naming the same file: the later one is prefixed with its id, not overwritten.
  if (taken.has(name)) name = `${r.id}-${name}`;
  taken.add(name);
  const path = join(dir, name);
  // The directory is made when a write finds it missing (the first one, or after someone removed it),
  // not before every document: a mkdir per file was a tenth of a cold batch's submit CPU.
  await writeFile(path, bytes).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== "ENOENT") throw err;
    await mkdir(dir, { recursive: true });
    await writeFile(path, bytes!);
  });
  return path;
}
