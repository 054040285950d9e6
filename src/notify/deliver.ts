import { inheritedEnv } from "../config/index.ts";
import { eventEnv, type NotifyEvent } from "./event.ts";
import { maskUrl, redact, urlSecrets } from "./mask.ts";
import { webhookRequest } from "./payload.ts";
import type { NotifySettings } from "./settings.ts";

/** How hard a notification is pushed: each try has a time limit; failed tries are repeated after a doubling wait. */
export interface DeliveryPolicy {
  tries: number;
  timeoutMs: number;
  /** Before the second try; doubled before each next one. */
  backoffMs: number;
}

export const DEFAULT_DELIVERY: DeliveryPolicy = { tries: 3, timeoutMs: 10_000, backoffMs: 1000 };

/** One try's result, in words that never hold the URL: `answered 200`, `exited 1`, `timed out after 10 s`. */
export type TryOutcome =
  | { ok: true; detail: string; status?: number; exitCode?: number }
  | { ok: false; retry: boolean; detail: string; status?: number; exitCode?: number };

/** The last try's outcome and how many were made. */
export interface Delivery {
  outcome: TryOutcome;
  tries: number;
}

/** What rate limits and server trouble say (429, 5xx) may pass; any other 4xx will answer the same again. */
export function retryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/** The wait before try `next` (2, 3, ...): backoff, 2 x backoff, 4 x backoff, ... */
export function backoffBefore(policy: DeliveryPolicy, next: number): number {
  return policy.backoffMs * 2 ** (next - 2);
}

export async function withRetries(
  tryOnce: () => Promise<TryOutcome>,
  policy: DeliveryPolicy,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<Delivery> {
  let outcome = await tryOnce();
  let tries = 1;
  while (!outcome.ok && outcome.retry && tries < policy.tries) {
    tries++;
    await sleep(backoffBefore(policy, tries));
    outcome = await tryOnce();
  }
  return { outcome, tries };
}

/** POSTs the event to the webhook in its format (Node's fetch); a 2xx answer is success. */
export async function postWebhook(
  webhook: NonNullable<NotifySettings["webhook"]>,
  event: NotifyEvent,
  timeoutMs: number,
): Promise<TryOutcome> {
  const { headers, body } = webhookRequest(webhook.format, event);
  try {
    const response = await fetch(webhook.url, {
      method: "POST",
      headers,
      body,
      redirect: "error",
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel();
    const detail = `answered ${response.status}`;
    if (response.ok) return { ok: true, detail, status: response.status };
    return { ok: false, retry: retryableStatus(response.status), detail, status: response.status };
  } catch (error) {
    return { ok: false, retry: true, detail: redact(fetchFailure(error, timeoutMs), urlSecrets(webhook.url)) };
  }
}

/** `ECONNREFUSED 127.0.0.1:8080`, `timed out after 10 s`: the cause, which fetch hides behind "fetch failed". */
function fetchFailure(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === "TimeoutError" || e.name === "AbortError") return `timed out after ${timeoutMs / 1000} s`;
  return e.cause?.message ?? e.cause?.code ?? e.message ?? String(error);
}

/**
 * Runs the user's command with `/bin/sh -c COMMAND`: the event is JSON on its stdin and RV_EVENT_* in its
 * environment (with rv's usual allowlist: PATH, HOME, ...), never spliced into the command line, so a task
 * name such as `$(rm -rf ~)` stays text. Exit 0 is success.
 */
export async function runCommand(
  command: string,
  event: NotifyEvent,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<TryOutcome> {
  const { execa } = await import("execa");
  const result = await execa("/bin/sh", ["-c", command], {
    input: `${JSON.stringify(event)}\n`,
    env: { ...inheritedEnv(env, { withRvSettings: false }), ...eventEnv(event) },
    extendEnv: false,
    stdout: "ignore",
    stderr: "pipe",
    timeout: timeoutMs,
    reject: false,
    cleanup: true,
  });
  if (result.timedOut) return { ok: false, retry: true, detail: `timed out after ${timeoutMs / 1000} s` };
  if (result.exitCode === 0) return { ok: true, detail: "exited 0", exitCode: 0 };
  const said = String(result.stderr ?? "")
    .trim()
    .split("\n")
    .at(-1)
    ?.slice(0, 200);
  const how = result.exitCode === undefined ? `killed by ${result.signal}` : `exited ${result.exitCode}`;
  // What it said may repeat its own arguments (a token in a curl header): those never reach the runner log.
  const words = command.split(/[\s'"=:]+/).filter((word) => word.length >= 6);
  const told = said && redact(said, words);
  return { ok: false, retry: true, detail: told ? `${how}: ${told}` : how, exitCode: result.exitCode };
}

/** Where a delivery went, as logs may say it: the masked URL, or the command's program. */
export function webhookLabel(webhook: NonNullable<NotifySettings["webhook"]>): string {
  return `webhook ${maskUrl(webhook.url)} (${webhook.format})`;
}
