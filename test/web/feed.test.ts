import { getEventListeners } from "node:events";
import { afterEach, describe, expect, test, vi } from "vitest";
import { RvError } from "../../src/errors.ts";
import type { Place } from "../../src/ops/index.ts";
import type { TuiAsk, TuiSnapshot } from "../../src/ops/tui-snapshot.ts";
import { webApp } from "../../src/web/app.ts";
import { LiveFeed, SWEEP_TAIL_BYTES, type Watcher } from "../../src/web/feed.ts";
import { GPU_HISTORY_KEPT_MS } from "../../src/web/leases.ts";
import { WebSnapshotSchema, WebSweepMetricsSchema } from "../../src/web/schema.ts";
import { snapshot as fixture } from "../cli/tui/fixtures.ts";
import { makeSlurmLease } from "../helpers/slurm-lease.ts";
import { waitFor } from "../helpers/wait.ts";

// The feed behind every page of `rv ui` and the door in front of it, in-process against fake places: what each
// page receives, how often each place is read, and which requests get in. The real thing runs in test/e2e/ui.test.ts.

/** The feed calls ops, never lists them. */
const unused = () => Promise.reject(new Error("the feed lists nothing"));

/** A place answering the tui op with the TUI's fixture (and the logs asked, named after their task), and any op
 * given in `answers`; it counts the reads and keeps what each asked. */
function fakePlace(name: string, answers: Record<string, unknown> = {}, read: Partial<TuiSnapshot> = {}) {
  const asks: TuiAsk[] = [];
  const calls: { op: string; input: unknown }[] = [];
  const place: Place = {
    name,
    kind: name === "local" ? "local" : "cluster",
    where: name === "local" ? "this machine" : `cluster ${name}`,
    list: unused,
    async call(op, input) {
      if (op.name !== "tui") {
        calls.push({ op: op.name, input });
        return answers[op.name] as never;
      }
      const ask = op.input.parse(input) as TuiAsk;
      asks.push(ask);
      const logs = ask.logs.map((l) => ({
        taskId: l.taskId,
        stream: l.stream,
        text: `log of ${l.taskId}\nloss=${l.taskId.length} tail=${l.tailBytes}`,
        bytes: 9,
      }));
      return { ...fixture, ...read, logs } satisfies TuiSnapshot as never;
    },
  };
  return { place, asks, calls };
}

function recorder(log: Watcher["log"] = null) {
  const got = { snapshots: [] as string[], logs: [] as string[] };
  const watcher: Watcher = {
    log,
    onSnapshot: (json) => got.snapshots.push(json),
    onLog: (json) => got.logs.push(json),
  };
  return { watcher, got };
}

const feeds: LiveFeed[] = [];
const feedOf = (...places: Place[]) => {
  const feed = new LiveFeed(places.map((place) => ({ place, everyMs: 20 })));
  feeds.push(feed);
  return feed;
};
afterEach(() => {
  for (const feed of feeds.splice(0)) feed.close();
});

const [first, second] = fixture.tasks;

describe("the feed behind every open page", () => {
  test("two pages get the same refreshes: each place is read once a refresh, however many watch", async () => {
    const { place, asks } = fakePlace("local");
    const feed = feedOf(place);
    const a = recorder();
    const b = recorder();
    const unwatchA = feed.watch(a.watcher);
    const unwatchB = feed.watch(b.watcher);
    await waitFor(() => b.got.snapshots.length >= 5, { what: "five refreshes" });
    unwatchA();
    unwatchB();
    // Every read made one snapshot, which both pages got as the very same JSON text.
    expect(asks.length).toBeLessThanOrEqual(a.got.snapshots.length);
    expect(b.got.snapshots.every((json) => a.got.snapshots.includes(json))).toBe(true);
    const sent = WebSnapshotSchema.parse(JSON.parse(b.got.snapshots.at(-1) ?? ""));
    expect(sent.leases.map((l) => [l.place, l.id])).toEqual([
      ["local", "local"],
      ["local", "gpu4"],
    ]);
    expect(sent.places[0]).toMatchObject({ name: "local", error: null });
  });

  test("the logs two pages follow come in the same read; each page gets its own", async () => {
    const { place, asks } = fakePlace("local");
    const feed = feedOf(place);
    const a = recorder({ taskId: first?.id ?? "", stream: "stdout" });
    const b = recorder({ taskId: second?.id ?? "", stream: "stderr" });
    feed.watch(a.watcher);
    feed.watch(b.watcher);
    await waitFor(() => a.got.logs.length > 0 && b.got.logs.length > 0, { what: "both logs" });
    expect(asks.some((ask) => ask.logs.length === 2)).toBe(true);
    expect(a.got.logs.map((json) => JSON.parse(json).text.split("\n")[0])).toContain(`log of ${first?.id}`);
    expect(b.got.logs.every((json) => JSON.parse(json).taskId === second?.id)).toBe(true);
    expect(JSON.parse(b.got.logs[0] ?? "").stream).toBe("stderr");
  });

  test("a charted sweep: each point's stdout tail is read once a refresh, an ended point once for all", async () => {
    if (!first || !second) throw new Error("the fixture has two tasks");
    const point = (task: typeof first, i: number, state: typeof first.state) => ({
      ...task,
      state,
      startedAt: "2026-01-01T00:00:00.000Z",
      sweep: { id: "sw-1", point: { lr: String(i) } },
    });
    const running = point(first, 0, "running");
    const ended = point(second, 1, "succeeded");
    const points = [running, ended];
    const { place, asks } = fakePlace("local", {}, { tasks: [...fixture.tasks.slice(2), ...points] });
    const feed = feedOf(place);
    const a = { ...recorder(), sweeps: [] as string[] };
    const b = { ...recorder(), sweeps: [] as string[] };
    for (const page of [a, b])
      feed.watch({ ...page.watcher, sweep: "sw-1", onSweep: (json) => page.sweeps.push(json) });
    await waitFor(() => b.sweeps.length >= 4, { what: "four refreshes of the sweep" });
    // The same JSON to both pages; every point's last loss; the tail read is SWEEP_TAIL_BYTES, not a whole log.
    expect(b.sweeps.every((json) => a.sweeps.includes(json))).toBe(true);
    const sent = WebSweepMetricsSchema.parse(JSON.parse(b.sweeps.at(-1) ?? ""));
    expect(sent).toMatchObject({ sweep: "sw-1", points: 2, read: 2 });
    expect(sent.metrics[running.id]).toEqual({ loss: running.id.length, tail: SWEEP_TAIL_BYTES });
    expect(Object.keys(sent.metrics).sort()).toEqual(points.map((t) => t.id).sort());
    // Each read (after the first, which learns the points) asked for the running point's log once; the ended
    // one's only once in all.
    const asked = asks.map((ask) => ask.logs.map((l) => l.taskId));
    expect(asked.slice(1).every((ids) => ids.filter((id) => id === running.id).length === 1)).toBe(true);
    expect(asked.flat().filter((id) => id === ended.id)).toHaveLength(1);
    // The read that learnt the points is followed at once (not a refresh later) by one that reads them all.
    expect(asked[0]).toEqual([]);
    expect([...(asked[1] ?? [])].sort()).toEqual(points.map((t) => t.id).sort());
  });

  test("nothing is read while no page watches", async () => {
    const { place, asks } = fakePlace("local");
    const feed = feedOf(place);
    const a = recorder();
    // The feed's clock is setTimeout: fake timers move it on by whole refreshes, without waiting for them.
    vi.useFakeTimers();
    try {
      const unwatch = feed.watch(a.watcher);
      await vi.advanceTimersByTimeAsync(100);
      expect(a.got.snapshots.length).toBeGreaterThanOrEqual(2);
      unwatch();
      const reads = asks.length;
      await vi.advanceTimersByTimeAsync(1000); // fifty refreshes' worth
      expect(asks.length).toBe(reads);
    } finally {
      vi.useRealTimers();
    }
  });

  test("with no page open, snapshots asked together or within a refresh cost the place one read", async () => {
    const { place, asks } = fakePlace("local");
    const feed = new LiveFeed([{ place, everyMs: 60_000 }]);
    feeds.push(feed);
    await Promise.all(Array.from({ length: 10 }, () => feed.snapshot()));
    expect(asks).toHaveLength(1);
    for (let i = 0; i < 5; i++) await feed.snapshot();
    expect(asks).toHaveLength(1);
  });

  test("a read still going when the server closes is told to stop", async () => {
    let signal: AbortSignal | undefined;
    const hanging: Place = {
      name: "dev",
      kind: "cluster",
      where: "cluster dev",
      list: unused,
      call: (_op, _input, options) => {
        signal = options?.signal;
        return new Promise(() => {});
      },
    };
    const feed = feedOf(hanging);
    void feed.snapshot();
    await waitFor(() => signal, { what: "the read to start" });
    expect(signal?.aborted).toBe(false);
    feed.close();
    expect(signal?.aborted).toBe(true);
  });

  test("a cluster out of reach shows its error, and this machine's leases keep coming", async () => {
    const { place } = fakePlace("local");
    const down: Place = {
      name: "dev",
      kind: "cluster",
      where: "cluster dev",
      list: unused,
      call: async () => {
        throw new RvError("unreachable", "ssh: connect to host dev: Connection refused\nmore");
      },
    };
    const feed = feedOf(place, down);
    const snapshot = await feed.snapshot();
    expect(snapshot.places.map((p) => [p.name, p.error])).toEqual([
      ["local", null],
      ["dev", "ssh: connect to host dev: Connection refused"],
    ]);
    expect(snapshot.leases).toHaveLength(2);
  });
});

describe("the door: the token, and actions from the page only", () => {
  const token = "t".repeat(43);
  const host = "127.0.0.1:4321";
  const cookie = `rv-ui-4321=${token}`;
  const cancelled = { tasks: [{ id: first?.id, lease: first?.lease, outcome: "cancelled" }], elsewhere: [] };
  const app = () =>
    webApp({
      token,
      host: "127.0.0.1",
      port: () => 4321,
      feed: feedOf(fakePlace("local", { cancel: cancelled }).place),
      assets: { html: "<html></html>", script: "", style: "" },
      closing: new AbortController().signal,
    });
  const request = (path: string, headers: Record<string, string> = {}, method = "GET") =>
    app().request(`http://${host}${path}`, { method, headers: { host, ...headers } });

  test("no token, or a wrong one: 401 on every path, the event stream included", async () => {
    for (const path of ["/", "/api/snapshot", "/api/events", "/assets/app.js", "/nowhere"]) {
      expect((await request(path)).status, path).toBe(401);
      expect((await request(path, { authorization: "Bearer x" })).status, path).toBe(401);
      expect((await request(path, { cookie: "rv-ui-4321=x" })).status, path).toBe(401);
    }
  });

  test("the URL's token becomes a cookie for this port only, and leaves the address bar", async () => {
    const answer = await request(`/?token=${token}`);
    expect(answer.status).toBe(303);
    expect(answer.headers.get("location")).toBe("/");
    expect(answer.headers.get("set-cookie")).toBe(`rv-ui-4321=${token}; Path=/; HttpOnly; SameSite=Lax`);
    const page = await request("/", { cookie });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
  });

  test("an action with the cookie needs the page's own origin; with the token in a header it needs none", async () => {
    const cancel = `/api/tasks/${first?.id}/cancel`;
    expect((await request(cancel, { cookie, origin: "http://evil.example" }, "POST")).status).toBe(403);
    expect((await request(cancel, { cookie }, "POST")).status).toBe(403);
    // A sandboxed frame or a redirected form says Origin: null; a page of another port of this host is another
    // origin though the same site (and the browser sends it this cookie: cookies are per host, not per port).
    expect((await request(cancel, { cookie, origin: "null" }, "POST")).status).toBe(403);
    expect((await request(cancel, { cookie, origin: "http://127.0.0.1:8888" }, "POST")).status).toBe(403);
    expect((await request(`${cancel}?token=${token}`, { origin: `http://${host}` }, "POST")).status).toBe(401);
    const own = await request(cancel, { cookie, origin: `http://${host}` }, "POST");
    expect(await own.json()).toEqual({ v: 1, id: first?.id, action: "cancel", outcome: "cancelled" });
    const script = await request(cancel, { authorization: `Bearer ${token}` }, "POST");
    expect(script.status).toBe(200);
  });

  test("on loopback, a request naming another host is refused, the token notwithstanding (DNS rebinding)", async () => {
    const bearer = { authorization: `Bearer ${token}` };
    for (const forged of ["evil.example:4321", "127.0.0.1:80", "localhost", "127.0.0.1.evil.example:4321"]) {
      expect((await request("/api/snapshot", { ...bearer, host: forged })).status, forged).toBe(403);
    }
    for (const own of ["127.0.0.1:4321", "localhost:4321", "[::1]:4321", "LOCALHOST:4321"]) {
      expect((await request("/api/snapshot", { ...bearer, host: own })).status, own).toBe(200);
    }
  });

  test("a task no lease holds is a 404 with a hint; a bad stream a 400", async () => {
    const missing = await request("/api/tasks/nope/cancel", { authorization: `Bearer ${token}` }, "POST");
    expect(missing.status).toBe(404);
    expect((await missing.json()).error).toMatchObject({ code: "not_found", hint: "rv tasks lists them" });
    const bad = await request(`/api/log?task=${first?.id}&stream=both`, { authorization: `Bearer ${token}` });
    expect(bad.status).toBe(400);
  });
});

describe("the lease and cluster pages' answers, and the lease actions", () => {
  const iso = (epoch: number) => new Date(epoch * 1000).toISOString();
  const token = "t".repeat(43);
  const bearer = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const strategy = (id: string, partition: string) => ({ id, partition });
  const answers = {
    resources: {
      at: "2026-01-01T00:00:00.000Z",
      pools: [{ partition: "gpu", type: "a100", nodes: 2, total: 8, allocated: 6, idle: 2, planned: 0 }],
      reservations: [],
    },
    "lease-show": {
      lease: makeSlurmLease({ id: "gpu4", request: { gpusPerNode: 4 } }),
      summary: { gpus: { total: 4, busy: 1, free: 3 }, runners: [] },
      slurm: {
        // One segment that ran from 1,000 s to 4,000 s: the lease held its 4 GPUs then.
        segments: [
          {
            segment: { n: 0, ended: { state: "COMPLETED", start: iso(1000), end: iso(4000), nodes: [] } },
            job: { state: { kind: "completed", raw: "COMPLETED" }, start: { kind: "at", epoch: 1000 } },
          },
        ],
        race: [{ rank: 1, strategyId: "a100:1x4:2h", jobId: "812", state: "won", startEpoch: null, reason: null }],
        alloc: {
          race: {
            attempt: 1,
            startedAt: "2026-01-01T00:00:00.000Z",
            decision: {
              at: 0,
              candidates: [
                {
                  strategy: strategy("a100:1x4:2h", "gpu"),
                  estimate: null,
                  probe: null,
                  rank: 1,
                  kept: true,
                  why: "first",
                },
                {
                  strategy: strategy("v100:1x4:2h", "old"),
                  estimate: null,
                  probe: null,
                  rank: null,
                  kept: false,
                  why: "VRAM",
                },
              ],
            },
          },
          claim: { rank: 1, strategyId: "a100:1x4:2h", jobId: "812" },
        },
      },
    },
    "lease-gpus": {
      since: 0,
      until: 5000,
      busy: { times: [0, 2000, 3000, 5000], values: [0, 1, 0, 0] },
      lastChange: 3000,
    },
    "lease-release": { mode: "stop", dryRun: false, leases: [{ id: "gpu4", kind: "slurm", cancelled: ["812"] }] },
    submit: { lease: "gpu4", tasks: [{ id: "t1", name: "web" }], warnings: [] },
  };
  const local = fakePlace("local");
  const dev = fakePlace("dev", answers);
  const app = webApp({
    token,
    host: "127.0.0.1",
    port: () => 4321,
    feed: feedOf(local.place, dev.place),
    assets: { html: "", script: "", style: "" },
    closing: new AbortController().signal,
    secretsFor: async (place) => ({ WANDB_API_KEY: `key of ${place.name}` }),
  });
  const request = (path: string, method = "GET", body?: object) =>
    app.request(`http://127.0.0.1:4321${path}`, {
      method,
      headers: bearer,
      ...(body && { body: JSON.stringify(body) }),
    });

  test("the cluster: its pools, and each Slurm lease's race with every strategy kept or dropped", async () => {
    const answer = await (await request("/api/cluster")).json();
    expect(answer.clusters).toHaveLength(1);
    const [cluster] = answer.clusters;
    expect(cluster).toMatchObject({ name: "dev", error: null, resources: answers.resources });
    // The cluster's Slurm lease read with --alloc (its local lease is not); the local place is no cluster.
    expect(dev.calls.filter((c) => c.op === "lease-show").map((c) => c.input)).toEqual([
      { lease: "gpu4", alloc: true },
    ]);
    expect(cluster.races[0]).toMatchObject({
      attempt: 1,
      winner: { rank: 1, strategyId: "a100:1x4:2h", jobId: "812" },
      rows: [{ strategyId: "a100:1x4:2h", state: "won" }],
    });
    expect(cluster.races[0].candidates.map((c: { kept: boolean; why: string }) => [c.kept, c.why])).toEqual([
      [true, "first"],
      [false, "VRAM"],
    ]);
    expect(local.calls).toEqual([]);
  });

  test("a lease's GPUs over its last day, as its place reads them: once a minute at most, whichever page asks", async () => {
    const history = { v: 1, place: "dev", lease: "gpu4", gpus: answers["lease-gpus"] };
    const reads = () => dev.calls.filter((c) => c.op === "lease-gpus");
    const shows = () => dev.calls.filter((c) => c.op === "lease-show").length;
    const shown = shows();
    expect(await (await request("/api/leases/dev/gpu4/gpus")).json()).toEqual(history);
    // The last day as the cluster's clock has it, not this machine's; what the lease held the page knows already.
    expect(reads().map((c) => c.input)).toEqual([{ lease: "gpu4", seconds: 86_400 }]);
    expect(shows()).toBe(shown);
    // Two more pages (or the same one again) within the minute: the answer kept.
    await Promise.all([request("/api/leases/dev/gpu4/gpus"), request("/api/leases/dev/gpu4/gpus")]);
    expect(reads()).toHaveLength(1);
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.now() + GPU_HISTORY_KEPT_MS);
      expect(await (await request("/api/leases/dev/gpu4/gpus")).json()).toEqual(history);
      expect(reads()).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
    expect(local.calls).toEqual([]);
  });

  test("release and submit go to the lease's place through its ops, a submit with that place's secrets", async () => {
    const release = await (await request("/api/leases/dev/gpu4/release", "POST", { now: true })).json();
    expect(release).toEqual({
      v: 1,
      lease: "gpu4",
      action: "release",
      outcome: "released (running tasks stopped, 1 job cancelled)",
      task: null,
    });
    expect(dev.calls.at(-1)).toEqual({ op: "lease-release", input: { leases: ["gpu4"], now: true } });
    const submit = await (
      await request("/api/leases/dev/gpu4/submit", "POST", { shell: " echo hi ", name: "web" })
    ).json();
    expect(submit).toMatchObject({ action: "submit", outcome: "submitted t1", task: "t1" });
    expect(dev.calls.at(-1)).toEqual({
      op: "submit",
      input: {
        lease: "gpu4",
        specs: [{ shell: "echo hi", gpus: 0, cpus: 1, name: "web" }],
        secrets: { WANDB_API_KEY: "key of dev" },
      },
    });
    expect((await request("/api/leases/mars/gpu4/release", "POST")).status).toBe(404);
  });
});

describe("a page's event stream", () => {
  const token = "t".repeat(43);
  /** A feed whose refreshes the test sends itself, to the pages watching now. */
  const stubFeed = () => {
    const watchers = new Set<Watcher>();
    const feed = {
      watchers,
      watch(watcher: Watcher) {
        watchers.add(watcher);
        return () => watchers.delete(watcher);
      },
    };
    return feed;
  };
  const appWith = (feed: ReturnType<typeof stubFeed>, closing: AbortSignal) =>
    webApp({
      token,
      host: "127.0.0.1",
      port: () => 4321,
      feed: feed as unknown as LiveFeed,
      assets: { html: "", script: "", style: "" },
      closing,
    });
  const open = (app: ReturnType<typeof appWith>) =>
    app.request("http://127.0.0.1:4321/api/events", { headers: { authorization: `Bearer ${token}` } });
  const snapshotAt = (at: number, tasks: number) =>
    JSON.stringify({ v: 1, at: new Date(at).toISOString(), places: [], leases: [], tasks: Array(tasks).fill("x") });

  test("a page that does not read keeps only the newest refresh waiting, and gets it once it reads", async () => {
    const feed = stubFeed();
    const app = appWith(feed, new AbortController().signal);
    const answer = await open(app);
    await waitFor(() => feed.watchers.size === 1, { what: "the stream to watch" });
    const [watcher] = feed.watchers;
    // 1,000 refreshes of 10,000 tasks each (about 40 kB) while the page reads nothing: before, every one of them
    // waited in the stream (40 MB); now the one being written and the newest.
    for (let i = 1; i <= 1000; i++) watcher?.onSnapshot(snapshotAt(i * 1000, 10_000 + i));
    const reader = answer.body?.getReader();
    if (!reader) throw new Error("no body");
    let text = "";
    const decoder = new TextDecoder();
    while (!text.includes(`"at":"${new Date(1_000_000).toISOString()}"`)) {
      text += decoder.decode((await reader.read()).value);
    }
    expect(text.match(/event: snapshot/g)?.length).toBeLessThanOrEqual(2);
    await reader.cancel();
  });

  test("a refresh that changed nothing but its time is not sent again; one that changed is", async () => {
    const feed = stubFeed();
    const answer = await open(appWith(feed, new AbortController().signal));
    await waitFor(() => feed.watchers.size === 1, { what: "the stream to watch" });
    const [watcher] = feed.watchers;
    const reader = answer.body?.getReader();
    if (!reader) throw new Error("no body");
    const decoder = new TextDecoder();
    const next = async () => decoder.decode((await reader.read()).value);
    watcher?.onSnapshot(snapshotAt(1000, 1));
    expect(await next()).toContain('"at":"1970-01-01T00:00:01.000Z"');
    watcher?.onSnapshot(snapshotAt(2000, 1));
    watcher?.onLog('{"v":1,"text":"a"}');
    watcher?.onLog('{"v":1,"text":"a"}');
    watcher?.onSnapshot(snapshotAt(3000, 2));
    let text = "";
    while (!text.includes("00:00:03")) text += await next();
    expect(text).not.toContain("00:00:02");
    expect(text.match(/event: log/g)).toHaveLength(1);
    await reader.cancel();
  });

  test("streams that end leave no listener on the server's shutdown signal", async () => {
    const feed = stubFeed();
    const closing = new AbortController();
    const app = appWith(feed, closing.signal);
    const before = getEventListeners(closing.signal, "abort").length;
    for (let i = 0; i < 20; i++) {
      const answer = await open(app);
      await waitFor(() => feed.watchers.size === 1, { what: "the stream to watch" });
      await answer.body?.cancel();
      await waitFor(() => feed.watchers.size === 0, { what: "the stream to end" });
    }
    expect(getEventListeners(closing.signal, "abort").length).toBe(before);
  });
});
