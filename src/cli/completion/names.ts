import { clusterList, loadConfig } from "../../config/index.ts";
import { leasePaths, NEWEST_IN_HEADER } from "../../fsqueue/index.ts";
import { listLeases, readTaskCopy } from "../../lease/index.ts";
import { newestTasks } from "../../ops/index.ts";
import { type CompletionCache, readCompletionCache } from "./cache.ts";
import type { NameKind } from "./spec.ts";

/** A name a shell may offer, and what it shows beside it. */
export interface Candidate {
  value: string;
  description: string;
}

/**
 * This machine's newest tasks whose names are read: each costs a file or two, and the answer must be quick. As many as
 * the done index's header keeps, so a long history is not listed (at 100,000 tasks: 0.5 s for 200, 0.1 s for 100).
 */
const LOCAL_TASKS = NEWEST_IN_HEADER;

/**
 * `rv __complete leases|tasks PREFIX`: the names that start with PREFIX, newest first, from this machine's RV_HOME
 * and the cached names of each cluster. Reads files only: never ssh. (A lease record that cannot be read is put
 * aside as by any reader, silently here: a completion has no room for the warning; `rv lease ls` shows it.)
 */
export function completeNames(root: string, kind: NameKind, prefix: string): Candidate[] {
  const cache = readCompletionCache(root);
  const all =
    kind === "clusters"
      ? clusterCandidates(root)
      : kind === "leases"
        ? leaseCandidates(root, cache)
        : taskCandidates(root, cache);
  const offered = new Map<string, Candidate>();
  for (const candidate of all) {
    // A line per candidate: a value that holds a tab or a newline cannot be offered whole.
    if (!candidate.value.startsWith(prefix) || /[\t\n]/.test(candidate.value)) continue;
    if (!offered.has(candidate.value)) offered.set(candidate.value, candidate);
  }
  return [...offered.values()];
}

/** The clusters of config.toml, the one in use described so; none when the file cannot be read. */
function clusterCandidates(root: string): Candidate[] {
  try {
    const config = loadConfig(root, {});
    return clusterList(config).map((c) => ({
      value: c.name,
      description: `${c.user}@${c.host}${c.name === config.cluster?.name ? " (in use)" : ""}`,
    }));
  } catch {
    return [];
  }
}

const ignoreBad = () => {};

function leaseCandidates(root: string, cache: CompletionCache): Candidate[] {
  const here = listLeases(root, ignoreBad)
    .reverse()
    .map((lease) => ({ value: lease.id, description: `${lease.kind} lease, ${lease.state}` }));
  const there = Object.entries(cache.clusters).flatMap(([cluster, names]) =>
    names.leases.map((id) => ({ value: id, description: `lease on cluster ${cluster}` })),
  );
  return [...here, ...there];
}

/** Each task by id, and by name when it has one (names work as references too), the id beside the name. */
function taskCandidates(root: string, cache: CompletionCache): Candidate[] {
  const leases = listLeases(root, ignoreBad).map((lease) => lease.id);
  const here = newestTasks(root, leases, LOCAL_TASKS).newest.map((ref) => ({
    ...ref,
    name: readTaskCopy(leasePaths(root, ref.lease), ref.id)?.task.name ?? null,
  }));
  const there = Object.values(cache.clusters).flatMap((names) => names.tasks);
  const newestFirst = [...here, ...there].sort((a, b) => b.id.localeCompare(a.id));
  return newestFirst.flatMap((task) => [
    { value: task.id, description: task.name ? `${task.name} (${task.lease})` : task.lease },
    ...(task.name ? [{ value: task.name, description: `${task.id} (${task.lease})` }] : []),
  ]);
}

/** One candidate a line, `value<TAB>description`, as the scripts read them. */
export function candidateLines(candidates: Candidate[]): string {
  return candidates.map((c) => `${c.value}\t${c.description.replace(/\s+/g, " ")}\n`).join("");
}
