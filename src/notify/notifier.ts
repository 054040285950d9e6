import { leasePaths, markNotified } from "../fsqueue/index.ts";
import {
  DEFAULT_DELIVERY,
  type Delivery,
  type DeliveryPolicy,
  postWebhook,
  runCommand,
  webhookLabel,
  withRetries,
} from "./deliver.ts";
import { eventOf, type NotifyEvent, type Occurrence, sendAs } from "./event.ts";
import { maskCommand, redact, urlSecrets } from "./mask.ts";
import { type NotifySettings, readNotifySettings } from "./settings.ts";

export interface NotifierOptions {
  /** rv's root at this place: where the settings and the leases are. */
  root: string;
  /** Who sends (a runner id, or host and pid): kept in each marker. */
  by: string;
  host: string;
  /** Where deliveries are logged, masked (a runner's log). */
  log: (line: string) => void;
  /** The environment a command inherits its allowlisted variables from. */
  env: NodeJS.ProcessEnv;
  now?: () => Date;
  policy?: DeliveryPolicy;
}

/** Where each destination got to; `null` for one that is not set. */
export interface Sent {
  webhook: Delivery | null;
  command: Delivery | null;
}

/**
 * Sends what a runner or a supervisor notices, each event once and never in the way of tasks. `announce` does
 * the quick part at once (read the settings, pick, mark once in the lease's `notified/`) and leaves the delivery
 * running: a timeout per try, retries with a doubling wait, every outcome logged with the URL masked. A process
 * about to exit waits for what is still going out with `settle`, up to a limit.
 *
 * At most once: the marker is made before the send, so a sender that dies between the two loses that one
 * notification. A sent-flag with a resender would turn that into at least once, at the price of a process that
 * owns unsent markers and of duplicates after a partial send; a notification is an alert, not a record (rv
 * tasks and rv sweep show have the facts), so a rare loss costs less.
 */
export class Notifier {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly now: () => Date;
  private readonly policy: DeliveryPolicy;

  constructor(private readonly opts: NotifierOptions) {
    this.now = opts.now ?? (() => new Date());
    this.policy = opts.policy ?? DEFAULT_DELIVERY;
  }

  /**
   * The events the settings ask for, when there is somewhere to send them: a caller skips the work of noticing
   * what nobody asked to hear of (a runner's sweep count, for every point that ends).
   */
  picked(): readonly Occurrence["kind"][] {
    try {
      const settings = readNotifySettings(this.opts.root);
      return settings && (settings.webhook || settings.command) ? settings.on : [];
    } catch {
      return []; // announce() says why, if it is ever asked to send
    }
  }

  /** Whether the event was taken to be sent here (picked by the settings, and first to mark it). Never throws. */
  announce(o: Occurrence): boolean {
    let settings: NotifySettings | null = null;
    try {
      settings = readNotifySettings(this.opts.root);
      const type = settings && sendAs(settings.on, o.kind);
      if (!settings || !type || (!settings.webhook && !settings.command)) return false;
      const event = eventOf(o, type, { host: this.opts.host, now: this.now() });
      if (!markNotified(leasePaths(this.opts.root, o.lease), event.key, this.opts.by, this.now(), event)) return false;
      const delivery = this.deliver(settings, event);
      this.inFlight.add(delivery);
      delivery.finally(() => this.inFlight.delete(delivery));
      return true;
    } catch (error) {
      this.logMasked(settings, `notification ${o.kind} of lease ${o.lease} not sent: ${String(error)}`);
      return false;
    }
  }

  /** Until every delivery under way has ended, or `capMs` has passed; whether they all ended. */
  async settle(capMs: number): Promise<boolean> {
    if (this.inFlight.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const cap = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), capMs);
    });
    const all = Promise.allSettled([...this.inFlight]).then(() => true);
    try {
      const ended = await Promise.race([all, cap]);
      if (!ended) this.opts.log(`notifications: ${this.inFlight.size} still going out after ${capMs} ms, left behind`);
      return ended;
    } finally {
      clearTimeout(timer);
    }
  }

  private async deliver(settings: NotifySettings, event: NotifyEvent): Promise<void> {
    try {
      const sent = await deliverEvent(settings, event, this.opts.env, this.policy);
      for (const line of sentLines(settings, event, sent)) this.logMasked(settings, line);
    } catch (error) {
      this.logMasked(settings, `notification ${event.key} not sent: ${String(error)}`);
    }
  }

  private logMasked(settings: NotifySettings | null, line: string): void {
    try {
      this.opts.log(settings?.webhook ? redact(line, urlSecrets(settings.webhook.url)) : line);
    } catch {
      // A log that cannot be written must not break the caller either.
    }
  }
}

/** Both destinations at once, each with its retries. */
export async function deliverEvent(
  settings: NotifySettings,
  event: NotifyEvent,
  env: NodeJS.ProcessEnv,
  policy: DeliveryPolicy,
): Promise<Sent> {
  const { webhook, command } = settings;
  const [toWebhook, toCommand] = await Promise.all([
    webhook ? withRetries(() => postWebhook(webhook, event, policy.timeoutMs), policy) : null,
    command ? withRetries(() => runCommand(command, event, env, policy.timeoutMs), policy) : null,
  ]);
  return { webhook: toWebhook, command: toCommand };
}

/** `notified task-failed.0mx...1: webhook https://hooks.slack.com/… (slack) answered 200 (1 try)`. */
export function sentLines(settings: NotifySettings, event: NotifyEvent, sent: Sent): string[] {
  const line = (where: string, d: Delivery) =>
    `${d.outcome.ok ? "notified" : "notification not sent:"} ${event.key}: ${where} ${d.outcome.detail} (${d.tries} ${d.tries === 1 ? "try" : "tries"})`;
  return [
    ...(settings.webhook && sent.webhook ? [line(webhookLabel(settings.webhook), sent.webhook)] : []),
    ...(settings.command && sent.command ? [line(`command ${maskCommand(settings.command)}`, sent.command)] : []),
  ];
}
