import { describe, expect, test } from "bun:test";
import { parseDedicated, parseLabels } from "../../core/runtime/supervisor/dedicated.ts";

describe("--dedicated", () => {
  test("parses handler=count pairs", () => {
    expect(parseDedicated("pdf=2,title=1")).toEqual({ pdf: 2, title: 1 });
    expect(parseDedicated(" pdf = 2 ".replace(/ /g, ""))).toEqual({ pdf: 2 });
  });
  test("errors name the bad part", () => {
    expect(() => parseDedicated("pdf=2,title")).toThrow(`"title" must be HANDLER=COUNT`);
    expect(() => parseDedicated("pdf=two")).toThrow(`"pdf=two": the count "two" must be a whole number`);
    expect(() => parseDedicated("pdf=0")).toThrow(`the count "0"`);
    expect(() => parseDedicated("p.df=1")).toThrow(`the handler name "p.df" may only contain`);
    expect(() => parseDedicated("pdf=1,,x=1")).toThrow("empty entry");
    expect(() => parseDedicated("pdf=1,pdf=2")).toThrow(`"pdf" is given twice`);
  });
  test("labels", () => {
    expect(parseLabels(["zone=fra1", "role=a=b"])).toEqual({ zone: "fra1", role: "a=b" });
    expect(() => parseLabels(["zone"])).toThrow(`"zone" must be KEY=VALUE`);
  });
});
