import type { Records } from "../parse/issues.ts";
import { parseSinfo, SINFO_ARGS, type SinfoRow } from "../parse/sinfo.ts";
import { parsedQuery, type SlurmQuery } from "../query.ts";

/** `sinfo -N` in rv's format: one row per node and partition (a node in two partitions comes twice). */
export function sinfoRows(partitions: readonly string[] = []): SlurmQuery<Records<SinfoRow>> {
  const args: string[] = [...SINFO_ARGS];
  if (partitions.length) args.push("-p", partitions.join(","));
  return parsedQuery(["sinfo", ...args], parseSinfo);
}
