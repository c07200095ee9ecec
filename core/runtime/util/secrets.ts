// The secrets one process was given (passwords, tokens): registered on an instance that its loggers
// hold, so every line they write is masked, and nothing process-wide remembers them.
import { redactUrl } from "./redact.ts";

/** Values never to be shown: a logger masks each of them (and URL credentials) in every line. */
export class Secrets {
  private values = new Set<string>();

  /** Never let `value` reach a log line again (values under 3 characters are ignored: masking them would mangle text). */
  add(value: string | undefined): void {
    if (value && value.length >= 3) this.values.add(value);
  }

  /** `text` with URL credentials and every registered value replaced by `***`. */
  mask(text: string): string {
    let out = redactUrl(text);
    for (const s of this.values) out = out.split(s).join("***");
    return out;
  }
}
