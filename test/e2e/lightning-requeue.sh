#!/bin/bash
# A task that requeues "its job" as PyTorch Lightning's SLURMEnvironment (auto-requeue) does: on USR1 it saves
# its step and runs `scontrol requeue $SLURM_JOB_ID`; SIGTERM it ignores ("bypassing SIGTERM"), and it trains on
# until it is killed. An attempt told to resume (RV_RESUME=1) loads the step, asks Slurm about its job and ends.
# Prints its step every second; every event is a line of $1.log.
log=$1.log
step=0
if [ -n "${RV_RESUME:-}" ]; then
  step=$(cat "$1.ck")
  echo "$RV_ATTEMPT resumed step=$step job=$SLURM_JOB_ID $(scontrol show job "$SLURM_JOB_ID" | grep -o 'JobState=[A-Z]*')" >>"$log"
  exit 0
fi
requeue() {
  echo "$step" >"$1.ck"
  scontrol requeue "$SLURM_JOB_ID"
  echo "$RV_ATTEMPT requeue status $? step=$step job=$SLURM_JOB_ID" >>"$log"
}
trap 'requeue "$1"' USR1
trap 'echo "$RV_ATTEMPT bypassing SIGTERM" >>"$log"' TERM
echo "$RV_ATTEMPT started job=$SLURM_JOB_ID" >>"$log"
while [ "$step" -lt 600 ]; do
  echo "step $step"
  sleep 1 &
  wait $!
  step=$((step + 1))
done
echo "$RV_ATTEMPT ran to the end" >>"$log"
