import { existsSync } from "node:fs";
import { deferred } from "../deferred.ts";
import { RvError } from "../errors.ts";
import {
  dropFile,
  notifySettingsFile,
  PROTOCOL_VERSION,
  parseRecord,
  readTextIfPresent,
  writeFileAtomic,
} from "../fsqueue/index.ts";
import { z } from "../zod.ts";

/** What `rv notify` can tell: each names one kind of moment in a lease's life (docs/experiments.md). */
export const NOTIFY_EVENTS = ["task-failed", "sweep-done", "lease-started", "lease-ended", "lease-idle"] as const;
export const NotifyEventTypeSchema = z.enum(NOTIFY_EVENTS);
export type NotifyEventType = z.infer<typeof NotifyEventTypeSchema>;

/** `slack`: `{"text": ...}`; `ntfy`: the text as the body, with Title and Tags headers; `json`: the event itself. */
export const WebhookFormatSchema = z.enum(["slack", "ntfy", "json"]);
export type WebhookFormat = z.infer<typeof WebhookFormatSchema>;

/** http(s) only; the message never repeats the URL (it may hold a token). */
export const WebhookUrlSchema = z.string().check(z.refine(isWebhookUrl, "expected an http:// or https:// URL"));

export function isWebhookUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === "https:" || url.protocol === "http:") && url.hostname !== "";
  } catch {
    return false;
  }
}

/**
 * A place's `rv notify` settings (`<root>/notify.json`, 0600): where to send (a webhook, a command, or both)
 * and which events. One file for every lease of the place, read afresh for each event, so a change reaches
 * runners that are already running.
 */
export const NotifySettingsSchema = deferred(() =>
  z.object({
    v: z.literal(PROTOCOL_VERSION),
    webhook: z.nullable(z.object({ url: WebhookUrlSchema, format: WebhookFormatSchema })),
    /** Run by `/bin/sh -c`: the user's own shell line; the event reaches it only on stdin and in RV_EVENT_*. */
    command: z.nullable(z.string().check(z.minLength(1))),
    on: z.array(NotifyEventTypeSchema),
    updatedAt: z.iso.datetime({ offset: true }),
  }),
);
export type NotifySettings = z.infer<typeof NotifySettingsSchema>;

/** The settings of the place at `root`; null when there are none. A file that does not parse is an error. */
export function readNotifySettings(root: string): NotifySettings | null {
  const file = notifySettingsFile(root);
  const text = readTextIfPresent(file);
  if (text === undefined) return null;
  const parsed = parseRecord(text, NotifySettingsSchema);
  if (parsed.ok) return parsed.value;
  throw new RvError("bad_record", `${file}: ${parsed.reason}`, {
    hint: "set it again with rv notify set, or remove it with rv notify off",
  });
}

/** Written whole and renamed into place, private to the user (it may hold a token). */
export function writeNotifySettings(root: string, settings: NotifySettings): void {
  writeFileAtomic(root, notifySettingsFile(root), `${JSON.stringify(NotifySettingsSchema.parse(settings))}\n`);
}

/** `rv notify off`: whether there was anything to remove. */
export function removeNotifySettings(root: string): boolean {
  const file = notifySettingsFile(root);
  const existed = existsSync(file);
  dropFile(file);
  return existed;
}

/** What `rv notify set` changes: an absent field stays as it was; null removes it. */
export interface SettingsChange {
  webhook?: string | null;
  format?: WebhookFormat;
  command?: string | null;
  on?: NotifyEventType[];
}

/** The format a webhook most likely speaks, from its host: Slack's, an ntfy server, else plain JSON. */
export function guessFormat(url: string): WebhookFormat {
  const host = new URL(url).hostname.toLowerCase();
  if (host === "slack.com" || host.endsWith(".slack.com")) return "slack";
  if (host.split(".").some((label) => label === "ntfy" || label.startsWith("ntfy"))) return "ntfy";
  return "json";
}

/**
 * The settings after `rv notify set`: each flag given replaces its setting, the rest stay. Events default to all
 * of them; the format to the one the URL's host suggests (or the one the webhook had).
 */
export function changeSettings(current: NotifySettings | null, change: SettingsChange, now: Date): NotifySettings {
  if (change.webhook !== undefined && change.webhook !== null && !isWebhookUrl(change.webhook)) {
    throw new RvError("usage", "--webhook: expected an http:// or https:// URL", {
      hint: "for example: rv notify set --webhook https://ntfy.sh/my-secret-topic",
    });
  }
  const url = change.webhook === undefined ? (current?.webhook?.url ?? null) : change.webhook;
  if (change.format !== undefined && url === null) {
    throw new RvError("usage", "--format applies to a webhook, and none is set", {
      hint: "give the webhook with it: rv notify set --webhook URL --format ntfy",
    });
  }
  const kept = change.webhook === undefined || change.webhook === current?.webhook?.url;
  const format = change.format ?? (kept ? current?.webhook?.format : undefined) ?? (url && guessFormat(url));
  const settings: NotifySettings = {
    v: PROTOCOL_VERSION,
    webhook: url === null || !format ? null : { url, format },
    command: change.command === undefined ? (current?.command ?? null) : change.command,
    on: [...new Set(change.on ?? current?.on ?? NOTIFY_EVENTS)],
    updatedAt: now.toISOString(),
  };
  if (!settings.webhook && !settings.command) {
    throw new RvError("usage", "nothing to notify: neither a webhook nor a command would be left", {
      hint: "rv notify set --webhook URL and/or --command CMD; rv notify off removes the settings",
    });
  }
  if (settings.on.length === 0) {
    throw new RvError("usage", "--on: no event given", { hint: `pick from ${NOTIFY_EVENTS.join(", ")}` });
  }
  return settings;
}
