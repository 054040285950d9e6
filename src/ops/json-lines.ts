/** One line of a JSON-lines file (`rv submit --from`, `rv sweep --from`): its number, and its value or why not. */
export type JsonLine = { line: number; json: unknown } | { line: number; error: string };

/** The lines that hold something (blank lines and `#` comments skipped), each parsed as JSON. */
export function jsonLines(text: string): JsonLine[] {
  const lines: JsonLine[] = [];
  text.split("\n").forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    try {
      lines.push({ line: index + 1, json: JSON.parse(line) });
    } catch (error) {
      lines.push({ line: index + 1, error: `not JSON: ${(error as Error).message}` });
    }
  });
  return lines;
}
