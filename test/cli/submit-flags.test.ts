import { describe, expect, it } from "vitest";
import { type SubmitOptions, specsFromFlags } from "../../src/cli/commands/submit.ts";
import { RvError } from "../../src/errors.ts";

const env = {};
const flags = (extra: Partial<SubmitOptions>): SubmitOptions => ({ env: [], tag: [], ...extra });

describe("rv submit --checkpoint and --time-request", () => {
  it("a bare --checkpoint is SIGUSR1; a named signal is taken with or without SIG", () => {
    expect(specsFromFlags(["x"], flags({ checkpoint: true }), env)[0]?.checkpoint).toBe("SIGUSR1");
    expect(specsFromFlags(["x"], flags({ checkpoint: "TERM" }), env)[0]?.checkpoint).toBe("SIGTERM");
    expect(specsFromFlags(["x"], flags({ checkpoint: "SIGINT" }), env)[0]?.checkpoint).toBe("SIGINT");
    expect(specsFromFlags(["x"], flags({}), env)[0]?.checkpoint).toBeUndefined();
  });

  it("keeps the time request as given; buildTask turns it into ms", () => {
    expect(specsFromFlags(["x"], flags({ timeRequest: "30m" }), env)[0]?.timeRequest).toBe("30m");
  });

  it.each([
    [{ checkpoint: "KILL" }, /^--checkpoint: "KILL" is not a checkpoint signal: use USR1 \(the default\), USR2, TERM/],
    [{ timeRequest: "2 days" }, /^--time-request: expected a positive duration like 90s, 30m or 2h$/],
    [{ timeRequest: "0" }, /^--time-request: expected a positive duration/],
  ])("rejects %j, naming the flag", (extra, message) => {
    const submit = () => specsFromFlags(["x"], flags(extra), env);
    expect(submit).toThrow(message);
    expect(submit).toThrow(RvError);
  });
});
