#!/usr/bin/env bash
# edgesync durable-ingest A/B (issue 8 target 1): Mosquitto vs one or more edge-node jars, the same
# MQTT load, interleaved in rounds so that every edge figure has a Mosquitto figure taken minutes
# apart on the same (shared, noisy) machine. Per round: Mosquitto (tuned as in bench/run.sh phase A,
# one subscriber), then each edge variant alone (no cloud: it buffers, PUBACK after the WAL fsync).
# Prints one line per run and, per variant, the median of its edge/Mosquitto ratios.
#
#   bench/ingest-ab.sh [--rounds N] [--messages N] [--jfr] NAME=JAR[@JVM_FLAGS] ...
#   e.g. bench/ingest-ab.sh --rounds 3 before=/tmp/edge-before.jar@"-Xmx256m -XX:+UseG1GC" \
#          after=edge-node/target/edge-node.jar
#
# JVM_FLAGS default to the bounded ones of the systemd unit (docs/OPERATIONS.md "Memory bounds").
# --jfr records each edge run under load (settings=profile, started once the edge is ready, so
# start-up is left out) into $BENCH_DIR/<name>-r<round>.jfr and prints
# its hottest frames. Load: 8 QoS1 connections, 200-byte JSON payloads, window 1000 (bench/run.sh
# defaults). Environment: BENCH_DIR (default /tmp/edgesync-ab-<timestamp>, kept), JAVA, BENCH_LG_OPTS.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAVA="${JAVA:-java}"
ROUNDS=3; MESSAGES=400000; JFR=0; VARIANTS=()
. "$ROOT/bench/edge-flags.sh"
DEFAULT_OPTS="$(edge_env JAVA_OPTS)"
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS="$2"; shift ;;
    --messages) MESSAGES="$2"; shift ;;
    --jfr) JFR=1 ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *=*) VARIANTS+=("$1") ;;
    *) echo "ingest-ab: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
[ ${#VARIANTS[@]} -gt 0 ] || { echo "ingest-ab: name at least one NAME=JAR" >&2; exit 2; }
LOADGEN_JAR="$ROOT/loadgen/target/loadgen.jar"
[ -f "$LOADGEN_JAR" ] || (cd "$ROOT" && mvn -B -q -o -DskipTests package -pl loadgen -am)
command -v mosquitto > /dev/null || { echo "ingest-ab: needs mosquitto (apt-get install -y mosquitto)" >&2; exit 1; }
RUN="${BENCH_DIR:-/tmp/edgesync-ab-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$RUN"
# extra JVM flags of the load generator, as in bench/run.sh
read -r -a CLIENT_JVM <<< "${BENCH_LG_OPTS:-}"
LG=("$JAVA" -Xmx1g "${CLIENT_JVM[@]}" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -jar "$LOADGEN_JAR")
COMMON=(--qos 1 --clients 8 --payload 200 --window 1000 --messages "$MESSAGES")
HZ="$(getconf CLK_TCK)"
UNIT_ARENAS=$(edge_env MALLOC_ARENA_MAX)
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-$UNIT_ARENAS}"

CHILD=""
cleanup() { [ -n "$CHILD" ] && kill -TERM "$CHILD" 2>/dev/null && wait "$CHILD" 2>/dev/null; CHILD=""; }
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

kv() { awk -F= -v k="$2" '$1 == k { print substr($0, length(k) + 2) }' "$1"; }
ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
hwm_mb() { awk '$1 == "VmHWM:" { printf "%d", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo 0; }
load1() { cut -d' ' -f1 /proc/loadavg; }
stop_child() { kill -TERM "$CHILD" 2>/dev/null || true; wait "$CHILD" 2>/dev/null || true; CHILD=""; }

mosquitto_run() {  # prints the subscriber's rate
  local port; port=$("${LG[@]}" ports 1)
  printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\nlog_type error\nmax_inflight_messages 0\nmax_queued_messages 0\n' \
    "$port" > "$RUN/mosquitto.conf"
  mosquitto -c "$RUN/mosquitto.conf" > "$RUN/mosquitto.log" 2>&1 & CHILD=$!
  for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  "${LG[@]}" mqtt --port "$port" "${COMMON[@]}" --subscribe --tag mq --timeout 240 --out "$RUN/mq.kv" > "$RUN/loadgen-mq.log" 2>&1
  stop_child
  kv "$RUN/mq.kv" sub_rate
}

edge_run() {  # NAME JAR OPTS ROUND: prints "rate p50 p99 cpu hwm"
  local name="$1" jar="$2" opts="$3" round="$4" ports mqtt http data="$RUN/$1-data"
  ports=($("${LG[@]}" ports 2)); mqtt=${ports[0]}; http=${ports[1]}
  rm -rf "$data"
  local jvm; read -r -a jvm <<< "$opts"
  "$JAVA" "${jvm[@]}" -jar "$jar" --set node.id=ab-1 --set "data.dir=$data" --set "mqtt.port=$mqtt" \
    --set mqtt.tlsPort=0 --set "http.port=$http" > "$RUN/$name-r$round.log" 2>&1 & CHILD=$!
  for _ in $(seq 1 600); do grep -q "edge-node ready" "$RUN/$name-r$round.log" 2>/dev/null && break; sleep 0.1; done
  [ "$JFR" = 1 ] && jcmd "$CHILD" JFR.start name=ab settings=profile > /dev/null 2>&1
  local t0; t0=$(ticks "$CHILD")
  "${LG[@]}" mqtt --port "$mqtt" "${COMMON[@]}" --tag ed --timeout 300 --out "$RUN/$name.kv" > "$RUN/loadgen-$name.log" 2>&1
  local t=$(( $(ticks "$CHILD") - t0 )) hwm; hwm=$(hwm_mb "$CHILD")
  [ "$JFR" = 1 ] && jcmd "$CHILD" JFR.stop name=ab filename="$RUN/$name-r$round.jfr" > /dev/null 2>&1
  stop_child
  echo "$(kv "$RUN/$name.kv" accepted_rate) $(kv "$RUN/$name.kv" puback_p50_ms) $(kv "$RUN/$name.kv" puback_p99_ms)" \
    "$(awk -v t="$t" -v hz="$HZ" -v s="$(kv "$RUN/$name.kv" pub_seconds)" 'BEGIN { printf "%.2f", t / hz / s }')" "$hwm"
}

echo "ingest-ab: $ROUNDS rounds of $MESSAGES QoS1 messages (8 connections, 200 B, window 1000); run dir $RUN"
printf '%-6s %-10s %10s %8s %9s %9s %6s %8s %6s\n' round variant msg/s ratio p50_ms p99_ms cores hwm_MB load1
declare -A RATIOS
for r in $(seq 1 "$ROUNDS"); do
  mq=$(mosquitto_run)
  printf '%-6s %-10s %10s %8s %9s %9s %6s %8s %6s\n' "$r" mosquitto "$mq" 1.00 - - - - "$(load1)"
  for v in "${VARIANTS[@]}"; do
    name="${v%%=*}"; rest="${v#*=}"; jar="${rest%%@*}"; opts="$DEFAULT_OPTS"
    [ "$rest" != "$jar" ] && opts="${rest#*@}"
    read -r rate p50 p99 cpu hwm <<< "$(edge_run "$name" "$jar" "$opts" "$r")"
    ratio=$(awk -v a="$rate" -v b="$mq" 'BEGIN { printf "%.2f", a / b }')
    RATIOS[$name]="${RATIOS[$name]:-} $ratio"
    printf '%-6s %-10s %10s %8s %9s %9s %6s %8s %6s\n' "$r" "$name" "$rate" "$ratio" "$p50" "$p99" "$cpu" "$hwm" "$(load1)"
  done
done
echo
for v in "${VARIANTS[@]}"; do
  name="${v%%=*}"
  echo "$name: edge/Mosquitto ratios${RATIOS[$name]}; median $(echo "${RATIOS[$name]}" | tr ' ' '\n' | grep . | sort -n \
    | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')"
done
if [ "$JFR" = 1 ]; then
  for f in "$RUN"/*.jfr; do
    echo; echo "== $(basename "$f"): innermost io.edgesync frame / thread of jdk.ExecutionSample"
    jfr print --stack-depth 64 --events jdk.ExecutionSample "$f" | awk '
      /jdk.ExecutionSample/ { if (n) flush(); n = 1; own = ""; th = ""; next }
      /sampledThread = / { th = $0; sub(/.*sampledThread = "/, "", th); sub(/".*/, "", th); sub(/-[0-9]+$/, "", th) }
      /line:/ && own == "" && /io\.edgesync\./ { own = $1 }
      function flush() { total++; o[own == "" ? "(no io.edgesync frame)" : own]++; t[th]++ }
      END { if (n) flush(); for (k in o) printf "  %5.1f%%  %s\n", 100 * o[k] / total, k | "sort -rn | head -14"; close("sort -rn | head -14")
            for (k in t) printf "  %5.1f%%  thread %s\n", 100 * t[k] / total, k | "sort -rn | head -5" }'
  done
fi
