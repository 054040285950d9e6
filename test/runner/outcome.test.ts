import { describe, expect, it } from "vitest";
import { type EndVerdict, retryDecision, timedOut } from "../../src/runner/outcome.ts";

const failed = (exitCode: number | null, signal: string | null = null, reason = "exit code 1"): EndVerdict => ({
  state: "failed",
  exitCode,
  signal,
  reason,
});
const policy = (on: (number | string)[] = [], max = 2) => ({ retry: { max, delayMs: 1000, on }, attempt: 1 });

describe("retryDecision", () => {
  it("retries a failure while retries are left, doubling the wait each time", () => {
    expect(retryDecision({ ...policy(), retried: 0 }, failed(1))).toEqual({
      retry: true,
      delayMs: 1000,
      reason: "attempt 1 exit code 1: retry 1 of 2",
    });
    expect(retryDecision({ ...policy(), retried: 1, attempt: 2 }, failed(1))).toMatchObject({ delayMs: 2000 });
    expect(retryDecision({ ...policy(), retried: 2 }, failed(1))).toEqual({ retry: false });
  });

  it("never retries a success, a cancel, or a task without --retry", () => {
    expect(retryDecision(policy(), { state: "succeeded", exitCode: 0, signal: null })).toEqual({ retry: false });
    expect(retryDecision(policy(), { state: "cancelled", exitCode: null, signal: "SIGTERM" })).toEqual({
      retry: false,
    });
    expect(retryDecision({ attempt: 1 }, failed(1))).toEqual({ retry: false });
  });

  it("--retry-on: only the exit codes, signals and timeouts it names", () => {
    const on = policy([137, "SIGKILL", "timeout"]);
    expect(retryDecision(on, failed(137)).retry).toBe(true);
    expect(retryDecision(on, failed(null, "SIGKILL", "killed by SIGKILL")).retry).toBe(true);
    expect(retryDecision(on, timedOut(failed(null, "SIGTERM"))).retry).toBe(true);
    expect(retryDecision(on, failed(1)).retry).toBe(false);
    expect(retryDecision(on, failed(null, "SIGSEGV", "killed by SIGSEGV")).retry).toBe(false);
    // A timeout is named by `timeout` only, not by the status or signal rv's kill left.
    expect(retryDecision(policy([1, "SIGKILL"]), timedOut(failed(1))).retry).toBe(false);
    expect(retryDecision(policy([1, "SIGKILL"]), timedOut(failed(null, "SIGKILL"))).retry).toBe(false);
  });
});
