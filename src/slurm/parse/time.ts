import { deferred } from "../../deferred.ts";
import { RvError } from "../../errors.ts";
import { z } from "../../zod.ts";

/**
 * Durations as Slurm prints them (time limits, elapsed, time left): `1-02:03:04`, `02:03:04`, `03:04`
 * (minutes:seconds), `5` (minutes, as `-t 5` means), `1-02` (days-hours), `UNLIMITED`/`INFINITE`,
 * `N/A`/`NONE`, `Partition_Limit`.
 */
export const DurationSchema = deferred(() =>
  z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("seconds"), seconds: z.int().check(z.nonnegative()) }),
    z.object({ kind: z.literal("unlimited") }),
    z.object({ kind: z.literal("none") }),
    z.object({ kind: z.literal("partition_limit") }),
    z.object({ kind: z.literal("other"), raw: z.string() }),
  ]),
);
export type Duration = z.infer<typeof DurationSchema>;

/**
 * Instants. Slurm prints them as `2026-11-23T02:40:01` (no zone), as epoch seconds (`--json`, or text output
 * under `SLURM_TIME_FORMAT=%s`), or as `Unknown`, `None`, `N/A`. `epoch` is seconds since 1970 UTC.
 */
export const InstantSchema = deferred(() =>
  z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("at"), epoch: z.int() }),
    z.object({ kind: z.literal("unknown") }),
    z.object({ kind: z.literal("none") }),
    z.object({ kind: z.literal("other"), raw: z.string() }),
  ]),
);
export type Instant = z.infer<typeof InstantSchema>;

/**
 * How to read a timestamp printed without a zone. Slurm prints wall-clock time in the zone of the process
 * that printed it (TZ, else /etc/localtime of the host the command ran on). rv parses on that host (the CLI
 * runs its own rv on the login node), so the default, the zone of this process, is the right one there.
 * Code that parses output fetched from another host passes that host's IANA zone; tests pass "UTC".
 * Run the commands with `SLURM_TIME_FORMAT=%s` to get epoch seconds and avoid the question.
 */
export interface TimeOptions {
  timeZone?: string;
}

const none = { kind: "none" } as const;

export function parseDuration(text: string): Duration {
  const t = text.trim();
  const upper = t.toUpperCase();
  if (upper === "UNLIMITED" || upper === "INFINITE") return { kind: "unlimited" };
  if (upper === "" || upper === "N/A" || upper === "NONE") return none;
  if (upper === "PARTITION_LIMIT") return { kind: "partition_limit" };
  const m = /^(?:(\d+)-)?(\d+(?::\d+){0,2})(?:\.\d+)?$/.exec(t);
  if (!m?.[2]) return { kind: "other", raw: text };
  const [a = 0, b = 0, c = 0] = m[2].split(":").map(Number);
  const parts = m[2].split(":").length;
  let seconds: number;
  if (m[1] !== undefined) seconds = Number(m[1]) * 86400 + a * 3600 + b * 60 + c;
  else if (parts === 1) seconds = a * 60;
  else if (parts === 2) seconds = a * 60 + b;
  else seconds = a * 3600 + b * 60 + c;
  return { kind: "seconds", seconds };
}

/** `D-HH:MM:SS` (or `HH:MM:SS` under a day), the form `sbatch -t` takes and Slurm prints. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  const pad = (n: number) => String(n).padStart(2, "0");
  const hms = `${pad(Math.floor((s % 86400) / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
  return s >= 86400 ? `${Math.floor(s / 86400)}-${hms}` : hms;
}

export function parseInstant(text: string, opts: TimeOptions = {}): Instant {
  const t = text.trim();
  const upper = t.toUpperCase();
  if (upper === "" || upper === "NONE" || upper === "N/A") return none;
  if (upper === "UNKNOWN") return { kind: "unknown" };
  if (/^\d+$/.test(t)) return { kind: "at", epoch: Number(t) };
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(t);
  if (!m) return { kind: "other", raw: text };
  const clock = m.slice(1).map((v) => Number(v ?? 0)) as WallClock;
  const [, mo, d, h, mi, s] = clock;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return { kind: "other", raw: text };
  return { kind: "at", epoch: wallClockToEpoch(clock, opts.timeZone) };
}

/** An epoch from `--json`: 0 means "not set" (Slurm prints `Unknown` for it in text). */
export function instantFromEpoch(epoch: number | null | undefined): Instant {
  if (epoch === null || epoch === undefined) return none;
  return epoch > 0 ? { kind: "at", epoch: Math.floor(epoch) } : { kind: "unknown" };
}

type WallClock = [year: number, month: number, day: number, hour: number, minute: number, second: number];

function wallClockToEpoch([y, mo, d, h, mi, s]: WallClock, timeZone: string | undefined): number {
  if (timeZone === undefined) return Math.floor(new Date(y, mo - 1, d, h, mi, s).getTime() / 1000);
  const asUtc = Date.UTC(y, mo - 1, d, h, mi, s);
  const first = asUtc - zoneOffsetMs(asUtc, timeZone);
  return (asUtc - zoneOffsetMs(first, timeZone)) / 1000; // a second pass lands on the right side of a DST change
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const fields: Intl.DateTimeFormatOptions = {
  year: "numeric",
  month: "numeric",
  day: "numeric",
  hour: "numeric",
  minute: "numeric",
  second: "numeric",
};

function zoneOffsetMs(instantMs: number, timeZone: string): number {
  const parts = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(instantMs)
      .map((p) => [p.type, Number(p.value)]),
  );
  const wall = Date.UTC(parts.year ?? 0, (parts.month ?? 1) - 1, parts.day, parts.hour, parts.minute, parts.second);
  return wall - Math.floor(instantMs / 1000) * 1000;
}

/** A bad zone is the caller's mistake, not Slurm's output, so it is the one thing here that throws. */
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f) return f;
  try {
    f = new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", ...fields });
  } catch (cause) {
    throw new RvError("usage", `unknown time zone: ${timeZone}`, { hint: "use an IANA name such as UTC", cause });
  }
  formatters.set(timeZone, f);
  return f;
}
