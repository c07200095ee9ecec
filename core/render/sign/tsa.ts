// RFC 3161 time-stamping for PAdES B-T: the request (SHA-256 imprint of the signature value, a random
// nonce, the TSA's certificate asked for), the reply checked before it is trusted (status granted, a
// token whose TSTInfo names our imprint and nonce, signed by the certificate it carries), and the HTTP
// exchange with a deadline. Every failure is a TimestampError saying what was wrong: a document is
// never returned unstamped when a stamp was asked for.
import { CadesOids, loadPki } from "./cades.ts";

/** A time-stamp could not be had; `retryable` when another try may succeed (TSA down, timeout, HTTP 5xx). */
export class TimestampError extends Error {
  retryable: boolean;
  constructor(message: string, retryable: boolean, opts?: ErrorOptions) {
    super(message, opts);
    this.name = "TimestampError";
    this.retryable = retryable;
  }
}

const ab = (u: Uint8Array) => u.slice().buffer as ArrayBuffer;
const hex = (u: Uint8Array) => Buffer.from(u).toString("hex");
const PKI_STATUS = ["granted", "grantedWithMods", "rejection", "waiting", "revocationWarning", "revocationNotification"];

/** A DER TimeStampReq for `imprint` (a SHA-256 hash) with `nonce` (big-endian bytes, first bit clear), certReq set. */
export async function timestampRequest(imprint: Uint8Array, nonce: Uint8Array): Promise<Uint8Array> {
  const { pkijs, asn1js } = await loadPki();
  const req = new pkijs.TimeStampReq({
    version: 1,
    messageImprint: new pkijs.MessageImprint({
      hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: CadesOids.sha256 }),
      hashedMessage: new asn1js.OctetString({ valueHex: ab(imprint) }),
    }),
    nonce: new asn1js.Integer({ valueHex: ab(nonce) }),
    certReq: true,
  });
  return new Uint8Array(req.toSchema().toBER(false));
}

/**
 * The time-stamp token (ContentInfo DER) of a TimeStampResp over `stamped`, after checking that it is
 * granted, that its TSTInfo's imprint is SHA-256 of `stamped` and its nonce ours, and that its signature
 * verifies with the certificate inside it. No I/O: a check of bytes.
 */
export async function readTimestampReply(reply: Uint8Array, stamped: Uint8Array, nonce: Uint8Array): Promise<Uint8Array> {
  const { pkijs } = await loadPki();
  const imprint = new Uint8Array(await crypto.subtle.digest("SHA-256", ab(stamped)));
  let resp: InstanceType<typeof pkijs.TimeStampResp>;
  try {
    resp = pkijs.TimeStampResp.fromBER(ab(reply));
  } catch (err) {
    throw new TimestampError(`the reply is not an RFC 3161 TimeStampResp (${reply.length} bytes: ${(err as Error).message})`, false, { cause: err });
  }
  const status = resp.status.status;
  if (status !== 0 && status !== 1) {
    const text = resp.status.statusStrings?.map((s) => s.valueBlock.value).join("; ");
    throw new TimestampError(`the TSA refused the request: status ${PKI_STATUS[status] ?? status}${text ? ` (${text})` : ""}`, false);
  }
  if (!resp.timeStampToken) throw new TimestampError("the TSA granted the request but sent no time-stamp token", false);
  if (resp.timeStampToken.contentType !== CadesOids.signedData) throw new TimestampError(`the time-stamp token is not CMS SignedData (content type ${resp.timeStampToken.contentType})`, false);
  let sd: InstanceType<typeof pkijs.SignedData>;
  let tst: InstanceType<typeof pkijs.TSTInfo>;
  try {
    sd = new pkijs.SignedData({ schema: resp.timeStampToken.content });
    const e = sd.encapContentInfo.eContent;
    if (!e) throw new Error("it has no TSTInfo");
    tst = pkijs.TSTInfo.fromBER(e.getValue());
  } catch (err) {
    throw new TimestampError(`the time-stamp token cannot be read: ${(err as Error).message}`, false, { cause: err });
  }
  const alg = tst.messageImprint.hashAlgorithm.algorithmId;
  const got = new Uint8Array(tst.messageImprint.hashedMessage.valueBlock.valueHexView);
  if (alg !== CadesOids.sha256 || hex(got) !== hex(imprint))
    throw new TimestampError(`the time-stamp is for other data: its imprint is ${alg === CadesOids.sha256 ? "SHA-256" : alg} ${hex(got)}, the signature's SHA-256 is ${hex(imprint)}`, false);
  const theirs = tst.nonce ? hex(new Uint8Array(tst.nonce.valueBlock.valueHexView)) : undefined;
  if (theirs !== hex(nonce)) throw new TimestampError(`the time-stamp answers another request: nonce ${theirs ?? "missing"}, expected ${hex(nonce)}`, false);
  let verified = false;
  try {
    verified = await sd.verify({ signer: 0, checkChain: false, data: ab(stamped) });
  } catch (err) {
    // pkijs throws (SignedDataVerifyError) for a digest mismatch or a missing signer certificate
    const m = (err as { message?: string }).message ?? String(err);
    throw new TimestampError(`the time-stamp token does not verify: ${m}${/certificate/i.test(m) ? " (the TSA must include its certificate: certReq is set)" : ""}`, false, { cause: err });
  }
  if (!verified) throw new TimestampError("the time-stamp token does not verify: its signature is wrong", false);
  return new Uint8Array(resp.timeStampToken.toSchema().toBER(false));
}

/** A URL as it may be shown: user and password (if any) left out. */
export function shownUrl(u: URL): string {
  return `${u.protocol}//${u.host}${u.pathname}${u.search ? "?…" : ""}`;
}

export interface TsaOptions {
  /** the TSA's URL (http or https); user:password@ in it is sent as HTTP Basic authentication */
  url: string;
  /** the whole exchange's deadline in milliseconds */
  timeoutMs: number;
  /** aborts the request (the job's signal) */
  signal?: AbortSignal;
}

/** The largest reply read: a token with a certificate chain is a few kB. */
const MAX_REPLY = 1 << 20;

/** Asks the TSA for a token over SHA-256(`data`); TimestampError with the URL (never its credentials) on any failure. */
export async function fetchTimestamp(data: Uint8Array, o: TsaOptions): Promise<Uint8Array> {
  const url = new URL(o.url);
  const where = `time-stamp authority ${shownUrl(url)}`;
  const imprint = new Uint8Array(await crypto.subtle.digest("SHA-256", ab(data)));
  const nonce = crypto.getRandomValues(new Uint8Array(8));
  nonce[0] = (nonce[0]! & 0x7f) | 0x01; // positive, and no leading zero byte to be dropped
  const headers: Record<string, string> = { "content-type": "application/timestamp-query", accept: "application/timestamp-reply" };
  if (url.username || url.password) {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString("base64")}`;
    url.username = "";
    url.password = "";
  }
  const timeout = AbortSignal.timeout(o.timeoutMs);
  const signal = o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
  let body: Uint8Array;
  try {
    const res = await fetch(url, { method: "POST", headers, body: ab(await timestampRequest(imprint, nonce)), signal, redirect: "error" });
    if (!res.ok) {
      await res.body?.cancel();
      throw new TimestampError(`${where} answered HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}`, res.status >= 500 || res.status === 429);
    }
    const declared = Number(res.headers.get("content-length") ?? 0);
    if (declared > MAX_REPLY) {
      await res.body?.cancel();
      throw new TimestampError(`${where} announced ${declared} bytes, more than a time-stamp reply (${MAX_REPLY})`, false);
    }
    body = new Uint8Array(await res.arrayBuffer());
    if (body.length > MAX_REPLY) throw new TimestampError(`${where} sent ${body.length} bytes, more than a time-stamp reply (${MAX_REPLY})`, false);
  } catch (err) {
    if (err instanceof TimestampError) throw err;
    if (timeout.aborted) throw new TimestampError(`${where} did not answer within ${o.timeoutMs} ms`, true, { cause: err });
    if (o.signal?.aborted) throw err;
    const code = (err as { code?: string }).code;
    throw new TimestampError(`${where} cannot be reached: ${code ? `${code}: ` : ""}${(err as Error).message}`, true, { cause: err });
  }
  try {
    return await readTimestampReply(body, data, nonce);
  } catch (err) {
    if (err instanceof TimestampError) throw new TimestampError(`${where}: ${err.message}`, err.retryable, { cause: err.cause });
    throw err;
  }
}
