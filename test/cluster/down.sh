#!/usr/bin/env bash
# rv dev cluster: stop what up.sh started (by pid files). Idempotent.
#   --cancel   scancel all jobs first (otherwise running jobs' slurmstepd survive and re-attach on the next up)
#   --purge    also drop the accounting DB and remove the state dir, /etc/slurm symlinks and the /etc/hosts line
set -uo pipefail
exec </dev/null
STATE=${RV_CLUSTER_STATE:-/var/lib/rv-devcluster}
RUN=$STATE/var/run
NODES=(a6000-01 a6000-02 a100-01 a100-02 mig-01 rtx3090-01 cpu-01 cpu-02)
CANCEL=0 PURGE=0
for a in "$@"; do
  case $a in
    --cancel) CANCEL=1 ;;
    --purge) PURGE=1 CANCEL=1 ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    *) echo "down.sh: unknown option $a" >&2; exit 2 ;;
  esac
done
[[ $(id -u) -eq 0 ]] || { echo "down.sh: must run as root" >&2; exit 1; }

source "$(dirname "${BASH_SOURCE[0]}")/pidfile.sh" # alive <pidfile>: never TERM a stranger that inherited a stale pid
# stop_group <pidfile...>: TERM them all in parallel, wait up to 20 s, then KILL
stop_group() {
  local pids=() f p end
  for f in "$@"; do alive "$f" && { p=$(cat "$f"); kill -TERM "$p" 2>/dev/null && pids+=("$p"); }; done
  ((${#pids[@]})) || return 0
  end=$(( $(date +%s) + 20 ))
  while (( $(date +%s) < end )); do
    local left=0; for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && left=1; done
    ((left)) || break; sleep 0.2
  done
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && { echo "down.sh: pid $p did not exit on TERM, killing" >&2; kill -KILL "$p"; }; done
  echo "down.sh: stopped ${#pids[@]} process(es): $(for f in "$@"; do basename "$f" .pid; done | tr '\n' ' ')"
}

if ((CANCEL)) && alive "$RUN/slurmctld.pid"; then
  ids=$(squeue -h -o %i 2>/dev/null); [[ -n $ids ]] && scancel $ids 2>/dev/null && echo "down.sh: cancelled $(wc -w <<<"$ids") job(s)"
  end=$(( $(date +%s) + 15 )); while [[ -n $(squeue -h -o %i 2>/dev/null) ]] && (( $(date +%s) < end )); do sleep 0.2; done
fi
# ssh control masters opened through the test config
for s in "$STATE"/ssh/cm-*; do [[ -S $s ]] && ssh -F "$STATE/ssh/config" -o ControlPath="$s" -O exit rv-devcluster >/dev/null 2>&1; done

files=(); for n in "${NODES[@]}"; do files+=("$RUN/slurmd-$n.pid"); done
stop_group "${files[@]}" "$RUN/slurmctld.pid" "$RUN/sshd.pid"
stop_group "$RUN/slurmdbd.pid"
if ((PURGE)) && alive /run/mysqld/mysqld.pid; then
  mariadb -e 'DROP DATABASE IF EXISTS slurm_acct_db' && echo "down.sh: dropped slurm_acct_db"
fi
# mariadb and munged are only stopped when up.sh recorded them (symlinks in var/run)
g=(); [[ -L $RUN/mysqld.pid ]] && g+=(/run/mysqld/mysqld.pid); [[ -L $RUN/munged.pid ]] && g+=(/run/munge/munged.pid)
((${#g[@]})) && stop_group "${g[@]}"

if ((PURGE)); then
  for f in slurm.conf gres.conf cgroup.conf slurmdbd.conf; do
    [[ -L /etc/slurm/$f && $(readlink "/etc/slurm/$f") == "$STATE/etc/$f" ]] && rm -f "/etc/slurm/$f"
    [[ -e /etc/slurm/$f.rv-bak && ! -e /etc/slurm/$f ]] && mv "/etc/slurm/$f.rv-bak" "/etc/slurm/$f"
  done
  sed -i '/# rv-devcluster$/d' /etc/hosts
  rm -f /etc/mysql/mariadb.conf.d/99-rv-devcluster.cnf
  rm -rf "$STATE"
  echo "down.sh: purged $STATE (packages, munge key, /dev/fakegpu*, labuser are kept)"
fi
echo "down.sh: done"
