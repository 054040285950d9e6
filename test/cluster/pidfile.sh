# Sourced by up.sh and down.sh. A pid file outlives its daemon: a machine started from a copy of another's disk
# keeps /var/lib, and the pid in a stale file may belong to some other process by then (seen: sshd.pid naming a
# kernel worker, so up.sh never started sshd or two slurmd). So a pid counts only when it is the daemon the file is
# named after: slurmd-<node>.pid is `slurmd -N <node>`, mysqld.pid is mariadbd, any other <name>.pid is <name>.

# alive <pidfile>: the pid in the file is that daemon, running.
alive() {
  local p name node=""
  [[ -s $1 ]] || return 1
  p=$(cat "$1" 2>/dev/null) || return 1
  [[ $p =~ ^[0-9]+$ ]] || return 1
  name=$(basename "$1" .pid)
  case $name in
    slurmd-*) node=${name#slurmd-} name=slurmd ;;
    mysqld) name=mariadbd ;;
  esac
  [[ $(cat "/proc/$p/comm" 2>/dev/null) == "$name" ]] || return 1
  [[ -z $node || " $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" == *" -N $node "* ]]
}
