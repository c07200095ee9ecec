// saveOutput: a document that rode inline is written under the directory, which is made when missing
// (the first write, or after someone removed it mid-run), and two jobs naming one file do not clash.
import { expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { saveOutput } from "../../core/runtime/client/output-file.ts";
import type { ResultV1 } from "../../core/runtime/protocol/codec.ts";

const result = (id: string, text: string): ResultV1 => ({
  v: 1, id, batch: "b", handler: "pdf", ok: true, attempts: 1, worker: "w", started_at: 0, finished_at: 0,
  output: { size: text.length, sha256: "", content_type: "application/pdf", filename: "doc.pdf", data: new TextEncoder().encode(text) },
});
// inline documents never touch NATS
const nc = undefined as unknown as NatsConnection;

test("the directory is made on the first write and again after it was removed; a second doc.pdf is prefixed with its job id", async () => {
  const root = mkdtempSync(join(tmpdir(), "docctl-out-"));
  const dir = join(root, "a", "b");
  const taken = new Set<string>();
  try {
    expect(await saveOutput(nc, result("j1", "one"), dir, taken)).toBe(join(dir, "doc.pdf"));
    rmSync(join(root, "a"), { recursive: true });
    expect(existsSync(dir)).toBe(false);
    expect(await saveOutput(nc, result("j2", "two"), dir, taken)).toBe(join(dir, "j2-doc.pdf"));
    expect(readFileSync(join(dir, "j2-doc.pdf"), "utf8")).toBe("two");
    // a path that cannot be a directory still fails with its cause
    await expect(saveOutput(nc, result("j3", "x"), join(dir, "j2-doc.pdf", "sub"), new Set())).rejects.toThrow(/ENOTDIR|not a directory/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
