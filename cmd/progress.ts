// A one-line progress bar on stderr for terminals.

export function progressBar(total: number) {
  const started = Date.now();
  let last = 0;
  let ended = false;
  const draw = (done: number, failed: number) => {
    const width = 30;
    const filled = Math.round((done / total) * width);
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    process.stderr.write(`\r[${"#".repeat(filled)}${" ".repeat(width - filled)}] ${done}/${total}${failed ? ` (${failed} failed)` : ""} ${secs}s`);
  };
  draw(0, 0);
  return {
    update(done: number, failed: number) {
      const now = Date.now();
      if (now - last < 100 && done < total) return;
      last = now;
      draw(done, failed);
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
