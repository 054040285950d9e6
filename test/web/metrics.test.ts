import { describe, expect, test } from "vitest";
import { lastMetrics, MAX_METRICS } from "../../src/web/metrics.ts";

describe("the metrics a task prints", () => {
  test("name=value and name: value, the last value of each name", () => {
    const log = ["epoch 1 loss=0.9 acc: 0.5", "epoch 2 loss=0.41 acc: 0.71", '{"val_loss": 1.5e-3, "lr": 3e-4}'];
    expect(lastMetrics(log.join("\n"))).toEqual({ loss: 0.41, acc: 0.71, val_loss: 0.0015, lr: 0.0003 });
  });

  test("words, versions, times and paths are no metrics", () => {
    const log = "python=3.11.4 at 12:30:01 saved to /tmp/x=1 run=ok step=-2 eta: 3m";
    expect(lastMetrics(log)).toEqual({ step: -2 });
  });

  test("a log naming many metrics keeps the newest", () => {
    const log = Array.from({ length: MAX_METRICS + 5 }, (_, i) => `m${i}=${i}`).join(" ");
    const metrics = lastMetrics(log);
    expect(Object.keys(metrics)).toHaveLength(MAX_METRICS);
    expect(metrics[`m${MAX_METRICS + 4}`]).toBe(MAX_METRICS + 4);
    expect(metrics.m0).toBeUndefined();
  });
});
