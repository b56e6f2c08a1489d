#!/usr/bin/env bash
# edgesync scale-out measurement (issue 9): events/s through the cloud tier with ONE cloud-ingest
# instance and with TWO, in one run, on the same Kafka broker and the same load shape. The load is
# loadgen's IngestScale: N simulated edge nodes (real enrolled certificates) posting pre-built zstd
# batch frames over HTTP/2 + mTLS, one request at a time per node, following 421 NOT_OWNER to the
# other instance as an edge does. Each phase uses its own nodes (fresh sequence numbers).
#
#   bench/scale.sh [--nodes N] [--batches B] [--events E] [--payload BYTES] [--shards S]
#
# Defaults: 16 nodes x 40 batches x 500 events of 200 bytes (320,000 events per phase), 8 shards.
# Prints a table (events/s, cloud CPU in cores, CPU-seconds per million events) and the ratio.
# Environment: BENCH_DIR (default /tmp/edgesync-scale-<timestamp>, removed unless BENCH_KEEP=1), JAVA.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAVA="${JAVA:-java}"
NODES=16; BATCHES=40; EVENTS=500; PAYLOAD=200; SHARDS=8
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) NODES="$2"; shift ;;
    --batches) BATCHES="$2"; shift ;;
    --events) EVENTS="$2"; shift ;;
    --payload) PAYLOAD="$2"; shift ;;
    --shards) SHARDS="$2"; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "scale: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
RUN="${BENCH_DIR:-/tmp/edgesync-scale-$STAMP}"
LOGS="$RUN/logs"
mkdir -p "$LOGS"
HZ="$(getconf CLK_TCK)"
say() { echo "scale: $*" >&2; }

need_build=0
for m in cloud-ingest provisioning loadgen; do
  [ -f "$ROOT/$m/target/$m.jar" ] || need_build=1
done
if [ "$need_build" = 1 ]; then
  say "building the jars (tests skipped) ..."
  (cd "$ROOT" && mvn -B -q -DskipTests package)
fi
CLOUD_JAR="$ROOT/cloud-ingest/target/cloud-ingest.jar"
LG_JAR="$ROOT/loadgen/target/loadgen.jar"

START_WAIT_S=120
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

PORTS=($("$JAVA" -jar "$LG_JAR" ports 6))
P_KAFKA=${PORTS[0]}; P_KCTRL=${PORTS[1]}; P_IN_A=${PORTS[2]}; P_HTTP_A=${PORTS[3]}; P_IN_B=${PORTS[4]}; P_HTTP_B=${PORTS[5]}

say "run dir $RUN; $NODES nodes x $BATCHES batches x $EVENTS events of $PAYLOAD bytes per phase, $SHARDS shards"
PROV=("$JAVA" -jar "$ROOT/provisioning/target/provisioning.jar")
say "enrolling $((2 * NODES)) nodes ..."
{ "${PROV[@]}" init-ca --dir "$RUN/fleet"
  "${PROV[@]}" server-cert --dir "$RUN/fleet" --host localhost,127.0.0.1 --out "$RUN/cloud"
  for phase in 1 2; do
    for i in $(seq -w 1 "$NODES"); do
      "${PROV[@]}" enrol --dir "$RUN/fleet" --node-id "scale$phase-$i" --cloud "localhost:$P_IN_A" \
        --out "$RUN/nodes$phase/scale$phase-$i"
    done
  done
} > "$LOGS/provisioning.log" 2>&1

start kafka "broker ready" "$JAVA" -Xmx768m -XX:+UseG1GC -cp "$CLOUD_JAR:$ROOT/loadgen/target/classes" \
  io.edgesync.loadgen.BrokerMain "$RUN/kafka" "$P_KAFKA" "$P_KCTRL"
KAFKA_PID=$LAST_PID
CLOUD=("$JAVA" -Xmx512m -XX:+UseG1GC -jar "$CLOUD_JAR" --config "$RUN/cloud/cloud.yaml"
  --set "kafka.bootstrap=localhost:$P_KAFKA" --set "kafka.shards=$SHARDS")
start cloud-a "cloud-ingest ready" "${CLOUD[@]}" --set "ingest.port=$P_IN_A" --set "http.port=$P_HTTP_A" \
  --set "data.dir=$RUN/cloud-a"
A_PID=$LAST_PID

# phase NAME ENDPOINTS NODES_DIR PIDS...: runs the load, prints "events/s cores cpu_s_per_million"
phase() {
  local name="$1" endpoints="$2" dir="$3"; shift 3
  local t0=() k0
  for p in "$@"; do t0+=("$(ticks "$p")"); done
  k0=$(ticks "$KAFKA_PID")
  "$JAVA" -Xmx1g -cp "$LG_JAR" io.edgesync.loadgen.IngestScale "$endpoints" "$RUN/fleet/ca.crt" "$dir" "$NODES" \
    "$BATCHES" "$EVENTS" "$PAYLOAD" > "$LOGS/load-$name.log" 2>&1 || { say "load $name failed:"; tail -5 "$LOGS/load-$name.log" >&2; exit 1; }
  local line; line=$(grep '^scale:' "$LOGS/load-$name.log")
  local rate secs events; rate=$(echo "$line" | awk '{print $9}'); secs=$(echo "$line" | awk '{print $7}')
  events=$(echo "$line" | awk '{print $5}')
  local t=0 i=0
  for p in "$@"; do t=$(( t + $(ticks "$p") - ${t0[$i]} )); i=$((i + 1)); done
  local k=$(( $(ticks "$KAFKA_PID") - k0 ))
  awk -v r="$rate" -v t="$t" -v k="$k" -v hz="$HZ" -v s="$secs" -v e="$events" -v l="$line" 'BEGIN {
    printf "%s %.2f %.1f %.2f %s\n", r, t / hz / s, t / hz / e * 1e6, k / hz / s, l }'
}

say "phase 1: one cloud-ingest instance ..."
R1=$(phase one "localhost:$P_IN_A" "$RUN/nodes1" "$A_PID")
start cloud-b "cloud-ingest ready" "${CLOUD[@]}" --set "ingest.port=$P_IN_B" --set "http.port=$P_HTTP_B" \
  --set "data.dir=$RUN/cloud-b"
B_PID=$LAST_PID
for _ in $(seq 1 300); do
  a=$(curl -fsS "http://127.0.0.1:$P_HTTP_A/health" 2>/dev/null || true)
  b=$(curl -fsS "http://127.0.0.1:$P_HTTP_B/health" 2>/dev/null || true)
  if echo "$a" | grep -q '"ownedShards":\[[0-9]' && echo "$b" | grep -q '"ownedShards":\[[0-9]' \
     && echo "$a$b" | grep -q '"status":"UP".*"status":"UP"'; then break; fi
  sleep 0.2
done
say "shards: A $(echo "$a" | grep -o '"ownedShards":\[[0-9,]*\]'), B $(echo "$b" | grep -o '"ownedShards":\[[0-9,]*\]')"
say "phase 2: two cloud-ingest instances ..."
R2=$(phase two "localhost:$P_IN_A,localhost:$P_IN_B" "$RUN/nodes2" "$A_PID" "$B_PID")

read -r r1 c1 m1 k1 _ <<< "$R1"
read -r r2 c2 m2 k2 _ <<< "$R2"
echo
echo "| instances | events/s | cloud-ingest CPU (cores, all instances) | cloud CPU-s per 1M events | Kafka broker CPU (cores) |"
echo "|---|---|---|---|---|"
echo "| 1 | $r1 | $c1 | $m1 | $k1 |"
echo "| 2 | $r2 | $c2 | $m2 | $k2 |"
echo
echo "ratio 2 / 1 instances: $(awk -v a="$r2" -v b="$r1" 'BEGIN { printf "%.2f", a / b }')  (machine: $(nproc) cores, load before: $(cut -d' ' -f1-3 /proc/loadavg))"
echo "load lines: one: $(echo "$R1" | cut -d' ' -f5-)"
echo "            two: $(echo "$R2" | cut -d' ' -f5-)"
