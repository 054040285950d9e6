/** The pure parts of rv notify: keys, which events a setting selects, payloads, masking, settings, sweep tallies. */
import { describe, expect, test } from "vitest";
import type { Done } from "../../src/fsqueue/index.ts";
import {
  backoffBefore,
  changeSettings,
  DEFAULT_DELIVERY,
  eventEnv,
  eventOf,
  guessFormat,
  headerValue,
  maskCommand,
  maskUrl,
  NOTIFY_EVENTS,
  type NotifySettings,
  type Occurrence,
  occurrenceKey,
  redact,
  retryableStatus,
  sendAs,
  tallySweep,
  urlSecrets,
  webhookRequest,
} from "../../src/notify/index.ts";
import { makeDone, makeTask } from "../fsqueue/factory.ts";

const now = new Date("2025-03-01T12:00:00Z");
const context = { host: "node7", now };
const SECRET_URL = "https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX?token=hunter2hunter2";

const failed: Occurrence = {
  kind: "task-failed",
  lease: "gpu4",
  task: "0mx7ebigbw724",
  name: "lr=1e-3,seed=1",
  attempt: 2,
  exitCode: 3,
  signal: null,
  reason: "exit code 3",
};
const sweepDone: Occurrence = {
  kind: "sweep-done",
  lease: "gpu4",
  sweep: "sw-5d41a2",
  counts: { points: 9, succeeded: 8, failed: 1, cancelled: 0, round: "abc" },
};

describe("event keys: each event once", () => {
  test("a task's failure per attempt, a sweep's end per round, a lease's start and end once per life", () => {
    expect(occurrenceKey(failed)).toBe("task-failed.0mx7ebigbw724.2");
    expect(occurrenceKey({ ...failed, attempt: 3 } as Occurrence)).toBe("task-failed.0mx7ebigbw724.3");
    expect(occurrenceKey(sweepDone)).toBe("sweep-done.sw-5d41a2.abc");
    expect(occurrenceKey({ kind: "lease-started", lease: "gpu4" })).toBe("lease-started");
    expect(occurrenceKey({ kind: "lease-ended", lease: "gpu4", ended: "released" })).toBe("lease-ended");
    // An idle release is the lease's end: one key, so it is not told twice.
    expect(occurrenceKey({ kind: "lease-idle", lease: "gpu4", why: "idle" })).toBe("lease-ended");
  });
});

describe("which events a setting selects", () => {
  test("an event is sent when picked; an idle release falls back to lease-ended; others are not sent", () => {
    expect(sendAs(["task-failed"], "task-failed")).toBe("task-failed");
    expect(sendAs(["task-failed"], "sweep-done")).toBeNull();
    expect(sendAs(["lease-idle", "lease-ended"], "lease-idle")).toBe("lease-idle");
    expect(sendAs(["lease-ended"], "lease-idle")).toBe("lease-ended");
    expect(sendAs(["lease-idle"], "lease-ended")).toBeNull();
    expect(sendAs([...NOTIFY_EVENTS], "lease-started")).toBe("lease-started");
  });
});

describe("the event and its payloads", () => {
  const event = eventOf(failed, "task-failed", context);

  test("an event carries its fields flat and says what happened in one line", () => {
    expect(event).toMatchObject({
      v: 1,
      type: "task-failed",
      key: "task-failed.0mx7ebigbw724.2",
      time: "2025-03-01T12:00:00.000Z",
      lease: "gpu4",
      host: "node7",
      task: "0mx7ebigbw724",
      name: "lr=1e-3,seed=1",
      attempt: 2,
      exitCode: 3,
    });
    expect(event.text).toBe("task 0mx7ebigbw724 (lr=1e-3,seed=1) failed in lease gpu4: exit code 3 (attempt 2)");
    expect(eventOf(sweepDone, "sweep-done", context).text).toBe(
      "sweep sw-5d41a2 done in lease gpu4: 9 points, 8 succeeded, 1 failed",
    );
    expect(eventOf({ kind: "lease-idle", lease: "gpu4", why: "idle 30 s" }, "lease-ended", context)).toMatchObject({
      type: "lease-ended",
      ended: "idle",
      text: "lease gpu4 was released: idle 30 s",
    });
  });

  test("a command's environment: RV_EVENT_<FIELD> for every field set", () => {
    const env = eventEnv(event);
    expect(env).toMatchObject({
      RV_EVENT_TYPE: "task-failed",
      RV_EVENT_TASK: "0mx7ebigbw724",
      RV_EVENT_NAME: "lr=1e-3,seed=1",
      RV_EVENT_EXIT_CODE: "3",
      RV_EVENT_TEXT: event.text,
    });
    expect(env).not.toHaveProperty("RV_EVENT_SIGNAL"); // null: left out
    expect(eventEnv(eventOf(sweepDone, "sweep-done", context))).toMatchObject({
      RV_EVENT_SWEEP: "sw-5d41a2",
      RV_EVENT_FAILED: "1",
    });
  });

  test("slack: {text}; ntfy: plain text with Title, Tags and Priority headers; json: the event itself", () => {
    const slack = webhookRequest("slack", event);
    expect(slack.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(slack.body)).toEqual({ text: `rv: ${event.text}` });
    const ntfy = webhookRequest("ntfy", event);
    expect(ntfy.body).toBe(event.text);
    expect(ntfy.headers).toMatchObject({ title: "rv: task failed", tags: "x", priority: "high" });
    const done = webhookRequest("ntfy", eventOf(sweepDone, "sweep-done", context));
    expect(done.headers).toMatchObject({ tags: "checkered_flag,warning", priority: "high" });
    expect(JSON.parse(webhookRequest("json", event).body)).toEqual(event);
  });

  test("a header that is not printable ASCII goes as an RFC 2047 word; line breaks never reach a header", () => {
    expect(headerValue("rv: task failed")).toBe("rv: task failed");
    expect(headerValue("a\r\nInjected: yes")).toBe("a Injected: yes");
    const encoded = headerValue("lr=1e-3 · 学习率");
    expect(encoded).toMatch(/^=\?UTF-8\?B\?.+\?=$/);
    expect(Buffer.from(encoded.slice(10, -2), "base64").toString("utf8")).toBe("lr=1e-3 · 学习率");
  });
});

describe("masking: only the scheme and host are ever shown", () => {
  test("a URL is masked to its scheme and host; its path, query and user never show", () => {
    expect(maskUrl(SECRET_URL)).toBe("https://hooks.slack.com/…");
    expect(maskUrl("https://ntfy.sh")).toBe("https://ntfy.sh");
    expect(maskUrl("http://user:pa55word@127.0.0.1:8080/x")).toBe("http://127.0.0.1:8080/…");
    expect(maskUrl("not a url")).toBe("(not a URL)");
  });

  test("text that repeats the URL or its parts is redacted", () => {
    const said = `fetch ${SECRET_URL} failed; path /services/T000/B000/XXXXsecretXXXX; token hunter2hunter2`;
    const clean = redact(said, urlSecrets(SECRET_URL));
    expect(clean).not.toContain("XXXXsecretXXXX");
    expect(clean).not.toContain("hunter2hunter2");
    expect(clean).toContain("fetch");
  });

  test("a command shows its program only", () => {
    expect(maskCommand("curl -H 'Authorization: Bearer abc' https://x")).toBe("curl …");
    expect(maskCommand("./notify.sh")).toBe("./notify.sh");
  });
});

describe("settings", () => {
  const base = (over: Partial<NotifySettings> = {}): NotifySettings => ({
    v: 1,
    webhook: { url: "https://ntfy.sh/topic-abc", format: "ntfy" },
    command: null,
    on: ["task-failed"],
    updatedAt: now.toISOString(),
    ...over,
  });

  test("the format follows the webhook's host unless given", () => {
    expect(guessFormat(SECRET_URL)).toBe("slack");
    expect(guessFormat("https://ntfy.sh/x")).toBe("ntfy");
    expect(guessFormat("https://ntfy.example.org/x")).toBe("ntfy");
    expect(guessFormat("http://127.0.0.1:9/hook")).toBe("json");
    expect(changeSettings(null, { webhook: SECRET_URL }, now)).toMatchObject({
      webhook: { url: SECRET_URL, format: "slack" },
      command: null,
      on: [...NOTIFY_EVENTS],
    });
  });

  test("a flag given replaces its setting, the rest stay; null removes", () => {
    const current = base();
    expect(changeSettings(current, { on: ["sweep-done"] }, now)).toMatchObject({
      webhook: current.webhook,
      on: ["sweep-done"],
    });
    expect(changeSettings(current, { command: "./tell.sh" }, now)).toMatchObject({
      webhook: current.webhook,
      command: "./tell.sh",
    });
    expect(changeSettings(current, { format: "json" }, now).webhook?.format).toBe("json");
    const moved = changeSettings(current, { webhook: "http://127.0.0.1:9/hook" }, now);
    expect(moved.webhook).toEqual({ url: "http://127.0.0.1:9/hook", format: "json" });
    const commandOnly = changeSettings(base({ command: "./tell.sh" }), { webhook: null }, now);
    expect(commandOnly).toMatchObject({ webhook: null, command: "./tell.sh" });
  });

  test("refused: a URL that is not http(s) (never echoed), nothing left to send to, a format without a webhook", () => {
    expect(() => changeSettings(null, { webhook: "ftp://secret-token@host/x" }, now)).toThrow(
      /^--webhook: expected an http/,
    );
    try {
      changeSettings(null, { webhook: "ftp://secret-token@host/x" }, now);
    } catch (error) {
      expect(String(error)).not.toContain("secret-token");
    }
    expect(() => changeSettings(base(), { webhook: null }, now)).toThrow(/nothing to notify/);
    expect(() => changeSettings(null, { format: "slack", command: "x" }, now)).toThrow(/--format applies/);
  });
});

describe("delivery policy", () => {
  test("3 tries, 10 s each, waits of 1 s then 2 s; only 429 and 5xx are worth another try", () => {
    expect(DEFAULT_DELIVERY).toEqual({ tries: 3, timeoutMs: 10_000, backoffMs: 1000 });
    expect([2, 3].map((next) => backoffBefore(DEFAULT_DELIVERY, next))).toEqual([1000, 2000]);
    expect([500, 503, 429].every(retryableStatus)).toBe(true);
    expect([400, 401, 404, 410].some(retryableStatus)).toBe(false);
  });
});

describe("a sweep's end, from its points' done records", () => {
  const point = (i: number, state: Done["state"], points: number | undefined = 3, id?: string) =>
    makeDone(
      makeTask({
        ...(id && { id }),
        sweep: { id: "sw-1", point: { seed: String(i) }, ...(points !== undefined && { points }) },
      }),
      { state },
    );

  test("not over while fewer points ended than it has; then counted by state", () => {
    const records = [point(1, "succeeded"), point(2, "failed")];
    expect(tallySweep(records)).toBeNull();
    const all = [...records, point(3, "cancelled")];
    expect(tallySweep(all)).toMatchObject({ points: 3, succeeded: 1, failed: 1, cancelled: 1 });
  });

  test("a point submitted again counts once, as its newest task ended; each end is a new round", () => {
    const first = [point(1, "succeeded"), point(2, "failed"), point(3, "succeeded")];
    const again = point(2, "succeeded");
    const round1 = tallySweep(first);
    const round2 = tallySweep([...first, again]);
    expect(round2).toMatchObject({ points: 3, succeeded: 3, failed: 0 });
    expect(round1?.round).not.toBe(round2?.round);
    // The same records in another order: the same round (two runners agree).
    expect(tallySweep([...first].reverse())?.round).toBe(round1?.round);
  });

  test("a sweep whose size was not recorded is never called over", () => {
    expect(tallySweep([point(1, "succeeded", undefined)])).toBeNull();
  });
});
