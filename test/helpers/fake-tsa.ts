// A fake RFC 3161 time-stamp authority on 127.0.0.1: application/timestamp-query in, a timestamp-reply
// made by `openssl ts -reply` (a real TSTInfo signed by the test TSA certificate) out, or one of the ways
// a TSA goes wrong, chosen by `mode`.
import type { TestPki } from "./pki.ts";
import { opensslTimestampQuery, opensslTimestampReply } from "./pki.ts";

export type TsaMode = "ok" | "http-500" | "garbage" | "rejection" | "wrong-nonce" | "wrong-imprint" | "hang";

export interface FakeTsa {
  url: string;
  mode: TsaMode;
  /** what each request brought: its Authorization header and content type */
  requests: { authorization: string | null; contentType: string | null }[];
  stop(): Promise<void>;
}

export function startFakeTsa(pki: TestPki): FakeTsa {
  const hanging: (() => void)[] = [];
  const tsa: FakeTsa = {
    url: "",
    mode: "ok",
    requests: [],
    async stop() {
      for (const h of hanging) h();
      await server.stop(true);
    },
  };
  const reply = (body: Uint8Array) => new Response(body.slice().buffer as ArrayBuffer, { headers: { "content-type": "application/timestamp-reply" } });
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      tsa.requests.push({ authorization: req.headers.get("authorization"), contentType: req.headers.get("content-type") });
      const query = new Uint8Array(await req.arrayBuffer());
      switch (tsa.mode) {
        case "ok":
          return reply(await opensslTimestampReply(pki, query));
        case "http-500":
          return new Response("TSA database unavailable", { status: 500 });
        case "garbage":
          return reply(new TextEncoder().encode("<html>not a time-stamp</html>"));
        case "rejection": {
          const pkijs = await import("pkijs");
          const asn1js = await import("asn1js");
          const resp = new pkijs.TimeStampResp({ status: new pkijs.PKIStatusInfo({ status: 2, statusStrings: [new asn1js.Utf8String({ value: "unaccepted policy" })] }) });
          return reply(new Uint8Array(resp.toSchema().toBER(false)));
        }
        case "wrong-nonce": {
          // a genuine reply for the same imprint, but to another request (openssl's own nonce)
          const pkijs = await import("pkijs");
          const imprint = Buffer.from(pkijs.TimeStampReq.fromBER(query).messageImprint.hashedMessage.valueBlock.valueHexView).toString("hex");
          return reply(await opensslTimestampReply(pki, await opensslTimestampQuery(pki, imprint)));
        }
        case "wrong-imprint":
          return reply(await opensslTimestampReply(pki, await opensslTimestampQuery(pki, "00".repeat(32))));
        case "hang":
          return new Promise<Response>((resolve) => hanging.push(() => resolve(new Response("late", { status: 503 }))));
      }
    },
  });
  tsa.url = `http://127.0.0.1:${server.port}/tsr`;
  return tsa;
}
