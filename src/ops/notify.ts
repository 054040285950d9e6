import { deferred } from "../deferred.ts";
import { notifySettingsFile } from "../fsqueue/index.ts";
import { ensureRoot } from "../lease/index.ts";
import {
  changeSettings,
  type Delivery,
  deliverEvent,
  maskCommand,
  maskUrl,
  NotifyEventSchema,
  NotifyEventTypeSchema,
  type NotifySettings,
  readNotifySettings,
  removeNotifySettings,
  testEvent,
  WebhookFormatSchema,
  writeNotifySettings,
} from "../notify/index.ts";
import { z } from "../zod.ts";
import { defineOp } from "./op.ts";

/**
 * `rv notify`: a place's notification settings (`<root>/notify.json`, 0600), where that place's runners and
 * supervisors read them. The URL travels to a cluster in the op's input (ssh stdin, never a command line) and
 * comes back masked: results carry its scheme and host only.
 */
const NotifyViewSchema = deferred(() =>
  z.object({
    configured: z.boolean(),
    /** The URL masked: `https://hooks.slack.com/…`. */
    webhook: z.nullable(z.object({ url: z.string(), format: WebhookFormatSchema })),
    /** The command's program only: its arguments may hold a token. */
    command: z.nullable(z.string()),
    on: z.array(NotifyEventTypeSchema),
    file: z.string(),
  }),
);
export type NotifyView = z.infer<typeof NotifyViewSchema>;

function viewOf(root: string, settings: NotifySettings | null): NotifyView {
  return {
    configured: settings !== null,
    webhook: settings?.webhook ? { url: maskUrl(settings.webhook.url), format: settings.webhook.format } : null,
    command: settings?.command ? maskCommand(settings.command) : null,
    on: settings?.on ?? [],
    file: notifySettingsFile(root),
  };
}

export const notifySetOp = defineOp({
  name: "notify-set",
  input: deferred(() =>
    z.object({
      /** Absent: keep; null: remove. Checked by changeSettings, whose message never repeats it. */
      webhook: z.optional(z.nullable(z.string())),
      format: z.optional(WebhookFormatSchema),
      command: z.optional(z.nullable(z.string().check(z.minLength(1)))),
      on: z.optional(z.array(NotifyEventTypeSchema)),
    }),
  ),
  result: NotifyViewSchema,
  run(env, input) {
    const settings = changeSettings(readNotifySettings(env.root), input, env.now());
    ensureRoot(env.root);
    writeNotifySettings(env.root, settings);
    return viewOf(env.root, settings);
  },
});

export const notifyShowOp = defineOp({
  name: "notify-show",
  input: deferred(() => z.object({})),
  result: NotifyViewSchema,
  run: (env) => viewOf(env.root, readNotifySettings(env.root)),
});

export const notifyOffOp = defineOp({
  name: "notify-off",
  input: deferred(() => z.object({})),
  result: deferred(() => z.object({ removed: z.boolean(), file: z.string() })),
  run: (env) => ({ removed: removeNotifySettings(env.root), file: notifySettingsFile(env.root) }),
});

const TriedSchema = deferred(() =>
  z.object({
    /** The masked URL, or the command's program. */
    to: z.string(),
    ok: z.boolean(),
    /** `answered 200`, `exited 1: ...`, `timed out after 10 s`. */
    detail: z.string(),
    status: z.nullable(z.int()),
    exitCode: z.nullable(z.int()),
  }),
);

/** One try, at once: a person waiting for the answer wants it now, and sees why it failed. */
const TEST_DELIVERY = { tries: 1, timeoutMs: 10_000, backoffMs: 0 };

/** `rv notify test`: a test event sent now from this place, as its runners would send it. */
export const notifyTestOp = defineOp({
  name: "notify-test",
  input: deferred(() => z.object({ place: z._default(z.string(), "this place") })),
  result: deferred(() =>
    z.object({
      configured: z.boolean(),
      event: z.nullable(NotifyEventSchema),
      webhook: z.nullable(TriedSchema),
      command: z.nullable(TriedSchema),
    }),
  ),
  async run(env, input) {
    const settings = readNotifySettings(env.root);
    if (!settings) return { configured: false, event: null, webhook: null, command: null };
    const event = testEvent({ host: env.host, now: env.now(), place: input.place });
    const sent = await deliverEvent(settings, event, env.env, TEST_DELIVERY);
    const tried = (to: string, d: Delivery | null) =>
      d && {
        to,
        ok: d.outcome.ok,
        detail: d.outcome.detail,
        status: d.outcome.status ?? null,
        exitCode: d.outcome.exitCode ?? null,
      };
    return {
      configured: true,
      event,
      webhook: settings.webhook ? tried(maskUrl(settings.webhook.url), sent.webhook) : null,
      command: settings.command ? tried(maskCommand(settings.command), sent.command) : null,
    };
  },
});
