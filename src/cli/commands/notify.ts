import { readFileSync } from "node:fs";
import { RvError } from "../../errors.ts";
import {
  isWebhookUrl,
  NOTIFY_EVENTS,
  type NotifyEventType,
  NotifyEventTypeSchema,
  type SettingsChange,
  type WebhookFormat,
} from "../../notify/index.ts";
import {
  type NotifyView,
  notifyOffOp,
  notifySetOp,
  notifyShowOp,
  notifyTestOp,
  type Place,
  requireCluster,
} from "../../ops/index.ts";
import type { Context } from "../context.ts";
import { printJson } from "../output.ts";
import { gather, missingJson, reportMissing } from "../route.ts";

export interface NotifyOptions {
  webhook?: string | false;
  format?: WebhookFormat;
  command?: string | false;
  on?: string;
  local?: boolean;
  cluster?: boolean;
}

/**
 * `rv notify set|show|test|off`: the settings live in each place's root, where its runners and supervisors read
 * them; by default this machine and the cluster both, `--local` or `--cluster` for one.
 */
export async function runNotify(
  ctx: Context,
  verb: "set" | "show" | "test" | "off",
  options: NotifyOptions,
): Promise<number> {
  const places = notifyPlaces(ctx, options);
  if (verb === "test") return runTest(ctx, places);
  const change = verb === "set" ? settingsChange(options, () => readFileSync(0, "utf8")) : null;
  const { reached, missing } = await gather(places, async (place) => {
    if (change) return place.call(notifySetOp, change);
    if (verb === "off") {
      await place.call(notifyOffOp, {});
      return place.call(notifyShowOp, {});
    }
    return place.call(notifyShowOp, {});
  });
  if (ctx.json) {
    printJson(ctx.io, {
      places: reached.map(({ place, value }) => ({ place: place.name, ...value })),
      missing: missingJson(missing),
    });
    return 0;
  }
  reportMissing(ctx, missing, "notification settings");
  for (const { place, value } of reached) ctx.io.out(`${place.where}: ${describeSettings(value)}\n`);
  return 0;
}

function notifyPlaces(ctx: Context, options: NotifyOptions): Place[] {
  if (options.cluster) {
    requireCluster(ctx.config);
    return ctx.cluster ? [ctx.cluster] : [];
  }
  if (options.local || !ctx.cluster) return [ctx.local];
  return [ctx.local, ctx.cluster];
}

/** The flags as a change of settings; `--webhook -` reads the URL from stdin, so it is in no process list. */
export function settingsChange(options: NotifyOptions, stdin: () => string): SettingsChange {
  const change: SettingsChange = {};
  if (options.webhook === false) change.webhook = null;
  else if (options.webhook !== undefined) {
    const url = options.webhook === "-" ? (stdin().split("\n")[0] ?? "").trim() : options.webhook;
    // The message never repeats the URL: it may be all secret.
    if (!isWebhookUrl(url)) throw new RvError("usage", "--webhook: expected an http:// or https:// URL");
    change.webhook = url;
  }
  if (options.format !== undefined) change.format = options.format;
  if (options.command === false) change.command = null;
  else if (options.command !== undefined) change.command = options.command;
  if (options.on !== undefined) change.on = parseEvents(options.on);
  if (Object.keys(change).length === 0) {
    throw new RvError("usage", "rv notify set: nothing to set", {
      hint: "give --webhook URL, --command CMD, --on EVENTS or --format; rv notify show prints the settings",
    });
  }
  return change;
}

/** `task-failed,sweep-done` or `all`. */
export function parseEvents(text: string): NotifyEventType[] {
  const words = text
    .split(",")
    .map((w) => w.trim())
    .filter((w) => w !== "");
  if (words.includes("all")) return [...NOTIFY_EVENTS];
  return words.map((word) => {
    const parsed = NotifyEventTypeSchema.safeParse(word);
    if (parsed.success) return parsed.data;
    throw new RvError("usage", `--on ${word}: not an event`, { hint: `pick from ${NOTIFY_EVENTS.join(", ")}, or all` });
  });
}

export function describeSettings(view: NotifyView): string {
  if (!view.configured) return "no notifications (rv notify set --webhook URL to have some)";
  const to = [
    ...(view.webhook ? [`webhook ${view.webhook.url} (${view.webhook.format})`] : []),
    ...(view.command ? [`command ${view.command}`] : []),
  ];
  return `${to.join(" and ")}, on ${view.on.join(", ")}`;
}

async function runTest(ctx: Context, places: Place[]): Promise<number> {
  const { reached, missing } = await gather(places, (place) => place.call(notifyTestOp, { place: place.where }));
  const failed = reached.some(({ value }) => value.webhook?.ok === false || value.command?.ok === false);
  if (ctx.json) {
    printJson(ctx.io, {
      places: reached.map(({ place, value }) => ({ place: place.name, ...value })),
      missing: missingJson(missing),
    });
    return failed ? 1 : 0;
  }
  reportMissing(ctx, missing, "notification tests");
  for (const { place, value } of reached) {
    if (!value.configured) {
      ctx.io.out(`${place.where}: no notifications set, nothing sent\n`);
      continue;
    }
    const tried = [
      ...(value.webhook ? [`webhook ${value.webhook.to} ${value.webhook.detail}`] : []),
      ...(value.command ? [`command ${value.command.to} ${value.command.detail}`] : []),
    ];
    ctx.io.out(`${place.where}: ${tried.join("; ")}\n`);
  }
  if (failed) ctx.io.err("rv: a test notification was not delivered (see above)\n");
  return failed ? 1 : 0;
}
