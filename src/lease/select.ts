export interface LeaseFacts {
  id: string;
  state: "active" | "released";
  createdAt: string;
  live: boolean;
}

export type LeaseChoice =
  | { kind: "named"; lease: string }
  | { kind: "only-live"; lease: string }
  | { kind: "most-recent-live"; lease: string; others: string[] }
  | { kind: "start-default"; lease: string };

/**
 * Which lease a command means when none is named: the only live one, else the most recent live one (and
 * the caller says which), else the default local lease, started on demand so a first `rv submit` works.
 */
export function chooseLease(named: string | undefined, leases: LeaseFacts[], defaultLease: string): LeaseChoice {
  if (named) return { kind: "named", lease: named };
  const live = leases
    .filter((l) => l.state === "active" && l.live)
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const [newest, ...others] = live;
  if (!newest) return { kind: "start-default", lease: defaultLease };
  if (others.length === 0) return { kind: "only-live", lease: newest.id };
  return { kind: "most-recent-live", lease: newest.id, others: others.map((l) => l.id) };
}

/** Which leases a read-only command shows when none is named: every active one, or every one at all. */
export function leasesToShow(named: string | undefined, leases: LeaseFacts[]): string[] {
  if (named) return [named];
  const active = leases.filter((l) => l.state === "active");
  return (active.length > 0 ? active : leases).map((l) => l.id);
}
