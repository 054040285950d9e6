import { RvError } from "../errors.ts";

/**
 * Why an ssh round trip failed, from ssh's exit status and stderr, as an RvError that names the cause and the
 * fix. Called only when the round trip did not deliver what was asked. ssh exits 255 for its own failures;
 * any other status is the remote side's.
 *
 * The order matters: ssh's own diagnostics come first, and the word "maintenance" last, because many login
 * nodes mention maintenance in a banner that is printed on every connection.
 */

interface Cause {
  matches: (stderr: string, exitCode: number | undefined) => boolean;
  error: (target: SshTarget, detail: string, stderr: string) => RvError;
}

/**
 * The host as messages name it, and the ssh command line a person can paste to reach it the way rv does
 * (rv's aliases live in rv's own ssh config, so a bare `ssh ALIAS` would not find them).
 */
export interface SshTarget {
  host: string;
  ssh?: string;
}

const sshOf = (target: SshTarget) => target.ssh ?? `ssh ${target.host}`;

const networkDown =
  /Could not resolve hostname|connect to host .*: (Connection timed out|No route to host|Connection refused|Network is unreachable)|Connection timed out during banner exchange|Connection to .* timed out|kex_exchange_identification|Connection reset by peer/i;
const hostKeyChanged = /REMOTE HOST IDENTIFICATION HAS CHANGED/;
const hostKeyFailed = /Host key verification failed/;
const keyRefused = /Permission denied \(/;
const loginsDisabled = /nologin|logins? (are )?(currently )?disabled|currently not available|system is going down/i;
const maintenance = /maintenance/i;
const connectionDropped =
  /Connection closed by|Connection to .* closed|Broken pipe|mux_client_|Control socket connect|Timeout, server .* not responding|client_loop|packet_write_wait/i;

const causes: Cause[] = [
  {
    matches: (stderr) => hostKeyChanged.test(stderr),
    error: (target, detail, stderr) =>
      new RvError("unreachable", `the host key of ${target.host} has changed since it was last trusted (${detail})`, {
        hint: `if you trust the new key (the cluster was reinstalled?), remove the old one: ${removeKeyCommand(stderr, target.host)}; then run ${sshOf(target)} once to accept it`,
      }),
  },
  {
    matches: (stderr) => hostKeyFailed.test(stderr),
    error: (target, detail) =>
      new RvError("unreachable", `the host key of ${target.host} could not be verified (${detail})`, {
        hint: `run ${sshOf(target)} once in a terminal to check and accept its host key, then rv doctor`,
      }),
  },
  {
    matches: (stderr) => networkDown.test(stderr),
    error: ({ host }, detail) =>
      new RvError("unreachable", `cannot reach ${host}: ${detail}`, {
        hint: `connect the VPN (or check the host name in your ssh config), then rv doctor`,
      }),
  },
  {
    matches: (stderr, exitCode) => exitCode === 254 || loginsDisabled.test(stderr),
    error: ({ host }, detail) =>
      new RvError("cluster", `${host} is not accepting logins (maintenance?): ${detail}`, {
        hint: "wait until the cluster is back (see its announcement), then retry",
      }),
  },
  {
    matches: (stderr) => keyRefused.test(stderr),
    error: (target, detail) =>
      new RvError("unreachable", `${target.host} refused your ssh key (${detail})`, {
        hint: `install your public key there: ${sshOf(target).replace(/^ssh /, "ssh-copy-id ")} (or name the key: rv init --identity-file KEY), then rv doctor`,
      }),
  },
  {
    matches: (stderr) => maintenance.test(stderr),
    error: ({ host }, detail) =>
      new RvError("cluster", `${host} is in maintenance: ${detail}`, {
        hint: "wait until the maintenance is over (see the cluster's announcement), then retry",
      }),
  },
  {
    matches: (stderr) => connectionDropped.test(stderr),
    error: ({ host }, detail) => droppedError(host, detail),
  },
];

/**
 * `batchProblem`: set when a batch started printing results but they stopped short or went wrong (see
 * parseBatchOutput); with no clearer cause in stderr, that is a connection that dropped mid-command.
 */
export function classifySshFailure(
  exitCode: number | undefined,
  stderr: string,
  target: SshTarget,
  batchProblem?: string,
): RvError {
  const { host } = target;
  const detail = lastMeaningfulLine(stderr);
  const cause = causes.find((candidate) => candidate.matches(stderr, exitCode));
  if (cause) return cause.error(target, detail ?? "no message", stderr);
  if (batchProblem) return droppedError(host, detail ? `${batchProblem}; ${detail}` : batchProblem);
  // ssh explains every failure to connect; it is silent only when its ControlMaster went away under it.
  if (exitCode === 255 && !detail) return droppedError(host, "ssh exited 255 without a message");
  if (exitCode === 255 || exitCode === undefined) {
    return new RvError("unreachable", `ssh to ${host} failed: ${detail ?? "no message from ssh"}`, {
      hint: `try ${sshOf(target)} true in a terminal to see what is wrong, then rv doctor`,
    });
  }
  // ssh delivered the remote status, so the connection held but the remote shell stopped early.
  const reason = `exit ${exitCode}: ${detail ?? "no message"}`;
  return new RvError("cluster", `the remote shell on ${host} stopped early (${reason})`, {
    hint: `check that ${host} has a working sh, mktemp and a writable temporary directory`,
  });
}

/** The connection went away after the batch started: nothing it printed is trusted, but commands may have run. */
function droppedError(host: string, detail: string): RvError {
  return new RvError("unreachable", `the connection to ${host} dropped mid-command (${detail}); no results were kept`, {
    hint: "check the network or VPN and retry; the commands may have run on the cluster before the drop",
  });
}

function lastMeaningfulLine(stderr: string): string | undefined {
  const lines = stderr.split(/\r?\n/).map((line) => line.trim());
  return lines.filter((line) => line !== "" && !/^@+$/.test(line) && !line.startsWith("debug")).at(-1);
}

/** ssh prints the exact command (known_hosts file and host:port) when a host key changed; prefer it. */
function removeKeyCommand(stderr: string, host: string): string {
  return stderr.match(/ssh-keygen -f .* -R .*/)?.[0]?.trim() ?? `ssh-keygen -R ${host}`;
}
