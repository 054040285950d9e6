/** One line of progress on stderr, redrawn in place, and gone when the command is done. */
export interface StatusLine {
  /** False when nothing is drawn (JSON, or stderr not a terminal). */
  drawn: boolean;
  show(text: string): void;
  /** Erases the line, leaving the cursor where it began. Safe to call more than once, and in a finally. */
  clear(): void;
}

const NOT_DRAWN: StatusLine = { drawn: false, show: () => {}, clear: () => {} };

/**
 * A status line on stderr when it is a terminal and the output is not JSON; otherwise one that draws nothing, so
 * a script reading stderr never sees carriage returns. Cut to the terminal's width: a line that wrapped could not
 * be redrawn in place.
 */
export function statusLine({
  json,
  stderr = process.stderr,
}: {
  json: boolean;
  /** Only tests draw elsewhere. */
  stderr?: NodeJS.WriteStream;
}): StatusLine {
  if (json || !stderr.isTTY) return NOT_DRAWN;
  let shown = false;
  return {
    drawn: true,
    show(text) {
      const width = Math.max(10, (stderr.columns || 80) - 1);
      stderr.write(`\r${[...text].slice(0, width).join("")}\u001b[K`);
      shown = true;
    },
    clear() {
      if (shown) stderr.write("\r\u001b[K");
      shown = false;
    },
  };
}
