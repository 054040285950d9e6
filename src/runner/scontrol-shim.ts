/**
 * The `scontrol` a task of a Slurm segment finds first on its PATH. Frameworks that checkpoint on a signal and
 * then requeue "their" job themselves (PyTorch Lightning's SLURMEnvironment with auto-requeue, submitit) run
 * `scontrol requeue $SLURM_JOB_ID`; inside a lease that job is the segment's, which holds every task of the lease
 * (and, being `--no-requeue`, Slurm refuses it). The shim turns that request into rv's own: it leaves
 * `control/<task-id>.requeue` with `byAttempt` (the path `rv requeue` takes), and the runner stops the attempt
 * and puts it back as the next one, with RV_RESUME=1, as an interruption by rv (no crash, no retry counted).
 * Every other use goes to the real scontrol unchanged, so `scontrol show job $SLURM_JOB_ID` keeps working.
 *
 * A POSIX sh script, so a call costs no rv startup; the decision is in the script, tested by running it
 * (test/runner/scontrol-shim.test.ts). What it recognises, as scontrol reads it: the command `requeue` or
 * `requeuehold`, in any case and abbreviated as scontrol allows (`req` ... `requeue`); a job list naming this
 * job as `ID` or `JobId=ID`, alone or in a comma list (the other jobs of the list go to the real scontrol);
 * scontrol's flags without a value before or after. Anything else (`-M` another cluster, `-h`, an unknown
 * flag, another job) is scontrol's to answer; a form the shim misses costs nothing worse than Slurm's refusal.
 */
import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type LeasePaths, shimDir } from "../fsqueue/index.ts";
import { shQuote } from "../remote/quote.ts";

export interface ScontrolShimFacts {
  /** The segment's Slurm job id (SLURM_JOB_ID of the runner's step). */
  job: string;
  /** The directory the shim is in: the real scontrol is looked for after it on PATH. */
  dir: string;
  /** Where the request goes: the lease's `control/`, staged in its `tmp/`. */
  control: string;
  tmp: string;
}

/** The script, every baked-in value quoted once by shQuote. */
export function scontrolShimScript(facts: ScontrolShimFacts): string {
  return `#!/bin/sh
# rv's scontrol for the tasks of one runner (src/runner/scontrol-shim.ts): \`scontrol requeue\` of the lease's
# segment job requeues the calling task instead (its next attempt resumes, RV_RESUME=1); all else goes to the
# real scontrol, the first on PATH after this directory.
job=${shQuote(facts.job)}
self=${shQuote(facts.dir)}
control=${shQuote(facts.control)}
tmp=${shQuote(facts.tmp)}

# After the last PATH entry that is this directory: a wrapper of the user's earlier on PATH that runs scontrol
# again comes here, and then goes on past it instead of looping.
exec_real() {
  real=
  ifs=$IFS
  IFS=:
  set -f
  for dir in $PATH; do
    if [ "$dir" = "$self" ]; then
      real=
    elif [ -z "$real" ] && [ -n "$dir" ] && [ -f "$dir/scontrol" ] && [ -x "$dir/scontrol" ]; then
      real=$dir/scontrol
    fi
  done
  set +f
  IFS=$ifs
  if [ -z "$real" ]; then
    echo "scontrol: command not found" >&2
    exit 127
  fi
  exec "$real" "$@"
}

# kept: the comma list $1 without this job (as ID or JobId=ID); named=1 when it was in it.
without_job() {
  kept= named= rest=$1
  while :; do
    item=\${rest%%,*}
    case $item in
      [Jj][Oo][Bb][Ii][Dd]=*) id=\${item#*=} ;;
      *) id=$item ;;
    esac
    if [ "$id" = "$job" ]; then named=1; else kept=\${kept:+$kept,}$item; fi
    case $rest in
      *,*) rest=\${rest#*,} ;;
      *) break ;;
    esac
  done
}

cmd= plain=1 hit= others=
for arg do
  case $arg in
    -a | --all | -d | --details | -F | --future | -o | --oneliner | -Q | --quiet | -v | --verbose) ;;
    --federation | --hide | --local | --sibling | -u?* | --uid=*) ;;
    -*) plain= ;;
    *)
      if [ -z "$cmd" ]; then
        cmd=$arg
      else
        without_job "$arg"
        if [ -n "$named" ]; then
          hit=1
          if [ -n "$kept" ]; then others=1; fi
        fi
      fi
      ;;
  esac
done
case $cmd in
  [Rr][Ee][Qq]*) cmd=$(printf '%s\\n' "$cmd" | tr '[:upper:]' '[:lower:]') ;;
esac
case $plain$hit/$cmd in
  11/req | 11/requ | 11/reque | 11/requeu | 11/requeue | 11/requeuehold) ;;
  *) exec_real "$@" ;;
esac

task=\${RV_TASK_ID:-}
attempt=\${RV_ATTEMPT:-}
case $task in '' | *[!0-9a-z]*) task= ;; esac
case $attempt in '' | *[!0-9]* | 0*) attempt= ;; esac
if [ -z "$task" ] || [ -z "$attempt" ]; then
  echo "rv: scontrol $cmd of job $job refused: that job is the rv lease's segment, and only an rv task (RV_TASK_ID, RV_ATTEMPT) may ask to be requeued in it" >&2
  exit 1
fi
# The runner stops the attempt (TERM to its group) as soon as the request lands: answer first, as Slurm's would.
trap '' TERM
staged=$(mktemp "$tmp/$task.requeue.$$.XXXXXX") || exit 1
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
if printf '{"v":1,"verb":"requeue","target":"%s","requestedAt":"%s","requestedBy":"task %s attempt %s (scontrol %s)","byAttempt":%s}\\n' \\
  "$task" "$now" "$task" "$attempt" "$cmd" "$attempt" >"$staged" && mv -f "$staged" "$control/$task.requeue"; then
  echo "rv: scontrol $cmd of job $job, the lease's segment: task $task goes back to the lease's queue; attempt $((attempt + 1)) resumes with RV_RESUME=1" >&2
else
  rm -f "$staged"
  echo "rv: scontrol $cmd of job $job: could not ask rv to requeue task $task" >&2
  exit 1
fi
if [ -z "$others" ]; then exit 0; fi

# The other jobs of the list are Slurm's: the same arguments without this job.
for arg do
  shift
  case $arg in
    -*) ;;
    *)
      without_job "$arg"
      if [ -n "$named" ]; then
        if [ -z "$kept" ]; then continue; fi
        arg=$kept
      fi
      ;;
  esac
  set -- "$@" "$arg"
done
exec_real "$@"
`;
}

/**
 * Writes the shim of runner `runner` into its own directory under the lease (0700, the file 0700: nobody else
 * may change what a task runs as scontrol) and returns the directory, to be put first on its tasks' PATH.
 */
export function installScontrolShim(p: LeasePaths, runner: string, job: string): string {
  const dir = shimDir(p, runner);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, "scontrol");
  writeFileSync(file, scontrolShimScript({ job, dir, control: p.control, tmp: p.tmp }), { mode: 0o700, flag: "wx" });
  chmodSync(file, 0o700); // the mode given to a new file is cut by the umask
  return dir;
}

export function removeScontrolShim(p: LeasePaths, runner: string): void {
  rmSync(shimDir(p, runner), { recursive: true, force: true });
}
