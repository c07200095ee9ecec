// Where a handler's document (ctx.output) goes: small ones ride in the result itself (one message, no
// object-store round trips on either side); larger ones go to the object store, which chunks them.
import type { ObjectStore } from "@nats-io/obj";
import type { NatsConnection } from "@nats-io/transport-node";
import { headers } from "@nats-io/transport-node";
import { createHash } from "node:crypto";
import type { JobV1 } from "../protocol/codec.ts";
import type { OutputRefV1 } from "../protocol/types.ts";
import { BUCKET_OUTPUTS } from "../protocol/subjects.ts";
import { outputsBucket, type TopologyOptions } from "../nats/topology.ts";

export class OutputStore {
  private outputs?: Promise<ObjectStore>;

  constructor(
    private nc: NatsConnection,
    private topo: TopologyOptions,
    private inlineMaxBytes: number,
  ) {}

  async store(job: JobV1, bytes: Uint8Array, opts: { filename: string; contentType: string }): Promise<OutputRefV1> {
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const meta = { size: bytes.byteLength, sha256, content_type: opts.contentType, filename: opts.filename };
    if (bytes.byteLength <= this.inlineMaxBytes) return { ...meta, data: bytes };
    this.outputs ??= outputsBucket(this.nc, this.topo);
    const os = await this.outputs;
    const name = `${job.batch}/${job.id}/${opts.filename}`;
    await os.putBlob({ name, description: opts.contentType, headers: ctHeaders(opts.contentType) }, bytes);
    return { ...meta, bucket: BUCKET_OUTPUTS, name };
  }
}

function ctHeaders(ct: string) {
  const h = headers();
  h.set("Content-Type", ct);
  return h;
}
