import { PassThrough } from "node:stream";
import { afterEach, expect, it } from "vitest";
import { loadForTerminal } from "../../../src/cli/ui/ink.ts";

// Its own file: Ink reads CI once, as it first loads, and each test file loads its modules afresh.
const before = process.env.CI;
afterEach(() => {
  if (before === undefined) delete process.env.CI;
  else process.env.CI = before;
});

it("draws each frame as it comes with CI set, and leaves CI set for the processes rv starts", async () => {
  process.env.CI = "true";
  const { render, Text } = await loadForTerminal(() => import("ink"));
  const { createElement } = await import("react");
  expect(process.env.CI).toBe("true");

  const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 80, rows: 24 });
  let written = "";
  stream.on("data", (chunk: Buffer) => {
    written += chunk.toString();
  });
  const stdout = stream as unknown as NodeJS.WriteStream;
  const ink = render(createElement(Text, null, "first frame"), { stdout, stderr: stdout, patchConsole: false });
  await new Promise((resolve) => setTimeout(resolve, 50));
  // In Ink's CI mode nothing is written before unmount.
  expect(written).toContain("first frame");
  ink.unmount();
});
