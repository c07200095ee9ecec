// The command line's pure decisions: global options before the command, suggestions, unknown options
// and unknown DOCCTL_* variables.
import { describe, expect, test } from "bun:test";
import { commandFirst, didYouMean, unknownEnv, unknownOption } from "../../cmd/argv.ts";
import { GLOBAL_OPTIONS } from "../../cmd/globals.ts";
import { helpDefaults } from "../../cmd/settings.ts";
import type { OptionSpec } from "../../cmd/command.ts";
import { knownEnv } from "../../cmd/main.ts";
import { KNOWN_ENV_PREFIXES } from "../../cmd/globals.ts";
import { ROOT } from "../helpers/cli.ts";

describe("argv", () => {
  test("global options before the command move after it, with their values", () => {
    expect(commandFirst(["--nats", "nats://x:4222", "-vv", "submit", "job.json"], GLOBAL_OPTIONS)).toEqual({
      name: "submit",
      rest: ["job.json", "--nats", "nats://x:4222", "-vv"],
      leading: ["--nats", "nats://x:4222", "-vv"],
    });
    expect(commandFirst(["--log-format=json", "status"], GLOBAL_OPTIONS).name).toBe("status");
    expect(commandFirst(["status", "--nats", "u"], GLOBAL_OPTIONS)).toEqual({ name: "status", rest: ["--nats", "u"], leading: [] });
    // an unknown option stops the scan: the caller reports it
    expect(commandFirst(["--natz", "u", "status"], GLOBAL_OPTIONS).name).toBe("--natz");
  });

  test("did you mean: near misses and unique prefixes, nothing for strangers", () => {
    expect(didYouMean("sbumit", ["submit", "status", "result"])).toBe("submit");
    expect(didYouMean("concurency", ["concurrency", "procs"])).toBe("concurrency");
    expect(didYouMean("templ", ["template", "status"])).toBe("template");
    expect(didYouMean("banana", ["submit", "status"])).toBeUndefined();
  });

  test("an unknown option is named cleanly, with the nearest known one", () => {
    const spec: OptionSpec = { ...GLOBAL_OPTIONS, concurrency: { type: "string" }, json: { type: "boolean" } };
    expect(unknownOption(["--concurency", "3"], spec)).toBe("unknown option --concurency (did you mean --concurrency?)");
    expect(unknownOption(["--jsn"], spec)).toBe("unknown option --jsn (did you mean --json?)");
    expect(unknownOption(["--nats", "--weird-but-a-value", "-vvv", "--json"], spec)).toBeUndefined();
    expect(unknownOption(["-x"], spec)).toBe("unknown option -x");
    expect(unknownOption(["--", "--anything"], spec)).toBeUndefined();
    expect(unknownOption(["-", "file.json"], spec)).toBeUndefined();
  });

  test("DOCCTL_* variables nothing reads are warned about, with the nearest known name", () => {
    const known = new Set(["DOCCTL_NATS_URL", "DOCCTL_WORKER_CONCURRENCY"]);
    expect(unknownEnv({ DOCCTL_NATS_ULR: "x", DOCCTL_NATS_URL: "y", HOME: "/", DOCCTL_TEMPLATE_MAX_PAGES: "3" }, known, ["DOCCTL_TEMPLATE_MAX_"])).toEqual([
      "DOCCTL_NATS_ULR is set but is not a docctl setting (did you mean DOCCTL_NATS_URL?); it is ignored",
    ]);
  });

  test('a default with an explanation in the help is shown as the value only ("1: the manager adds ...")', () => {
    expect(helpDefaults("  --procs N            procs per worker process (default 1: the manager adds workers as lag grows)\n  --x V  thing (default 4)")).toEqual({ procs: "1", x: "4" });
  });
});

test("every DOCCTL_* variable the code reads is known, so docctl never warns about its own", async () => {
  const src = await Bun.$`grep -rhoE "(env\.|env\[\"|_ENV = \"|ENV: \")DOCCTL_[A-Z0-9_]+" ${ROOT}/core ${ROOT}/cmd ${ROOT}/plugins`.nothrow().text();
  const read = [...new Set(src.match(/DOCCTL_[A-Z0-9_]+/g) ?? [])];
  const known = knownEnv();
  expect(read.length).toBeGreaterThan(5);
  expect(read.filter((n) => !known.has(n) && !KNOWN_ENV_PREFIXES.some((p) => n.startsWith(p))).sort()).toEqual([]);
});
