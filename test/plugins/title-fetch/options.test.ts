// Options of the title handler: defaults, the environment, what code passes.
import { expect, test } from "bun:test";
import { optionsFromEnv, parseDurationMs, resolveOptions, titleFetchDefaults } from "../../../plugins/title-fetch/options.ts";

test("durations parse from ms, s and m", () => {
  expect(parseDurationMs("2500")).toBe(2500);
  expect(parseDurationMs("300ms")).toBe(300);
  expect(parseDurationMs("10s")).toBe(10_000);
  expect(parseDurationMs("1.5s")).toBe(1500);
  expect(parseDurationMs("2m")).toBe(120_000);
  for (const bad of ["", "abc", "-5", "0", "10h"]) expect(parseDurationMs(bad)).toBeNull();
});

test("the guard is on unless DOCCTL_ALLOW_PRIVATE_FETCH says otherwise", () => {
  expect(resolveOptions({}, {}).allowPrivate).toBe(false);
  expect(optionsFromEnv({ DOCCTL_ALLOW_PRIVATE_FETCH: "1" }).allowPrivate).toBe(true);
  expect(optionsFromEnv({ DOCCTL_ALLOW_PRIVATE_FETCH: "true" }).allowPrivate).toBe(true);
  expect(optionsFromEnv({ DOCCTL_ALLOW_PRIVATE_FETCH: "0" }).allowPrivate).toBe(false);
  expect(optionsFromEnv({ DOCCTL_ALLOW_PRIVATE_FETCH: "" }).allowPrivate).toBeUndefined();
});

test("code beats the environment, which beats the defaults; invalid values are ignored", () => {
  const env = { DOCCTL_ALLOW_PRIVATE_FETCH: "1", DOCCTL_TITLE_TIMEOUT_MS: "3s" };
  expect(resolveOptions({}, env)).toMatchObject({ allowPrivate: true, timeoutMs: 3000, maxRedirects: 5 });
  expect(resolveOptions({ allowPrivate: false, timeoutMs: 50, allowHosts: undefined }, env)).toMatchObject({ allowPrivate: false, timeoutMs: 50, allowHosts: [] });
  expect(resolveOptions({}, { DOCCTL_TITLE_TIMEOUT_MS: "soon" }).timeoutMs).toBe(titleFetchDefaults.timeoutMs);
});
