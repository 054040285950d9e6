import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { shQuote } from "../../src/remote/quote.ts";

/** The environment a fake rv records: what the segment script exports, and what Slurm gives a step. */
export const recordedEnv = [
  "RV_HOME",
  "RV_LEASE",
  "RV_SEGMENT",
  "RV_SEGMENT_END",
  "CUDA_VISIBLE_DEVICES",
  "SLURM_JOB_GPUS",
  "SLURMD_NODENAME",
  "SLURM_JOB_ID",
] as const;

export interface FakeRvOptions {
  /** How long `rv runner` runs when no USR1 comes (a USR1 makes it "drain" and exit 0). */
  runnerSeconds: number;
  runnerStatus?: number;
  renewStatus?: number;
}

/**
 * A bash stand-in for the rv binary at `path`, recording every call under `recordDir`: its argv, the
 * environment above, when it started, and each USR1/TERM it gets (by the clock of this host).
 */
export function writeFakeRv(path: string, recordDir: string, options: FakeRvOptions): void {
  mkdirSync(recordDir, { recursive: true });
  const script = `#!/bin/bash
record=${shQuote(recordDir)}/"$1.\${SLURMD_NODENAME:-local}.$$"
note_signal() { printf '%s %s\\n' "$1" "$(date +%s)" >> "$record.signals"; }
drain=
trap 'note_signal USR1; drain=1' USR1
trap 'note_signal TERM; exit 143' TERM
printf '%s\\0' "$@" > "$record.argv"
for name in ${recordedEnv.join(" ")}; do printf '%s=%s\\0' "$name" "\${!name-}"; done > "$record.env"
date +%s > "$record.started"
if [ "$1" = runner ]; then
  for ((tick = 0; tick < ${options.runnerSeconds * 5}; tick++)); do
    sleep 0.2 & wait $!
    [ -n "$drain" ] && break
  done
  exit ${options.runnerStatus ?? 0}
fi
exit ${options.renewStatus ?? 0}
`;
  writeFileSync(path, script);
  chmodSync(path, 0o755);
}

export interface FakeCall {
  command: string;
  node: string;
  argv: string[];
  env: Record<string, string>;
  startedAt: number;
  signals: { name: string; at: number }[];
}

/** The calls a fake rv has recorded so far that have started (argv and env are written before the start). */
export function readCalls(recordDir: string): FakeCall[] {
  if (!existsSync(recordDir)) return [];
  const started = readdirSync(recordDir).filter((f) => f.endsWith(".started"));
  return started.map((file) => {
    const base = join(recordDir, file.slice(0, -".started".length));
    const [command = "", node = ""] = file.split(".");
    const signalsFile = `${base}.signals`;
    const signals = existsSync(signalsFile) ? readFileSync(signalsFile, "utf8").trim().split("\n") : [];
    return {
      command,
      node,
      argv: nulSeparated(`${base}.argv`),
      env: Object.fromEntries(
        nulSeparated(`${base}.env`).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
      ),
      startedAt: Number(readFileSync(join(recordDir, file), "utf8")),
      signals: signals.map((line) => ({ name: line.split(" ")[0] ?? "", at: Number(line.split(" ")[1]) })),
    };
  });
}

function nulSeparated(file: string): string[] {
  return readFileSync(file, "utf8").split("\0").slice(0, -1);
}

/**
 * Stand-ins for srun, squeue and scancel, so that a segment script runs under plain bash: srun runs its command
 * in place, squeue prints RV_STUB_SQUEUE_END (or nothing), and scancel records its argv in `scancel.calls`.
 */
export function writeSlurmStubs(stubDir: string, recordDir: string): void {
  mkdirSync(stubDir, { recursive: true });
  const stubs = {
    srun: 'while [[ $1 == --* ]]; do shift; done\nexec "$@"',
    squeue: 'printf "%s" "$RV_STUB_SQUEUE_END"',
    scancel: `printf '%s\\n' "$*" >> ${shQuote(join(recordDir, "scancel.calls"))}`,
  };
  for (const [name, body] of Object.entries(stubs)) {
    writeFileSync(join(stubDir, name), `#!/bin/bash\n${body}\n`);
    chmodSync(join(stubDir, name), 0o755);
  }
}
