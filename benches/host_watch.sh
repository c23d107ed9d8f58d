# Sourced by the load harnesses (benches/load/run.sh, benches/ledger/run.sh): tells a round
# run on a frozen or starved host from a round where the server stalled.
#
#   host_watch_start      # before a measured run
#   host_watch_stop       # after it: sets host_gap_ms and host_steal_pct
#
# host_gap_ms: the longest time between two ticks of a loop that waits 50 ms per tick (bash
# builtins only: no process is started per tick). On a busy 2-core machine a tick comes a few
# milliseconds late; a gap of seconds means nothing on the host ran, wrk's clock included,
# and wrk then counts every request in flight as timed out.
# host_steal_pct: the share of the machine's time the hypervisor gave to other guests
# (the steal column of /proc/stat) during the run.

host_watch_pid=""

# The tick loop: on SIGTERM prints the longest gap between ticks, in milliseconds.
host_watch_loop() {
  local fd last now gap max=0
  exec {fd}<> <(:)
  trap 'echo $((max / 1000)); exit 0' TERM
  last=${EPOCHREALTIME/./}
  while :; do
    read -r -t 0.05 -u "$fd" _ || true
    now=${EPOCHREALTIME/./}
    gap=$((now - last))
    [ "$gap" -le "$max" ] || max=$gap
    last=$now
  done
}

host_steal_ticks() { awk '/^cpu / { print $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }

host_watch_start() {
  host_watch_file=$(mktemp)
  host_watch_loop > "$host_watch_file" &
  host_watch_pid=$!
  host_watch_steal0=$(host_steal_ticks)
}

host_watch_stop() {
  host_gap_ms=0; host_steal_pct=0
  [ -n "$host_watch_pid" ] || return 0
  kill -TERM "$host_watch_pid" 2>/dev/null || true
  wait "$host_watch_pid" 2>/dev/null || true
  host_watch_pid=""
  host_gap_ms=$(cat "$host_watch_file" 2>/dev/null || true)
  host_gap_ms=${host_gap_ms:-0}
  rm -f "$host_watch_file"
  host_steal_pct=$(awk -v a="$host_watch_steal0" -v b="$(host_steal_ticks)" \
    'BEGIN { split(a, x, " "); split(b, y, " "); t = y[2] - x[2]
             if (t > 0) printf "%.1f", 100 * (y[1] - x[1]) / t; else print 0 }')
}
