// What a user may write as a title job's url.
import { expect, test } from "bun:test";
import { parseTargetUrl } from "../../../plugins/title-fetch/url.ts";

const code = (input: string) => {
  try {
    parseTargetUrl(input);
    return "ok";
  } catch (err) {
    return (err as { code: string }).code;
  }
};

test("http and https URLs are taken as they are, normalised", () => {
  expect(parseTargetUrl("https://Example.COM/a?b#c").href).toBe("https://example.com/a?b#c");
  expect(parseTargetUrl("  http://0x7f000001:8080/x ").href).toBe("http://127.0.0.1:8080/x");
});

test("a bare host gets https://, a host with a port too", () => {
  expect(parseTargetUrl("example.com").href).toBe("https://example.com/");
  expect(parseTargetUrl("linuxfr.org/news").href).toBe("https://linuxfr.org/news");
  expect(parseTargetUrl("localhost:8080/x").href).toBe("https://localhost:8080/x");
});

test("other schemes are FETCH_BLOCKED, non-URLs BAD_URL", () => {
  expect(code("file:///etc/passwd")).toBe("FETCH_BLOCKED");
  expect(code("mailto:someone@example.com")).toBe("FETCH_BLOCKED");
  expect(code("ws://example.com/")).toBe("FETCH_BLOCKED");
  expect(code("")).toBe("BAD_URL");
  expect(code("http://")).toBe("BAD_URL");
  expect(code("https://exa mple.com")).toBe("BAD_URL");
});
