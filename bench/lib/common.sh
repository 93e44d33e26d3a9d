# shellcheck shell=bash
# shellcheck disable=SC2034  # globals set here are read by the scripts that source this file
# bench/lib/common.sh - logging, /proc readers, ports, result records. Sourced by bench/run.sh.

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FATAL: $*"; exit 2; }

# free_ports N: N distinct free loopback TCP ports
free_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks: s.close()
EOF
}

CLK_TCK=$(getconf CLK_TCK)

# cpu_ticks PID: utime+stime of the whole process (all threads), in clock ticks; 0 if gone
cpu_ticks() {
  local s
  [[ -n $1 ]] || { echo 0; return; }
  s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  s=${s##*) }  # drop "pid (comm) "
  # shellcheck disable=SC2086
  set -- $s     # $1 = state (field 3); utime = field 14 -> $12, stime = field 15 -> $13
  echo $(( ${12} + ${13} ))
}

# pg_ticks POSTMASTER_PID: CPU of the whole PostgreSQL cluster (postmaster incl. reaped children
# + live children)
pg_ticks() {
  local pm=$1 s tot c
  s=$(cat "/proc/$pm/stat" 2>/dev/null) || { echo 0; return; }
  s=${s##*) }
  # shellcheck disable=SC2086
  set -- $s
  tot=$(( ${12} + ${13} + ${14} + ${15} ))
  for c in $(ps -o pid= --ppid "$pm"); do tot=$(( tot + $(cpu_ticks "$c") )); done
  echo "$tot"
}

busy_ticks() { awk '/^cpu / {print $2+$3+$4+$7+$8+$9; exit}' /proc/stat; }

# status_kb PID FIELD: a /proc/PID/status field in kB (VmRSS, VmHWM)
status_kb() { awk -v f="$2:" '$1 == f {print $2; exit}' "/proc/$1/status" 2>/dev/null; }

# reset_hwm PID: reset VmHWM (peak RSS) to the current RSS (clear_refs "5", Linux >= 4.0; needs
# to be root or the process's owner). Returns 1 if not possible: VmHWM is then the peak since start.
reset_hwm() { [[ -n $1 ]] && echo 5 >"/proc/$1/clear_refs" 2>/dev/null; }

nfds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
established_to() { ss -Htn state established "( dport = :$1 )" 2>/dev/null | wc -l; }
listening() { [[ -n $(ss -Hltn "( sport = :$1 )" 2>/dev/null) ]]; }

# calc EXPR: python arithmetic, printed
calc() { python3 -c "print($1)"; }

# emit key=value...: one JSON line into $RESULTS_JSONL
emit() {
  python3 -c 'import json,sys; print(json.dumps(dict(a.split("=",1) for a in sys.argv[1:])))' "$@" >>"$RESULTS_JSONL"
}

# bench_session NAME GRACE: the setup profile.sh and instructions.sh share. Runs the daemons as
# $RUN_USER via setpriv when root (else as the caller: RUN_USER becomes that user), raises the
# open-files limit, makes the temp dir $T (/tmp/sluice-NAME.*), and on exit sends TERM to
# PIDS_TO_KILL, KILL after GRACE seconds, stops PostgreSQL and removes $T.
bench_session() {
  local name=$1
  BENCH_GRACE=$2
  if [[ $(id -u) == 0 ]]; then
    AS_USER=(setpriv --reuid="$RUN_USER" --regid="$(id -g "$RUN_USER")" --init-groups --)
  else
    RUN_USER=$(id -un); AS_USER=()
  fi
  ulimit -n 20000 2>/dev/null || true
  T=$(mktemp -d "/tmp/sluice-$name.XXXXXX") || die "mktemp failed"
  chmod 755 "$T"; [[ $(id -u) == 0 ]] && chown "$RUN_USER" "$T"
  PIDS_TO_KILL=(); PG_STARTED=0
  trap bench_session_cleanup EXIT
  trap 'exit 130' INT TERM
}
as_user() { "${AS_USER[@]}" "$@"; }
bench_session_cleanup() {
  local rc=$? p
  trap - EXIT INT TERM
  for p in "${PIDS_TO_KILL[@]}"; do [[ -n $p ]] && kill -TERM "$p" 2>/dev/null; done
  sleep "$BENCH_GRACE"
  for p in "${PIDS_TO_KILL[@]}"; do [[ -n $p ]] && kill -KILL "$p" 2>/dev/null; done
  pg_stop
  rm -rf "$T"
  exit "$rc"
}
