// A one-line progress bar on stderr for terminals.

export function progressBar(total: number) {
  const started = Date.now();
  let last = 0;
  let ended = false;
  // `partial`: the summed progress (0..1 each) of jobs still running, so a long batch's bar moves before results come
  const draw = (done: number, failed: number, partial = 0, note = "") => {
    const width = 30;
    const filled = Math.min(width, Math.round(((done + partial) / total) * width));
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    const pct = partial > 0 ? ` ${Math.floor(((done + partial) / total) * 100)}%` : "";
    process.stderr.write(`\r\x1b[K[${"#".repeat(filled)}${" ".repeat(width - filled)}] ${done}/${total}${pct}${failed ? ` (${failed} failed)` : ""} ${secs}s${note ? ` ${note.slice(0, 60)}` : ""}`);
  };
  draw(0, 0);
  return {
    update(done: number, failed: number, partial = 0, note = "") {
      const now = Date.now();
      if (now - last < 100 && done < total) return;
      last = now;
      draw(done, failed, partial, note);
    },
    /** print a line on stdout above the bar */
    log(line: string) {
      process.stderr.write("\r\x1b[K");
      console.log(line);
      last = 0;
    },
    /** end the bar's line (once; later calls do nothing) */
    done() {
      if (ended) return;
      ended = true;
      process.stderr.write("\n");
    },
  };
}
