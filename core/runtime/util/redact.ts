// Credentials out of URLs before they are shown: pure, shared by the CLI's logger and the library.

/** A URL fit for logs: credentials and tokens masked (`nats://u:p@h` and `nats://token@h` → `nats://***@h`). */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/\s]+)@/g, "//***@");
}
