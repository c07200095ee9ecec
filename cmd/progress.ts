// A one-line progress bar on stderr for terminals.

export function progressBar(total: number) {
  const started = Date.now();
  let last = 0;
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
    done() {
      process.stderr.write("\n");
    },
  };
}
