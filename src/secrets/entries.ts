import type { Secret, Secrets } from "./schema.ts";

export const EMPTY: Secrets = { v: 1, secrets: [] };

/** Where a secret applies, as `rv env list` says it. */
export function scopeOf(secret: Pick<Secret, "cluster">): string {
  return secret.cluster === null ? "global" : `cluster ${secret.cluster}`;
}

/** Sets NAME in its scope (replacing it there only: a global and a cluster's NAME are two secrets). */
export function withSecret(store: Secrets, secret: Secret): Secrets {
  const others = store.secrets.filter((s) => !(s.name === secret.name && s.cluster === secret.cluster));
  return { ...store, secrets: [...others, secret].sort(byScopeThenName) };
}

/** Without NAME in that scope; `removed` false when it was not there. */
export function withoutSecret(
  store: Secrets,
  name: string,
  cluster: string | null,
): { store: Secrets; removed: boolean } {
  const kept = store.secrets.filter((s) => !(s.name === name && s.cluster === cluster));
  return { store: { ...store, secrets: kept }, removed: kept.length !== store.secrets.length };
}

/** Without any of the cluster's own secrets (`rv cluster rm`); `removed` counts them. */
export function withoutCluster(store: Secrets, cluster: string): { store: Secrets; removed: number } {
  const kept = store.secrets.filter((s) => s.cluster !== cluster);
  return { store: { ...store, secrets: kept }, removed: store.secrets.length - kept.length };
}

/**
 * What a task gets: every global secret, and for a task on a cluster's lease that cluster's own, which win over a
 * global of the same name (the narrower scope is the more deliberate one). A local lease gets the globals only.
 */
export function secretsFor(store: Secrets, cluster: string | null): Record<string, string> {
  const env: Record<string, string> = {};
  for (const s of store.secrets) if (s.cluster === null) env[s.name] = s.value;
  if (cluster !== null) for (const s of store.secrets) if (s.cluster === cluster) env[s.name] = s.value;
  return env;
}

/** Printed instead of a value, whatever the value: not even its length or first letters are told. */
export const MASK = "********";

/** `rv env list`: names, scopes and when, never values. */
export function maskedList(store: Secrets): { name: string; scope: string; value: string; setAt: string }[] {
  return store.secrets.map((s) => ({ name: s.name, scope: scopeOf(s), value: MASK, setAt: s.setAt }));
}

function byScopeThenName(a: Secret, b: Secret): number {
  return (a.cluster ?? "").localeCompare(b.cluster ?? "") || a.name.localeCompare(b.name);
}
