// A complete plugin: counts words in a text, and writes a small report document.
// Run it: docctl worker --plugins examples/plugins   then   docctl submit examples/wordcount.json --out ./out
// `import ... from "docctl"` needs nothing installed: the docctl binary serves its own package to plugins.
import { defineHandler, JobError } from "docctl";

interface Payload {
  text: string;
  top?: number;
}
interface Result {
  distinct: number;
  top: [string, number][];
}

let stopWords: Set<string> | undefined;

export default defineHandler<Payload, Result>({
  description: "counts the words of a text and returns the most frequent ones",
  // JSON Schema (Ajv): a payload that fails it gets BAD_PAYLOAD at once, never retried.
  schema: {
    type: "object",
    required: ["text"],
    properties: { text: { type: "string" }, top: { type: "integer", minimum: 1, maximum: 100 } },
    additionalProperties: false,
  },
  timeoutMs: 10_000, // one attempt's limit; a job's timeout_ms overrides it
  maxAttempts: 2, // attempts before a dead letter; a job's attempts overrides it

  // Once per proc, before its first job: load what is expensive to load (a model, a browser, a pool).
  async setup() {
    stopWords = new Set(["the", "a", "an", "and", "of", "to", "in", "le", "la", "et", "und", "der", "die"]);
  },
  // Once per proc, when it drains or stops.
  async teardown() {
    stopWords = undefined;
  },

  // payload and ctx are typed: Payload, and JobContext (id, attempt, signal, output, log ...)
  async handle(payload, ctx) {
    if (payload.text.trim() === "") {
      // A failure of your own: a stable UPPER_SNAKE code, and whether retrying could help (here: no).
      throw new JobError("EMPTY_TEXT", "the text is empty: nothing to count", { retryable: false });
    }
    const counts = new Map<string, number>();
    for (const w of payload.text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? []) {
      if (!stopWords!.has(w)) counts.set(w, (counts.get(w) ?? 0) + 1);
    }
    const top = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, payload.top ?? 5);
    ctx.log.info(`${counts.size} distinct words`); // lines carry the job id and type at -vvv
    const report = top.map(([w, n]) => `${w}\t${n}`).join("\n") + "\n";
    await ctx.output(new TextEncoder().encode(report), { filename: `wordcount-${ctx.id}.tsv`, contentType: "text/tab-separated-values" });
    return { distinct: counts.size, top };
  },
});
