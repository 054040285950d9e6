import { RvError } from "../errors.ts";
import type { CommandResult, Remote, RemoteCommand } from "../remote/index.ts";
import type { Records } from "./parse/issues.ts";

/**
 * One Slurm command as data: what to run, and a pure reader of its result. Queries are built without I/O
 * and run together in one round trip (`runQueries`), so a command that reads cluster state costs one ssh
 * call however many Slurm commands it needs.
 */
export interface SlurmQuery<T> {
  command: RemoteCommand;
  /** `where` names the machine for error messages ("rv-devcluster (ssh)"). */
  read: (result: CommandResult, where: string) => T;
}

type Answers<Q extends readonly SlurmQuery<unknown>[]> = {
  [K in keyof Q]: Q[K] extends SlurmQuery<infer T> ? T : never;
};

/** Times as epoch seconds: no guessing which zone the login node prints wall-clock times in. */
export const SLURM_ENV = { SLURM_TIME_FORMAT: "%s" } as const;

export function slurmCommand(argv: readonly string[], stdin?: string): RemoteCommand {
  return stdin === undefined ? { argv, env: SLURM_ENV } : { argv, env: SLURM_ENV, stdin };
}

/**
 * The common query: any non-zero exit is a failure, else the parser reads stdout. `unless` names the one
 * error that means "nothing to list" (a job id Slurm no longer knows), and what to answer then.
 */
export function parsedQuery<T>(
  argv: readonly string[],
  parse: (stdout: string) => T,
  unless?: { stderr: RegExp; answer: T },
): SlurmQuery<T> {
  const command = slurmCommand(argv);
  return {
    command,
    read: (result, where) => {
      if (result.exitCode === 0) return parse(result.stdout);
      if (unless?.stderr.test(result.stderr)) return unless.answer;
      throw slurmFailure(command, result, where);
    },
  };
}

/** Slurm forgets a job MinJobAge after it ends, and then errors on its id: for a listing, that is no record. */
export function unknownJob<T>(): { stderr: RegExp; answer: Records<T> } {
  return { stderr: /invalid job id/i, answer: { records: [], issues: [] } };
}

export async function runQueries<const Q extends readonly SlurmQuery<unknown>[]>(
  remote: Remote,
  queries: Q,
): Promise<Answers<Q>> {
  const results = await remote.run(queries.map((q) => q.command));
  return queries.map((q, i) => q.read(results[i] as CommandResult, remote.where)) as Answers<Q>;
}

export async function runQuery<T>(remote: Remote, query: SlurmQuery<T>): Promise<T> {
  const [answer] = await runQueries(remote, [query] as const);
  return answer;
}

/**
 * A Slurm command that did not do its job, named for a person: the command missing (not a login node),
 * the controller not answering (maintenance or an outage), or Slurm's own message.
 */
export function slurmFailure(command: RemoteCommand, result: CommandResult, where: string): RvError {
  const name = command.argv[0] ?? "?";
  const said = lastLine(result.stderr) || lastLine(result.stdout) || `exit status ${result.exitCode}`;
  if (result.exitCode === 127) {
    return new RvError("cluster", `${name} is not installed on ${where}`, {
      hint: "rv needs a Slurm login node: check the host in ~/.rv/config.toml (rv doctor tells more)",
    });
  }
  if (
    /unable to contact slurm controller|slurm_load_\w+: (socket|connection|communication)|Zero Bytes were transmitted/i.test(
      result.stderr,
    )
  ) {
    return new RvError("cluster", `Slurm's controller does not answer on ${where}: ${said}`, {
      hint: "the cluster may be in maintenance; check its status page, then retry (rv doctor checks again)",
    });
  }
  return new RvError("cluster", `${name} failed on ${where}: ${said}`, {
    hint: `run \`${command.argv.join(" ")}\` there to see the whole message`,
  });
}

function lastLine(text: string): string {
  return text.trim().split("\n").at(-1)?.trim() ?? "";
}
