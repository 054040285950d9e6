import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CallBroke, clusterPlace, defineOp, deployedName } from "../../src/ops/index.ts";
import { encodeFrame, frameReader, helloFrame } from "../../src/ops/wire.ts";
import { z } from "../../src/zod.ts";
import { makeHome } from "../helpers/home.ts";

const echo = defineOp({
  name: "echo",
  input: z.object({ text: z.string() }),
  result: z.object({ text: z.string() }),
  run: (_env, input) => input,
});

describe("frames", () => {
  it("a login shell's noise, even without a final newline, never hides the first frame", () => {
    const frames: unknown[] = [];
    const read = frameReader((frame) => frames.push(frame));
    const answer = `Welcome to the cluster!${helloFrame()}${encodeFrame({ result: { text: "hi" } })}`;
    for (const chunk of answer.match(/.{1,7}/gs) ?? []) read(chunk);
    expect(frames).toEqual([{ hello: 2 }, { result: { text: "hi" } }]);
  });
});

// The far side scripted: the cluster's host is `local`, so its `rv rpc` is a script under the root. The transport
// (a stream with stdin held open, frames, exit statuses) is the real one.
describe("a cluster place's call", () => {
  let home: ReturnType<typeof makeHome>;
  beforeEach(() => {
    home = makeHome();
  });
  afterEach(() => home.cleanup());

  function farSide(script: string) {
    const bin = join(home.root, "bin");
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, deployedName), `#!/bin/sh\n${script}\n`);
    chmodSync(join(bin, deployedName), 0o755);
    const cluster = { name: "c", host: "local", user: "me", root: home.root };
    return clusterPlace(home.root, cluster, {});
  }
  const frame = (json: object) => `printf '%s\\n' '@rv2 ${JSON.stringify(json)}'`;

  it("takes the result whatever the login shell printed before it", async () => {
    const place = farSide(
      `printf 'motd without a newline'; printf '\\n'; ${frame({ hello: 2 })}; ${frame({ result: { text: "ok" } })}`,
    );
    await expect(place.call(echo, { text: "x" })).resolves.toEqual({ text: "ok" });
  });

  it("progress frames reach the caller's sink as they come, before the result", async () => {
    const progress = { total: 2, succeeded: 1 };
    const place = farSide(`${frame({ hello: 2 })}; ${frame({ progress })}; ${frame({ result: { text: "ok" } })}`);
    const seen: unknown[] = [];
    const sink = { out: () => {}, err: () => {}, note: () => {}, progress: (facts: unknown) => seen.push(facts) };
    await expect(place.call(echo, { text: "x" }, { sink })).resolves.toEqual({ text: "ok" });
    expect(seen).toEqual([progress]);
  });

  it("a far side that answered and then died broke off mid-call: the op may have run there", async () => {
    const place = farSide(`${frame({ hello: 2 })}; exit 1`);
    const call = place.call(echo, { text: "x" });
    await expect(call).rejects.toBeInstanceOf(CallBroke);
    await expect(call).rejects.toThrow(/did not answer \(exit 1\)/);
  });

  it("a far side that never answered is not a broken call (nothing ran there)", async () => {
    const place = farSide("echo 'sh: 1: rv: Permission denied' >&2; exit 2");
    const error = await place.call(echo, { text: "x" }).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(CallBroke);
    expect(String(error)).toMatch(/did not answer \(exit 2\): sh: 1: rv: Permission denied/);
  });

  it("an error frame is the op's own error, with its code and hint", async () => {
    const error = { code: "not_found", message: "no lease named x", hint: "rv lease ls" };
    const place = farSide(`${frame({ hello: 2 })}; ${frame({ error })}`);
    await expect(place.call(echo, { text: "x" })).rejects.toMatchObject({ code: "not_found", hint: "rv lease ls" });
  });
});
