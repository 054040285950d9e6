import type { Records } from "../parse/issues.ts";
import { parseSshare, SSHARE_ARGS, type SshareRow } from "../parse/sshare.ts";
import { parsedQuery, type SlurmQuery } from "../query.ts";

/**
 * `sshare -l -P -u USER`: the user's associations with their fairshare, and the accounts above them. Without
 * accounting (no slurmdbd) sshare prints its header alone: an empty list, not an error.
 */
export function sshareRows(user: string): SlurmQuery<Records<SshareRow>> {
  return parsedQuery(["sshare", ...SSHARE_ARGS, "-u", user], parseSshare);
}
