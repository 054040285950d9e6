import { describe, expect, test } from "vitest";
import { mayPassLater, submitRace } from "../../src/lease/index.ts";
import type { CommandResult, Remote, RemoteCommand } from "../../src/remote/index.ts";

// A scripted Remote stands in for sbatch here: a per-user submission limit cannot be provoked on the dev
// cluster without changing its accounting for every other test. The e2e tests submit real races.
function scriptedSbatch(answers: CommandResult[][]): Remote & { rounds: RemoteCommand[][] } {
  const rounds: RemoteCommand[][] = [];
  return {
    where: "scripted",
    rounds,
    run: async (commands) => {
      rounds.push([...commands]);
      return answers[rounds.length - 1] ?? [];
    },
  };
}

const ok = (id: string): CommandResult => ({ exitCode: 0, stdout: `${id}\n`, stderr: "" });
const refused = (message: string): CommandResult => ({
  exitCode: 1,
  stdout: "",
  stderr: `sbatch: error: ${message}\n`,
});
const LIMIT = "QOSMaxSubmitJobPerUserLimit";
const CONFIG = "Requested node configuration is not available";

describe("submitRace", () => {
  test("all in one round trip; only refusals that may pass are asked again, after 1 s then 2 s", async () => {
    const remote = scriptedSbatch([[ok("11"), refused(LIMIT), refused(CONFIG)], [refused(LIMIT)], [ok("13")]]);
    const slept: number[] = [];
    const seen: number[] = [];
    const outcomes = await submitRace(
      remote,
      ["a", "b", "c"].map((s) => ({ args: [], script: s })),
      (o) => seen.push(o.size),
      async (ms) => {
        slept.push(ms);
      },
    );
    expect(remote.rounds.map((r) => r.map((c) => c.stdin))).toEqual([["a", "b", "c"], ["b"], ["b"]]);
    expect(slept).toEqual([1000, 2000]);
    expect(seen).toEqual([3, 3, 3]);
    expect(outcomes.get(0)).toEqual({ ok: true, jobId: "11" });
    expect(outcomes.get(1)).toEqual({ ok: true, jobId: "13" });
    expect(outcomes.get(2)).toMatchObject({ ok: false, error: { kind: "node_config_unavailable" } });
  });

  test("a limit that does not pass stands after the last backoff", async () => {
    const remote = scriptedSbatch([[refused(LIMIT)], [refused(LIMIT)], [refused(LIMIT)], [refused(LIMIT)]]);
    const slept: number[] = [];
    const outcomes = await submitRace(
      remote,
      [{ args: [], script: "a" }],
      () => {},
      async (ms) => {
        slept.push(ms);
      },
    );
    expect(slept).toEqual([1000, 2000, 4000]);
    expect(remote.rounds).toHaveLength(4);
    expect(outcomes.get(0)).toMatchObject({ ok: false, error: { kind: "qos_or_limit" } });
  });

  test("mayPassLater: limits and a busy controller, not a request no node can hold", () => {
    expect(mayPassLater({ kind: "qos_or_limit", message: LIMIT, partition: null })).toBe(true);
    expect(mayPassLater({ kind: "other", message: "Socket timed out on send/recv operation", partition: null })).toBe(
      true,
    );
    expect(mayPassLater({ kind: "node_config_unavailable", message: CONFIG, partition: null })).toBe(false);
    expect(mayPassLater({ kind: "invalid_account", message: "Invalid account", partition: null })).toBe(false);
  });
});
