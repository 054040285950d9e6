export interface LeaseFacts {
  id: string;
  state: "active" | "released";
  createdAt: string;
  live: boolean;
  /** The cluster the lease lives on; absent for a lease on this machine. */
  cluster?: string;
}

export type LeaseChoice =
  | { kind: "named"; lease: string }
  | { kind: "only-live"; lease: string; cluster?: string }
  | { kind: "most-recent-live"; lease: string; cluster?: string; others: string[] }
  | { kind: "start-default"; lease: string };

/**
 * Which lease a command means when none is named: the only live one, else the most recent live one (and
 * the caller says which), here or on the cluster, else the default local lease, started on demand so a
 * first `rv submit` works.
 */
export function chooseLease(named: string | undefined, leases: LeaseFacts[], defaultLease: string): LeaseChoice {
  if (named) return { kind: "named", lease: named };
  const live = leases
    .filter((l) => l.state === "active" && l.live)
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const [newest, ...others] = live;
  if (!newest) return { kind: "start-default", lease: defaultLease };
  const where = newest.cluster === undefined ? {} : { cluster: newest.cluster };
  if (others.length === 0) return { kind: "only-live", lease: newest.id, ...where };
  return { kind: "most-recent-live", lease: newest.id, ...where, others: others.map((l) => l.id) };
}

/** Which leases a read-only command shows when none is named: every active one, or every one at all. */
export function leasesToShow(named: string | undefined, leases: LeaseFacts[]): string[] {
  if (named) return [named];
  const active = leases.filter((l) => l.state === "active");
  return (active.length > 0 ? active : leases).map((l) => l.id);
}
