// Colours that mean what they say, on stderr: green for success, red for failure, yellow for "incomplete".
// (Bun's console.error paints every line red on a terminal, so messages that are not errors go through here.)

/** Whether stderr gets colours: a terminal without NO_COLOR, or FORCE_COLOR set to anything but 0. */
export function colourOn(env: Record<string, string | undefined> = process.env, tty = Boolean(process.stderr.isTTY)): boolean {
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "") return env.FORCE_COLOR !== "0";
  return tty && env.NO_COLOR === undefined;
}

const paint = (code: number) => (s: string, on = colourOn()) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);
export const green = paint(32);
export const red = paint(31);
export const yellow = paint(33);

/** One line on stderr, as it is (no colour unless the text carries one). */
export function note(line: string): void {
  process.stderr.write(line + "\n");
}
