#!/usr/bin/env bash
# Capture real Slurm outputs from the dev cluster into test/slurm/fixtures/live/ (parser fixtures).
# Needs the cluster up (test/cluster/up.sh). Submits a few light sleep jobs, captures, then cancels them.
# Each fixture: <name>.out (stdout), <name>.err (stderr, when non-empty); INDEX.tsv lists name, rc, command.
set -uo pipefail
exec </dev/null
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${RV_FIXTURES_OUT:-$HERE/../slurm/fixtures/live}
STATE=${RV_CLUSTER_STATE:-/var/lib/rv-devcluster}
JOBDIR=$STATE/jobs
die() { echo "capture.sh: ERROR: $*" >&2; exit 1; }
scontrol ping >/dev/null 2>&1 || die "slurmctld not reachable; run test/cluster/up.sh first"
mkdir -p "$OUT" "$JOBDIR"; OUT=$(cd "$OUT" && pwd)
rm -f "$OUT"/*.out "$OUT"/*.err "$OUT"/INDEX.tsv
printf 'name\trc\tcommand\n' >"$OUT/INDEX.tsv"

# cap <name> <command string>   (run through bash -c so quoting is recorded exactly)
cap() {
  local name=$1 cmd=$2 rc
  (cd "$JOBDIR" && bash -c "$cmd") >"$OUT/$name.out" 2>"$OUT/$name.err"; rc=$?
  [[ -s $OUT/$name.err ]] || rm -f "$OUT/$name.err"
  [[ -s $OUT/$name.out ]] || rm -f "$OUT/$name.out"
  printf '%s\t%s\t%s\n' "$name" "$rc" "$cmd" >>"$OUT/INDEX.tsv"
  echo "  $name (rc=$rc)"
}
state_of() { squeue -h -t all -j "$1" -o %T 2>/dev/null; }
wait_state() { # wait_state <jobid> <regex> <secs>
  local end=$(( $(date +%s) + $3 ))
  until [[ $(state_of "$1") =~ $2 ]]; do (( $(date +%s) < end )) || { echo "capture.sh: job $1 is '$(state_of "$1")', wanted $2" >&2; return 1; }; sleep 0.2; done
}
sb() { (cd "$JOBDIR" && sbatch --parsable -o /dev/null "$@"); }

echo "capture.sh: idle-cluster outputs"
cap sinfo-N-idle "sinfo -N --noheader -o '%N|%P|%a|%l|%L|%T|%D|%G|%C|%m|%f|%E'"
cap sinfo-default "sinfo"
cap scontrol-show-partition "scontrol show partition"

echo "capture.sh: submitting jobs"
done_ok=$(sb -J fx-done -p standard -t 1 --wrap 'true')
done_fail=$(sb -J fx-fail -p standard -A research -t 1 --wrap 'exit 3')
fill=$(sb -J fx-fill -p gpu-a6000 -w a6000-01 --gres=gpu:a6000:4 -t 5 --wrap 'sleep 300')
a100=$(sb -J fx-a100 -p gpu-a100-80 --gres=gpu:a100_80g:2 -t 5 --wrap 'sleep 300')
mig=$(sb -J fx-mig -p gpu-mig --gpus=1g.10gb:3 -t 5 --wrap 'sleep 300')
cpu=$(sb -J fx-cpu -p standard -A research -c 4 --mem=4000 -t 5 --wrap 'sleep 300')
user=$(cd /tmp && runuser -u labuser -- sbatch --parsable -o /dev/null -J fx-user -p interactive-rtx3090 --gpus=rtx3090:1 -t 5 --wrap 'sleep 300')
wait_state "$fill" RUNNING 30
# a 2-node job that must wait for a6000-01: backfill plans it, so a6000-02 shows as 'planned' in sinfo
pend2=$(sb -J fx-pend-2node -p gpu-a6000 -N 2 --gres=gpu:a6000:1 -t 10 --wrap 'sleep 300')
pend=$(sb -J fx-pend -p gpu-a6000 --gres=gpu:a6000:4 -t 10 --wrap 'sleep 300')
cap sbatch-parsable "sbatch --parsable -o /dev/null -J fx-parsable -p standard -t 1 --wrap true"
cap sbatch-plain "sbatch -o /dev/null -J fx-plain -p standard -t 1 --wrap true"
cap sbatch-rejected "sbatch -o /dev/null -J fx-rejected -p gpu-a6000 --gres=gpu:a6000:9 -t 1 --wrap true"
for j in "$a100" "$mig" "$cpu" "$user"; do wait_state "$j" RUNNING 30; done
wait_state "$done_ok" COMPLETED 30; wait_state "$done_fail" FAILED 30
wait_state "$pend" PENDING 5
sleep 6   # let backfill (bf_interval=5) plan the pending jobs so %S / SchedNodeList / planned are filled in
echo "capture.sh: jobs: done=$done_ok fail=$done_fail fill=$fill a100=$a100 mig=$mig cpu=$cpu user=$user pend=$pend pend2=$pend2"

echo "capture.sh: busy-cluster outputs"
cap sinfo-N-busy "sinfo -N --noheader -o '%N|%P|%a|%l|%L|%T|%D|%G|%C|%m|%f|%E'"
cap sinfo-O-gresused "sinfo -N -O 'NodeList:20,StateComplete:30,Gres:40,GresUsed:50'"
cap sinfo-O-gresused-noheader "sinfo -N --noheader -O 'NodeList:20,StateComplete:30,Gres:40,GresUsed:50'"
cap sinfo-json "sinfo --json"
cap squeue-pipe "squeue --noheader -o '%i|%P|%j|%u|%T|%M|%l|%L|%S|%e|%D|%R|%b'"
cap squeue-pipe-header "squeue -o '%i|%P|%j|%u|%T|%M|%l|%L|%S|%e|%D|%R|%b'"
cap squeue-pipe-all "squeue --noheader -t all -o '%i|%P|%j|%u|%T|%M|%l|%L|%S|%e|%D|%R|%b'"
cap squeue-reason "squeue -o '%i|%T|%r|%S|%e|%l|%b'"
cap squeue-default "squeue"
cap squeue-start "squeue --start"
cap squeue-json "squeue --json"
cap squeue-finished-id "squeue --noheader -j $done_ok"
cap squeue-finished-id-all "squeue --noheader -t all -j $done_ok -o '%i|%T'"
cap squeue-unknown-id "squeue --noheader -j 999999"
cap sacct "sacct -X -P -o JobID,JobName,Partition,Account,AllocTRES,State,ExitCode,Start,End,Elapsed,NodeList"
cap sacct-json "sacct --json"
cap sshare "sshare -l -P"
cap sshare-a "sshare -a -P"
cap scontrol-show-job "scontrol show job"
cap scontrol-show-job-running "scontrol show job $a100"
cap scontrol-show-job-pending "scontrol show job $pend"
cap scontrol-show-job-oneliner "scontrol -o show job"
cap scontrol-show-job-unknown "scontrol show job 999999"
cap scontrol-show-partition-busy "scontrol show partition"
cap scontrol-show-node "scontrol show node"
cap scontrol-d-show-node "scontrol -d show node"
cap scontrol-show-node-oneliner "scontrol -o show node"
cap test-only-ok-now "sbatch --test-only -p gpu-a100-80 --gres=gpu:a100_80g:1 -t 5 --wrap true"
cap test-only-ok-later "sbatch --test-only -p gpu-a6000 --gres=gpu:a6000:4 -t 5 --wrap true"
cap test-only-ok-epoch "SLURM_TIME_FORMAT=%s sbatch --test-only -p gpu-a6000 --gres=gpu:a6000:1 -t 5 --wrap true"
cap test-only-ok-multinode "sbatch --test-only -p standard -N 2 -t 5 --wrap true"
cap test-only-err-config "sbatch --test-only -p gpu-a6000 --gres=gpu:a6000:9 -t 5 --wrap true"
cap test-only-err-type "sbatch --test-only -p gpu-a6000 --gres=gpu:a100_80g:1 -t 5 --wrap true"
cap test-only-err-partition "sbatch --test-only -p nosuchpart -t 5 --wrap true"
cap scancel-unknown "scancel 999999"
cap scancel-unknown-v "scancel -v 999999"

echo "capture.sh: cancelling capture jobs"
mine=$(squeue -h -o '%i %j' | awk '$2 ~ /^fx-/ {print $1}')
[[ -n $mine ]] && scancel $mine
end=$(( $(date +%s) + 20 ))
while [[ -n $(squeue -h -o '%j' | grep '^fx-') ]] && (( $(date +%s) < end )); do sleep 0.2; done
sleep 3   # sacct lags slurmctld by 1-3 s
cap sacct-after-cancel "sacct -X -P -o JobID,JobName,Partition,Account,AllocTRES,State,ExitCode,Start,End,Elapsed,NodeList"
cap sacct-steps "sacct -P -o JobID,JobName,State,ExitCode,Elapsed,NodeList"
cap squeue-all-after-cancel "squeue --noheader -t all -o '%i|%P|%j|%u|%T|%M|%l|%L|%S|%e|%D|%R|%b'"
cap sinfo-N-after "sinfo -N --noheader -o '%N|%P|%a|%l|%L|%T|%D|%G|%C|%m|%f|%E'"

# Reservations, on rtx3090-01 (one node, one partition) and for seconds only: a MAINT one ahead holds a job whose
# walltime would overlap it pending; one active now; one far ahead on a hostlist with a partition and an account.
echo "capture.sh: reservations"
resv_del() { for r in rv-fx-maint rv-fx-now rv-fx-later; do scontrol delete ReservationName=$r >/dev/null 2>&1; done; }
resv_del
cap scontrol-show-reservation-none "scontrol show reservation"
scontrol create reservation ReservationName=rv-fx-maint StartTime=now+5minutes Duration=10 Nodes=rtx3090-01 Flags=MAINT Users=root >/dev/null
held=$(sb -J fx-resv -p interactive-rtx3090 --gres=gpu:rtx3090:1 -t 10 --wrap 'sleep 300')
end=$(( $(date +%s) + 30 ))
until [[ $(squeue -h -j "$held" -o %r) == *eserved* ]] || (( $(date +%s) >= end )); do sleep 0.5; done
cap squeue-reason-reserved "squeue -j $held -o '%i|%T|%r|%S|%e|%l|%b'"
scontrol create reservation ReservationName=rv-fx-now StartTime=now Duration=2 Nodes=rtx3090-01 Flags=MAINT,IGNORE_JOBS,OVERLAP Users=root >/dev/null
scontrol create reservation ReservationName=rv-fx-later StartTime=now+300days Duration=1-00:00:00 Nodes=a100-[01-02] PartitionName=gpu-a100-80 Accounts=research >/dev/null
cap scontrol-show-reservation "SLURM_TIME_FORMAT=%s scontrol show reservation"
cap scontrol-show-reservation-wallclock "scontrol show reservation"
cap scontrol-show-reservation-oneliner "scontrol -o show reservation"
scancel "$held"; resv_del
{ echo "# captured $(date -u +%FT%TZ) on $(hostname) by test/cluster/capture.sh"
  echo "# $(sinfo --version); cluster $(scontrol show config | awk -F'= ' '/^ClusterName/{print $2}')"; } >"$OUT/VERSION.txt"
echo "capture.sh: wrote $(ls "$OUT" | wc -l) files to $OUT"
