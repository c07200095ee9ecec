// The environment a child process gets: a foreign program (Chromium) only what a program needs to run
// (PATH, locale, home, temp, CA certificates), a worker never its manager's secrets. Pure: the parent
// environment is a parameter.

/** Variables passed on as they are, when set. */
const BASE = ["PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TMP", "TEMP", "SSL_CERT_FILE", "SSL_CERT_DIR", "NODE_EXTRA_CA_CERTS", "XDG_RUNTIME_DIR", "SYSTEMD_EXEC_PID", "INVOCATION_ID", "JOURNAL_STREAM", "NO_COLOR", "FORCE_COLOR", "TERM"];

/**
 * The manager's own secrets: its workers never need them. (Handlers may read their own settings from
 * the environment, so a worker otherwise gets what its manager has.)
 */
export const MANAGER_SECRETS = ["DIGITALOCEAN_TOKEN", "DIGITALOCEAN_ACCESS_TOKEN", "DOCCTL_DO_TOKEN", "DOCCTL_HTTP_TOKEN"];

/** The environment for a worker the manager starts: its own minus the manager's secrets, `extra` on top (undefined removes). */
export function workerEnv(extra: Record<string, string | undefined> = {}, parent: Record<string, string | undefined> = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parent)) if (v !== undefined && !MANAGER_SECRETS.includes(k)) out[k] = v;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

/** The environment for a foreign helper program (Chromium): the base variables only, no docctl settings. */
export function helperEnv(parent: Record<string, string | undefined> = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parent)) if (v !== undefined && (BASE.includes(k) || k.startsWith("LC_"))) out[k] = v;
  return out;
}
