import { readFileSync, statSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { filesUnder } from "../helpers/home.ts";
import { json, useRvHome } from "../helpers/lease.ts";
import { RV_BIN, rv } from "../helpers/rv.ts";
import { waitFor } from "../helpers/wait.ts";

interface Event {
  type: string;
  key: string;
  name?: string;
  attempt?: number;
  points?: number;
  succeeded?: number;
  failed?: number;
  ended?: string;
}

/** A webhook on 127.0.0.1 that keeps every JSON body it is sent, with the path it was sent to. */
async function webhook(): Promise<{ port: number; events: Event[]; paths: string[]; close: () => void }> {
  const events: Event[] = [];
  const paths: string[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      paths.push(req.url ?? "");
      events.push(JSON.parse(body) as Event);
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as AddressInfo).port, events, paths, close: () => server.close() };
}

const count = (events: Event[], type: string) => events.filter((e) => e.type === type).length;

describe("rv notify on a local lease (built binary)", () => {
  const home = useRvHome();

  it("two runners, a sweep with a failing point: one task-failed, one sweep-done, one lease-idle; the URL's token stays in the 0600 settings", async () => {
    const hook = await webhook();
    const token = `tok${Date.now().toString(36)}secret`;
    const url = `http://127.0.0.1:${hook.port}/hook/${token}?key=${token}q`;
    const commandLog = join(home.root, "command-events.jsonl");
    try {
      // The URL on stdin, never on a command line.
      const set = await rv(
        home.root,
        ["notify", "set", "--webhook", "-", "--format", "json", "--command", `cat >> '${commandLog}'`, "--on", "all"],
        { stdin: undefined, input: `${url}\n` },
      );
      expect(set.exitCode, set.stderr as string).toBe(0);
      expect(set.stdout).toContain(`webhook http://127.0.0.1:${hook.port}/… (json)`);
      expect(statSync(join(home.root, "notify.json")).mode & 0o777).toBe(0o600);
      const tested = await rv(home.root, ["notify", "test", "--json"]);
      expect(tested.exitCode, tested.stderr as string).toBe(0);
      expect(
        json<{ places: { webhook: { status: number } }[] }>(tested.stdout as string).places[0]?.webhook.status,
      ).toBe(200);

      const up = await rv(home.root, ["lease", "up", "--local", "--name", "nl", "--cpus", "2"]);
      expect(up.exitCode, up.stderr as string).toBe(0);
      // Point seed=2 fails, is retried once, and fails again: its final failure is told once.
      const sweep = await rv(home.root, [
        ...["sweep", "--lease", "nl", "--sweep", "told", "--retry", "1", "--retry-delay", "0s", "--"],
        ...["sh", "-c", 'sleep 0.4; test "$2" != 2', "sh", "--seed", "{1..3}"],
      ]);
      expect(sweep.exitCode, sweep.stderr as string).toBe(0);
      // A second runner of the same lease, which gives the lease back once it has been idle for 3 s.
      const second = execa(RV_BIN, ["runner", "--lease", "nl", "--cpus", "2", "--idle-release", "3s"], {
        env: { RV_HOME: home.root },
        reject: false,
        stdin: "ignore",
      });
      await waitFor(async () => {
        const show = json<{ runners: { health: string }[] }>(
          String((await rv(home.root, ["lease", "show", "nl", "--json"])).stdout),
        );
        return show.runners.filter((r) => r.health === "ok").length === 2;
      });

      const waited = await rv(home.root, ["wait", "--tag", "told", "--timeout", "60s"]);
      // Point seed=2 failed: wait's exit says so (1), and anything else (a timeout) is the failure to look at.
      expect(waited.exitCode, `${waited.stdout}${waited.stderr}`).toBe(1);
      await waitFor(() => count(hook.events, "lease-idle") === 1, { what: "lease-idle", timeoutMs: 30_000 });
      // Both runners leave (the first drained by the idle release), each having had its chance to tell.
      expect((await second).exitCode).toBe(0);
      await waitFor(async () => {
        const show = json<{ runners: { health: string }[] }>(
          String((await rv(home.root, ["lease", "show", "nl", "--json"])).stdout),
        );
        return show.runners.every((r) => r.health === "exited");
      });

      const told = hook.events.filter((e) => e.type !== "test");
      expect(count(told, "lease-started")).toBe(1);
      expect(told.filter((e) => e.type === "task-failed")).toEqual([
        expect.objectContaining({ name: "seed=2", attempt: 2 }),
      ]);
      expect(told.filter((e) => e.type === "sweep-done")).toEqual([
        expect.objectContaining({ points: 3, succeeded: 2, failed: 1 }),
      ]);
      expect(told.filter((e) => e.type === "lease-idle")).toEqual([expect.objectContaining({ ended: "idle" })]);
      expect(count(told, "lease-ended")).toBe(0); // an idle release is the lease's end, told once
      expect(told).toHaveLength(4);
      expect(new Set(hook.paths)).toEqual(new Set([`/hook/${token}?key=${token}q`]));
      // The command was told the same events, once each.
      const viaCommand = readFileSync(commandLog, "utf8")
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as Event);
      expect(viaCommand.map((e) => e.key).sort()).toEqual(hook.events.map((e) => e.key).sort());

      // The token is in the settings file and nowhere else under RV_HOME: not in logs, events, markers, tasks.
      const holding = filesUnder(home.root).filter((file) => readFileSync(file, "utf8").includes(token));
      expect(holding).toEqual([join(home.root, "notify.json")]);
      const runnerLog = readFileSync(join(home.root, "leases", "nl", "runner.log"), "utf8");
      expect(runnerLog).toMatch(
        /notified task-failed\.\w+\.2: webhook http:\/\/127\.0\.0\.1:\d+\/… \(json\) answered 200/,
      );
      const shown = await rv(home.root, ["notify", "show", "--json"]);
      expect(shown.stdout).not.toContain(token);
    } finally {
      await rv(home.root, ["notify", "off"]);
      hook.close();
    }
  });

  it("a released lease is told ended once; started again, it is a new life, told again", async () => {
    const hook = await webhook();
    try {
      const url = `http://127.0.0.1:${hook.port}/hook`;
      const set = await rv(home.root, ["notify", "set", "--webhook", url, "--on", "lease-started,lease-ended"]);
      expect(set.exitCode, set.stderr as string).toBe(0);
      for (let life = 1; life <= 2; life++) {
        expect((await rv(home.root, ["lease", "up", "--local", "--name", "rl"])).exitCode).toBe(0);
        const released = await rv(home.root, ["lease", "release", "rl", "--wait"]);
        expect(released.exitCode, released.stderr as string).toBe(0);
        await waitFor(() => count(hook.events, "lease-ended") === life, { what: `lease-ended ${life}` });
      }
      expect(hook.events.map((e) => [e.type, e.ended ?? null])).toEqual([
        ["lease-started", null],
        ["lease-ended", "released"],
        ["lease-started", null],
        ["lease-ended", "released"],
      ]);
    } finally {
      await rv(home.root, ["notify", "off"]);
      hook.close();
    }
  });
});
