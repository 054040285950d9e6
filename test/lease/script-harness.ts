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
  /** How long `rv runner` runs when its segment's end does not come (the control file makes it "drain"). */
  runnerSeconds: number;
  /** The status of `rv runner` when it runs out its time. */
  runnerStatus?: number;
  /** The status of `rv runner` when it drains because its segment ends. */
  drainStatus?: number;
  renewStatus?: number;
  /** The status of `rv lease claim`: 0 won the race, anything else lost it. */
  claimStatus?: number;
  superviseStatus?: number;
  /** Anything but 0: `rv lease end-segment` fails with it, and leaves no control file. */
  endSegmentStatus?: number;
}

/** The control file that `rv lease end-segment` leaves for the runners of a segment, as rv lays it out. */
export function segmentEndFile(root: string, lease: string, segment: number | string): string {
  return join(root, "leases", lease, "control", `segment-${segment}.end`);
}

/**
 * A bash stand-in for the rv binary at `path`, recording every call under `recordDir`: its argv, the
 * environment above, when it started, each USR1/TERM it gets, and when a runner drained (by the clock of this
 * host). The calls are named `runner`, `lease-renew`, `lease-claim`, `lease-end-segment` and `lease-supervise`.
 *
 * `rv runner` polls every 0.2 s for its segment's control file under $RV_HOME (from RV_LEASE and RV_SEGMENT,
 * as the real runner knows its own), and drains when it appears. A USR1 is only recorded: the runners must learn
 * of the end through the file, and a test can tell that no signal reached them. `rv lease end-segment --lease L
 * --segment N` creates that file from its own arguments, so a runner drains only if the script passed the right
 * ones.
 */
export function writeFakeRv(path: string, recordDir: string, options: FakeRvOptions): void {
  mkdirSync(recordDir, { recursive: true });
  const endSegmentStatus = options.endSegmentStatus ?? 0;
  const script = `#!/bin/bash
case "$1" in
  lease) name="lease-\${2-}" ;;
  *) name="$1" ;;
esac
record=${shQuote(recordDir)}/"$name.\${SLURMD_NODENAME:-local}.$$"
note_signal() { printf '%s %s\\n' "$1" "$(date +%s)" >> "$record.signals"; }
trap 'note_signal USR1' USR1
trap 'note_signal TERM; exit 143' TERM
printf '%s\\0' "$@" > "$record.argv"
for var in ${recordedEnv.join(" ")}; do printf '%s=%s\\0' "$var" "\${!var-}"; done > "$record.env"
date +%s > "$record.started"
case "$1 \${2-}" in
  "runner "*)
    end_file="$RV_HOME/leases/$RV_LEASE/control/segment-$RV_SEGMENT.end"
    for ((tick = 0; tick < ${options.runnerSeconds * 5}; tick++)); do
      if [ -e "$end_file" ]; then
        date +%s > "$record.drained"
        exit ${options.drainStatus ?? 0}
      fi
      sleep 0.2 & wait $!
    done
    exit ${options.runnerStatus ?? 0} ;;
  "lease end-segment")
    if [ $# -ne 6 ] || [ "$3" != --lease ] || [ "$5" != --segment ]; then
      echo "fake rv: unexpected arguments: $*" >&2
      exit 2
    fi
    [ ${endSegmentStatus} -eq 0 ] || exit ${endSegmentStatus}
    mkdir -p "$RV_HOME/leases/$4/control" && : > "$RV_HOME/leases/$4/control/segment-$6.end"
    exit ;;
  "lease renew") exit ${options.renewStatus ?? 0} ;;
  "lease claim") exit ${options.claimStatus ?? 0} ;;
  "lease supervise") exit ${options.superviseStatus ?? 0} ;;
esac
echo "fake rv: unknown command: $*" >&2
exit 2
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
  /** When a runner saw its segment's control file and drained; undefined if it never did. */
  drainedAt?: number;
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
    const drainedFile = `${base}.drained`;
    return {
      command,
      node,
      argv: nulSeparated(`${base}.argv`),
      env: Object.fromEntries(
        nulSeparated(`${base}.env`).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
      ),
      startedAt: Number(readFileSync(join(recordDir, file), "utf8")),
      signals: signals.map((line) => ({ name: line.split(" ")[0] ?? "", at: Number(line.split(" ")[1]) })),
      ...(existsSync(drainedFile) ? { drainedAt: Number(readFileSync(drainedFile, "utf8")) } : {}),
    };
  });
}

function nulSeparated(file: string): string[] {
  return readFileSync(file, "utf8").split("\0").slice(0, -1);
}

/**
 * Stand-ins for srun, squeue and scancel, so that a segment script runs under plain bash: srun runs its command
 * in place, squeue prints RV_STUB_SQUEUE_END (or nothing), and scancel records its argv in `scancel.calls` (so
 * that a test can tell the script never called it).
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
