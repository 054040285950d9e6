import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { showLive } from "../../../src/cli/ui/live.ts";

const loadView = async () => {
  const { Text } = await import("ink");
  const { createElement } = await import("react");
  return ({ count }: { count: number }) => createElement(Text, null, `count ${count}`);
};

/** What Ink sees of a terminal: a stream that says it is a TTY, 80 columns wide. */
function fakeTerminal(isTTY: boolean, columns = 80) {
  const stream = Object.assign(new PassThrough(), { isTTY, columns, rows: 24 });
  let written = "";
  stream.on("data", (chunk: Buffer) => {
    written += chunk.toString();
  });
  return { stderr: stream as unknown as NodeJS.WriteStream, written: () => written };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe("showLive", () => {
  it("draws nothing for --json, when stderr is not a terminal, or on a terminal of no known width", async () => {
    for (const [json, isTTY, columns] of [
      [true, true, 80],
      [false, false, 80],
      [false, true, 0],
    ] as const) {
      const terminal = fakeTerminal(isTTY, columns);
      const live = await showLive(loadView, { json, env: {}, stderr: terminal.stderr });
      expect(live.drawn).toBe(false);
      live.update({ count: 1 });
      live.done({ count: 2 });
      await settle();
      expect(terminal.written()).toBe("");
    }
  });

  it("redraws on a terminal, leaves the final frame and the cursor shown, and ignores updates after done", async () => {
    const terminal = fakeTerminal(true);
    const live = await showLive(loadView, { json: false, env: {}, stderr: terminal.stderr });
    expect(live.drawn).toBe(true);
    live.update({ count: 1 });
    live.done({ count: 2 });
    live.done({ count: 3 });
    await settle();
    const written = terminal.written();
    expect(written).toContain("count 2");
    expect(written).not.toContain("count 3");
    const hidden = written.lastIndexOf("\u001b[?25l");
    if (hidden >= 0) expect(written.lastIndexOf("\u001b[?25h")).toBeGreaterThan(hidden);
    live.update({ count: 4 });
    await settle();
    expect(terminal.written()).toBe(written);
  });
});
