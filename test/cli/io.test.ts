/** rv's standard outputs write to their descriptor directly; a real FIFO stands in for a pipe (no mock). */
import { closeSync, constants, openSync, readSync } from "node:fs";
import { Socket } from "node:net";
import { join } from "node:path";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Output } from "../../src/cli/io.ts";
import { makeHome } from "../helpers/home.ts";
import { waitFor } from "../helpers/wait.ts";

describe("an output written to its descriptor", () => {
  let dir: { root: string; cleanup: () => void };
  let fds: number[] = [];
  beforeEach(() => {
    dir = makeHome("rv-io-");
    fds = [];
  });
  afterEach(() => {
    for (const fd of fds) closeSync(fd);
    dir.cleanup();
  });

  /** A FIFO's two ends, both non-blocking: a write it cannot take whole fails with EAGAIN, as a pipe left so does. */
  async function nonBlockingPipe() {
    const fifo = join(dir.root, "fifo");
    await execa("mkfifo", [fifo]);
    const read = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const write = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    fds.push(read);
    return { read, write };
  }

  function drain(fd: number): string {
    const buffer = Buffer.alloc(64 * 1024);
    let text = "";
    for (;;) {
      try {
        const n = readSync(fd, buffer);
        if (n === 0) return text;
        text += buffer.toString("utf8", 0, n);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EAGAIN") return text;
        throw error;
      }
    }
  }

  it("writes more than a non-blocking pipe holds whole and in order, handing the rest to a stream that waits", async () => {
    const { read, write } = await nonBlockingPipe();
    let streams = 0;
    const output = new Output(write, () => {
      streams += 1;
      return new Socket({ fd: write, readable: false, writable: true }) as unknown as NodeJS.WriteStream;
    });
    const lines = Array.from({ length: 4000 }, (_, i) => `line ${i} ${"x".repeat(60)}\n`);
    for (const line of lines) output.write(line);
    expect(streams).toBe(1);
    let got = "";
    await waitFor(
      () => {
        got += drain(read);
        return got.length === lines.join("").length;
      },
      { what: "all of it to arrive" },
    );
    await output.drained();
    expect(got).toBe(lines.join(""));
  });

  it("goes quiet once its reader has gone (EPIPE), without throwing", async () => {
    const { read, write } = await nonBlockingPipe();
    fds.splice(fds.indexOf(read), 1);
    closeSync(read);
    const output = new Output(write, () => {
      throw new Error("no stream is needed");
    });
    expect(() => output.write("nobody reads this\n")).not.toThrow();
    expect(() => output.write("nor this\n")).not.toThrow();
    await output.drained();
    closeSync(write);
  });
});
