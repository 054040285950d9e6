#!/bin/bash
# A checkpointable task for the renewal tests: counts to 25 seconds; on USR1 saves its count and exits; an
# attempt told to resume (RV_RESUME=1) starts from the saved count. Every attempt appends one line to $1.log:
# attempt, RV_RESUME, first and last second, and how it ended.
n=0
[ -n "${RV_RESUME:-}" ] && [ -f "$1.ck" ] && n=$(cat "$1.ck")
first=$(date +%s)
trap 'echo "$n" > "$1.ck"; echo "$RV_ATTEMPT ${RV_RESUME:-0} $first $(date +%s) saved=$n" >> "$1.log"; exit 0' USR1
while [ "$n" -lt 25 ]; do sleep 1 & wait $!; n=$((n+1)); done
echo "$RV_ATTEMPT ${RV_RESUME:-0} $first $(date +%s) done" >> "$1.log"
