/**
 * The numbers a task prints about itself, as `name=value` or `name: value` (`loss=0.31`, `epoch 3 acc: 0.92`,
 * `{"val_loss": 1.2e-3}`), the last value of each name in the text: what a sweep's chart plots against a swept
 * parameter. Only the tail of a log is read (LiveFeed), so the last values are the ones that matter.
 */
export function lastMetrics(text: string): Record<string, number> {
  const metrics = new Map<string, number>();
  for (const match of text.matchAll(METRIC)) {
    const [, name, value] = match;
    if (!name || value === undefined) continue;
    const number = Number(value);
    if (!Number.isFinite(number)) continue;
    // The newest value goes last in the map: a log naming more metrics than the cap keeps its latest ones.
    metrics.delete(name);
    metrics.set(name, number);
    if (metrics.size > MAX_METRICS) metrics.delete(metrics.keys().next().value as string);
  }
  return Object.fromEntries(metrics);
}

/** A point's answer stays small however chatty its log: this many names at most. */
export const MAX_METRICS = 32;

/** A name (letters, digits, `_ . / -`, maybe quoted), `=` or `:`, a number; no part of a longer word or number. */
const METRIC =
  /(?<![\w./-])"?([A-Za-z_][\w./-]{0,63})"?\s*[=:]\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)(?![\w.])/g;
