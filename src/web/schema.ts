import { deferred } from "../deferred.ts";
import { TaskViewSchema } from "../lease/index.ts";
import { TuiLeaseSchema, TuiLogSchema } from "../ops/tui-snapshot.ts";
import { z } from "../zod.ts";

/** Version of every record `rv ui` sends (to the page, and `rv ui --json`'s first line). */
export const WEB_VERSION = 1;

/** How one place's reads are going: the page says so when a cluster is slow or out of reach. */
export const PlaceStatusSchema = deferred(() =>
  z.object({
    name: z.string(),
    kind: z.enum(["local", "cluster"]),
    where: z.string(),
    /** How often it is read, in ms: 1000 for this machine, 2000 across ssh. */
    everyMs: z.number(),
    lastOkAt: z.nullable(z.string()),
    /** The last read's error (first line), cleared by the next read that works. */
    error: z.nullable(z.string()),
  }),
);
export type PlaceStatus = z.infer<typeof PlaceStatusSchema>;

/** A lease as the page shows it: the TUI's row, and the place that holds it. */
export const WebLeaseSchema = deferred(() => z.extend(TuiLeaseSchema, { place: z.string() }));
export type WebLease = z.infer<typeof WebLeaseSchema>;

/**
 * What the page shows, pushed on every refresh (`snapshot` events of /api/events, and /api/snapshot): every
 * place's last read, merged. Computed once per refresh and sent as is to every open page.
 */
export const WebSnapshotSchema = deferred(() =>
  z.object({
    v: z.literal(WEB_VERSION),
    at: z.string(),
    places: z.array(PlaceStatusSchema),
    leases: z.array(WebLeaseSchema),
    tasks: z.array(TaskViewSchema),
  }),
);
export type WebSnapshot = z.infer<typeof WebSnapshotSchema>;

/** The tail of the log a page follows (`log` events of /api/events, and /api/log). */
export const WebLogSchema = deferred(() => z.extend(TuiLogSchema, { v: z.literal(WEB_VERSION) }));
export type WebLog = z.infer<typeof WebLogSchema>;

/**
 * The metrics of a sweep's points (`sweep` events of /api/events?sweep=ID): by task id, the last value of each
 * `name=value` its stdout's tail prints. `read` of the sweep's `points` were read (at most SWEEP_MAX_POINTS).
 */
export const WebSweepMetricsSchema = deferred(() =>
  z.object({
    v: z.literal(WEB_VERSION),
    sweep: z.string(),
    metrics: z.record(z.string(), z.record(z.string(), z.number())),
    points: z.int(),
    read: z.int(),
  }),
);
export type WebSweepMetrics = z.infer<typeof WebSweepMetricsSchema>;

/** The answer to POST /api/tasks/:id/cancel and /requeue: the op's outcome for the task. */
export const WebActionSchema = deferred(() =>
  z.object({
    v: z.literal(WEB_VERSION),
    id: z.string(),
    action: z.enum(["cancel", "requeue"]),
    outcome: z.string(),
  }),
);
export type WebAction = z.infer<typeof WebActionSchema>;

/** Every error the API answers with: the same fields as `--json` errors. */
export const WebErrorSchema = deferred(() =>
  z.object({
    v: z.literal(WEB_VERSION),
    error: z.object({ code: z.string(), message: z.string(), hint: z.nullable(z.string()) }),
  }),
);

/** `rv ui --json`: one line as soon as the server listens (then it keeps serving). */
export const WebStartSchema = deferred(() =>
  z.object({
    v: z.literal(WEB_VERSION),
    url: z.string(),
    host: z.string(),
    port: z.int(),
    token: z.string(),
    pid: z.int(),
  }),
);
export type WebStart = z.infer<typeof WebStartSchema>;
