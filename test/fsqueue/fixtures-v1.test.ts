/**
 * Pins the on-disk format of protocol v1: records written by earlier versions of rv, checked in under
 * test/fixtures/v1/, must still parse, whole (no field dropped or changed), with the current schemas.
 * A failure here means a change broke v1 files already on users' disks: bump `v` instead.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import {
  ControlSchema,
  DoneSchema,
  EventSchema,
  HeartbeatSchema,
  LeaseSchema,
  nextAttempt,
  parseRecord,
  TaskSchema,
} from "../../src/fsqueue/index.ts";
import type { z } from "../../src/zod.ts";

const dir = join(import.meta.dirname, "..", "fixtures", "v1");

const records: [file: string, schema: z.ZodMiniType<unknown>][] = [
  ["task.json", TaskSchema],
  ["done.json", DoneSchema],
  ["done-usage.json", DoneSchema],
  ["heartbeat.json", HeartbeatSchema],
  ["lease.json", LeaseSchema],
  ["control.cancel", ControlSchema],
];

test.each(records)("v1 fixture %s still parses, whole", (file, schema) => {
  const text = readFileSync(join(dir, file), "utf8");
  const parsed = parseRecord(text, schema);
  expect(parsed).toEqual({ ok: true, value: JSON.parse(text) });
});

test("v1 fixture events.jsonl: every line still parses, whole", () => {
  const lines = readFileSync(join(dir, "events.jsonl"), "utf8").trimEnd().split("\n");
  expect(lines.length).toBeGreaterThan(1);
  for (const line of lines) expect(parseRecord(line, EventSchema)).toEqual({ ok: true, value: JSON.parse(line) });
});

test("a v1 task with a field a newer rv added keeps it through a reader and a requeue of this build", () => {
  const task = JSON.parse(readFileSync(join(dir, "task.json"), "utf8"));
  const newer = { ...task, addedLater: { by: "a newer rv" } };
  const parsed = parseRecord(JSON.stringify(newer), TaskSchema);
  expect(parsed).toEqual({ ok: true, value: newer });
  if (!parsed.ok) return;
  expect(nextAttempt(parsed.value, "interrupted")).toMatchObject({ addedLater: { by: "a newer rv" } });
});
