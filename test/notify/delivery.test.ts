/** Delivery for real: a node:http server on 127.0.0.1, /bin/sh for commands, markers on disk. No mocks. */

import { readFileSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { finishClaim, type LeasePaths, notifySettingsFile, publishTask } from "../../src/fsqueue/index.ts";
import {
  eventOf,
  Notifier,
  type NotifySettings,
  postWebhook,
  runCommand,
  SweepWatch,
  withRetries,
  writeNotifySettings,
} from "../../src/notify/index.ts";
import { makeOutcome, makeTask, openLease } from "../fsqueue/factory.ts";
import { makeHome } from "../helpers/home.ts";

interface Received {
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
}

/** A webhook that answers with the statuses given, one per request (the last one after that), and keeps what it got. */
async function webhookServer(
  statuses: number[] = [200],
): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      received.push({ path: req.url ?? "", headers: req.headers, body });
      res.statusCode = statuses[Math.min(received.length - 1, statuses.length - 1)] ?? 200;
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook/s3cr3t-t0ken?key=hunter2hunter2`, received, server };
}

const now = new Date("2025-03-01T12:00:00Z");
const fast = { tries: 3, timeoutMs: 2000, backoffMs: 10 };
const failed = {
  kind: "task-failed",
  lease: "l1",
  task: "abc123",
  name: "$(touch pwned)",
  attempt: 1,
  exitCode: 3,
  signal: null,
} as const;
const event = eventOf(failed, "task-failed", { host: "node7", now });

let home: { root: string; cleanup: () => void };
let p: LeasePaths;
let servers: Server[] = [];
beforeEach(() => {
  home = makeHome();
  p = openLease(home.root);
});
afterEach(async () => {
  for (const server of servers) server.close();
  servers = [];
  home.cleanup();
});

async function serve(statuses?: number[]) {
  const hook = await webhookServer(statuses);
  servers.push(hook.server);
  return hook;
}

describe("webhooks", () => {
  test("a 5xx is tried again with a doubling wait, up to 3 tries; the third answer counts", async () => {
    const hook = await serve([500, 503, 200]);
    const webhook = { url: hook.url, format: "json" } as const;
    const delivery = await withRetries(() => postWebhook(webhook, event, 2000), fast);
    expect(delivery).toMatchObject({ tries: 3, outcome: { ok: true, status: 200 } });
    expect(hook.received).toHaveLength(3);
    expect(JSON.parse(hook.received[0]?.body ?? "")).toEqual(event);
    expect(hook.received[0]?.headers["content-type"]).toBe("application/json");
  });

  test("a 404 is not tried again; a server that does not answer times out; neither message holds the URL", async () => {
    const hook = await serve([404]);
    const gone = await withRetries(() => postWebhook({ url: hook.url, format: "slack" }, event, 2000), fast);
    expect(gone).toMatchObject({ tries: 1, outcome: { ok: false, status: 404, detail: "answered 404" } });

    const silent = createServer(() => {}); // never answers
    servers.push(silent);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/s3cr3t-t0ken`;
    const slow = await postWebhook({ url, format: "json" }, event, 200);
    expect(slow).toMatchObject({ ok: false, retry: true, detail: "timed out after 0.2 s" });
    const refused = await postWebhook({ url: "http://127.0.0.1:1/s3cr3t-t0ken", format: "json" }, event, 2000);
    expect(refused.ok).toBe(false);
    expect(refused.detail).not.toContain("s3cr3t-t0ken");
  });

  test("ntfy: the text as the body, the title and tags as headers", async () => {
    const hook = await serve();
    await postWebhook({ url: hook.url, format: "ntfy" }, event, 2000);
    expect(hook.received[0]).toMatchObject({
      body: event.text,
      headers: { title: "rv: task failed", tags: "x", priority: "high" },
    });
  });
});

describe("commands", () => {
  test("the event arrives on stdin and as RV_EVENT_*; a task name that looks like shell stays text", async () => {
    const out = join(home.root, "out");
    const command = `cat > ${out}.json; printf '%s|%s' "$RV_EVENT_NAME" "$RV_EVENT_EXIT_CODE" > ${out}.env`;
    const result = await runCommand(command, event, { PATH: process.env.PATH }, 5000);
    expect(result).toMatchObject({ ok: true, exitCode: 0 });
    expect(JSON.parse(readFileSync(`${out}.json`, "utf8"))).toEqual(event);
    expect(readFileSync(`${out}.env`, "utf8")).toBe("$(touch pwned)|3");
    expect(() => statSync(join(home.root, "pwned"))).toThrow();
  });

  test("a command that fails says how, with its last line of stderr", async () => {
    const result = await runCommand("echo nope >&2; exit 4", event, { PATH: process.env.PATH }, 5000);
    expect(result).toMatchObject({ ok: false, retry: true, detail: "exited 4: nope", exitCode: 4 });
  });
});

describe("the notifier", () => {
  const settingsFor = (url: string, over: Partial<NotifySettings> = {}): NotifySettings => ({
    v: 1,
    webhook: { url, format: "json" },
    command: null,
    on: ["task-failed", "lease-ended"],
    updatedAt: now.toISOString(),
    ...over,
  });
  const notifier = (by: string, lines: string[]) =>
    new Notifier({ root: home.root, by, host: "node7", log: (l) => lines.push(l), env: {}, policy: fast });

  test("two senders (two runners) noticing the same failure send it once; the log never holds the URL", async () => {
    const hook = await serve();
    writeNotifySettings(home.root, settingsFor(hook.url));
    expect(statSync(notifySettingsFile(home.root)).mode & 0o777).toBe(0o600);
    const lines: string[] = [];
    const [a, b] = [notifier("runner-a", lines), notifier("runner-b", lines)];
    expect([a.announce(failed), b.announce(failed), a.announce(failed)]).toEqual([true, false, false]);
    await a.settle(5000);
    expect(hook.received).toHaveLength(1);
    expect(hook.received[0]?.path).toBe("/hook/s3cr3t-t0ken?key=hunter2hunter2");
    expect(lines).toEqual([
      expect.stringMatching(
        /^notified task-failed\.abc123\.1: webhook http:\/\/127\.0\.0\.1:\d+\/… \(json\) answered 200/,
      ),
    ]);
    expect(lines.join("\n")).not.toMatch(/s3cr3t|hunter2/);
  });

  test("an event the settings do not pick is not sent, and not marked (a later setting may pick it)", async () => {
    const hook = await serve();
    writeNotifySettings(home.root, settingsFor(hook.url, { on: ["sweep-done"] }));
    expect(notifier("r", []).announce(failed)).toBe(false);
    writeNotifySettings(home.root, settingsFor(hook.url));
    const n = notifier("r", []);
    expect(n.announce(failed)).toBe(true);
    await n.settle(5000);
    expect(hook.received).toHaveLength(1);
  });

  test("a webhook that fails every try is logged, masked, and never throws at the caller", async () => {
    const hook = await serve([500]);
    writeNotifySettings(home.root, settingsFor(hook.url));
    const lines: string[] = [];
    const n = notifier("r", lines);
    expect(n.announce({ kind: "lease-ended", lease: "l1", ended: "released" })).toBe(true);
    await n.settle(5000);
    expect(hook.received).toHaveLength(3);
    expect(lines[0]).toMatch(
      /^notification not sent: lease-ended: webhook http:\/\/127\.0\.0\.1:\d+\/… .* answered 500 \(3 tries\)/,
    );
  });

  test("no settings: nothing is sent, nothing is marked", () => {
    expect(notifier("r", []).announce(failed)).toBe(false);
  });
});

describe("a sweep's end on disk", () => {
  test("not over while a point is pending or running, even when every point has a done record", () => {
    const sweep = (i: number) => ({ sweep: { id: "sw-1", point: { i: String(i) }, points: 2 } });
    const [t1, t2] = [makeTask(sweep(1)), makeTask(sweep(2))];
    const watch = new SweepWatch(p);
    for (const t of [t1, t2]) publishTask(p, t);
    finishClaim(p, join(p.inbox, `${t1.id}.json`), t1, makeOutcome({ state: "failed" }));
    expect(watch.over("sw-1")).toBeNull();
    finishClaim(p, join(p.inbox, `${t2.id}.json`), t2, makeOutcome());
    expect(watch.over("sw-1")).toMatchObject({ points: 2, succeeded: 1, failed: 1 });
    // The failed point requeued: its old done record stays while it waits in the inbox again.
    publishTask(p, { ...t1, attempt: 2 });
    expect(watch.over("sw-1")).toBeNull();
  });
});
