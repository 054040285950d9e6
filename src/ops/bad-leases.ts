import { badLeaseText, type OnBadLease } from "../lease/bad-lease.ts";
import type { OpEnv } from "./op.ts";

/**
 * What an op tells the person at the other end of its sink of a lease a listing left out: a record the listing has
 * just moved aside, or one it cannot use. One moved before was told of then, and `rv lease ls` keeps showing it.
 */
export function warnOfBadLease(env: Pick<OpEnv, "sink">): OnBadLease {
  return (bad) => {
    if (bad.state === "moved-before") return;
    const { message, hint } = badLeaseText(bad);
    env.sink.note(`warning: ${message}\n  hint: ${hint}`);
  };
}
