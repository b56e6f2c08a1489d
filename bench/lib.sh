# Shared by bench/run.sh and bench/scale.sh (sourced, not run): process bookkeeping so that
# everything a benchmark starts is stopped on exit or Ctrl-C, and a readiness wait.
# Needs: RUN (the run folder), LOGS (its log folder), say() for messages.

PIDS=()
stopping=0
# stop_pid PID: SIGTERM, up to 15 s, then SIGKILL (SIGCONT too: run.sh's C2 may have paused it)
stop_pid() {
  local pid="$1"
  kill -TERM "$pid" 2>/dev/null || return 0
  kill -CONT "$pid" 2>/dev/null || true
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}
stop_all() {
  [ "$stopping" = 1 ] && return
  stopping=1
  for ((i=${#PIDS[@]}-1; i>=0; i--)); do stop_pid "${PIDS[$i]}"; done
  wait 2>/dev/null || true
  if [ "${BENCH_KEEP:-0}" != 1 ] && [ -z "${BENCH_DIR:-}" ]; then rm -rf "$RUN"; fi
}
trap '' PIPE
trap 'say interrupted; stop_all; exit 130' INT TERM
trap 'stop_all' EXIT

# start NAME READY_TEXT CMD...: background process, log under $LOGS, waits for READY_TEXT
# (START_WAIT_S seconds, default 90); its pid is in LAST_PID
start() {
  local name="$1" ready="$2"; shift 2
  local log="$LOGS/$name.log"
  "$@" > "$log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  LAST_PID=$pid
  for _ in $(seq 1 $(( ${START_WAIT_S:-90} * 10 ))); do
    if grep -q "$ready" "$log" 2>/dev/null; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      say "$name exited during start-up; last lines of $log:"; tail -n 20 "$log" >&2; exit 1
    fi
    sleep 0.1
  done
  say "$name did not become ready in ${START_WAIT_S:-90} s; see $log"; exit 1
}

# ticks PID: CPU ticks (utime + stime) used so far by PID
ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# jit_ticks PID: CPU ticks used so far by the JVM's JIT compiler threads ("C1/C2 CompilerThre…")
jit_ticks() {
  cat /proc/"$1"/task/*/stat 2>/dev/null | awk 'index($0, "(C1 Compiler") || index($0, "(C2 Compiler") {
    sub(/^.*\) /, ""); s += $12 + $13 } END { print s + 0 }'
}

# logtime: now on the clock of RocksDB's info LOG (local time, second precision)
logtime() { date +%Y/%m/%d-%H:%M:%S; }
# rocks_compaction DIR FROM TO: the edge's RocksDB flushes and compactions between two logtimes,
# summed from the info LOG files in DIR ("compacted to", "Moved", "Level-0 flush table" lines):
# "log R / W MB (N files moved down untouched), dedup R / W MB; flushed F MB"
rocks_compaction() {
  { cat "$1"/LOG.old.* "$1"/LOG 2>/dev/null || true; } | perl -ne '
    BEGIN { ($from, $to) = splice(@ARGV, 0, 2) }
    next unless /^(\d{4}\/\d\d\/\d\d-\d\d:\d\d:\d\d)/ && $1 ge $from && $1 le $to;
    if (/\[(\w+)\] compacted to:.* MB in\(([\d.]+), ([\d.]+).* out\(([\d.]+)/) { $r{$1} += $2 + $3; $w{$1} += $4 }
    if (/\[(\w+)\] Moved #(\d+) files/) { $m{$1} += $2 }
    if (/\[\w+\] \[JOB \d+\] Level-0 flush table #\d+: (\d+) bytes/) { $f += $1 / 1e6 }
    END { printf "log %.0f / %.0f MB (%d files moved down untouched), dedup %.0f / %.0f MB; flushed %.0f MB\n",
      $r{log}, $w{log}, $m{log}, $r{dedup}, $w{dedup}, $f }' "$2" "$3"
}
