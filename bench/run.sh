#!/usr/bin/env bash
# edgesync benchmark (issue 8): one run, everything on loopback on this machine, prints a table
# and writes the same figures to bench/results/<timestamp>.md. Phases:
#   A  Mosquitto reference: the same MQTT load through a tuned Mosquitto to a subscriber on bench/#
#   B  edge durable ingest, cloud absent (the edge buffers): accepted rate, publish→PUBACK
#      percentiles, edge CPU / peak RSS, bytes on disk per event
#   C  catch-up: start Kafka + cloud-ingest, the edge drains phase B's backlog (no live load)
#   D  end to end MQTT → edge → cloud-ingest → Kafka at full speed, after a warm-up of half as many
#      messages that is in Kafka first: events/s in Kafka (read_committed), publish→Kafka latency,
#      forward batch size and compression ratio
#   E  Kafka's own ProducerPerformance, same record size, same broker, after as many warm-up records
#      (its --warmup-records; the steady-state rate is the reference)
#   C2 catch-up of a new backlog (built while cloud-ingest is paused, BENCH_C2_OUTAGE) while a live
#      load of 20 % of B's rate goes on (target 4)
#   F  latency run at 20 % of phase D's rate, once the JVMs' JIT compilers are quiet at that rate
#      (after 5 s unmeasured): p99 publish→PUBACK and publish→Kafka
#   G  (--soak only) 10 minutes at 50 % of phase D's rate, edge RSS and disk sampled every 30 s
#
#   bench/run.sh [--quick] [--soak] [--jfr] [--profile] [--qos 0|1] [--clients N] [--payload BYTES]
#                [--messages N] [--window N]
#
# --quick: ~2-4 min smoke run (200k messages); default: 1M messages, ~5-10 min (+10 with --soak). --jfr records
# the edge and cloud-ingest with JFR during phase D and prints the edge's hottest methods. --profile samples
# the edge, cloud-ingest and the broker with async-profiler (from Maven Central) for 8 s of phase D: busiest
# threads and hottest frames of each, native and kernel frames included (bench/profile.sh). Environment: BENCH_DIR (data
# and logs, default /tmp/edgesync-bench-<timestamp>, removed at the end unless BENCH_KEEP=1), JAVA,
# BENCH_SOAK_SECONDS (default 600), BENCH_EDGE_JAR (another edge-node.jar, e.g. a saved baseline),
# BENCH_EDGE_OPTS (the edge's JVM flags instead of the bounded ones of the systemd unit),
# BENCH_EDGE_SET ("key=value ..." edge settings added with --set, e.g. "forward.lingerMs=5"),
# BENCH_CLOUD_SET (the same for cloud-ingest, e.g. "kafka.txnIntervalMs=0"), BENCH_LAT_WARMUP_S
# (unmeasured seconds of load before C2's live load and F, default 5), BENCH_LAT_SETTLE_MAX_S (F's
# settling at its rate until the JIT compilers are quiet: at most this long, default 240, --quick 60),
# BENCH_LAT_RATE (F's rate in msg/s instead of 20 % of D's: to compare F across runs whose D differs),
# BENCH_LG_OPTS (extra JVM flags of the load generator and ProducerPerformance, e.g. "-XX:+UseSerialGC"),
# BENCH_E2E_WARMUP (D's warm-up and ProducerPerformance's warm-up records, default half of --messages),
# BENCH_C2_OUTAGE (pause: cloud-ingest SIGSTOPped while C2's backlog builds, the default; restart: a new one).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAVA="${JAVA:-java}"
QUICK=0; SOAK=0; JFR=0; PROFILE=0; QOS=1; CLIENTS=8; PAYLOAD=200; MESSAGES=""; WINDOW=1000
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --soak) SOAK=1 ;;
    --jfr) JFR=1 ;;
    --profile) PROFILE=1 ;;
    --qos) QOS="$2"; shift ;;
    --clients) CLIENTS="$2"; shift ;;
    --payload) PAYLOAD="$2"; shift ;;
    --messages) MESSAGES="$2"; shift ;;
    --window) WINDOW="$2"; shift ;;
    -h|--help) sed -n '2,36p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
case "$QOS" in 0|1) ;; *) echo "bench: --qos must be 0 or 1" >&2; exit 2 ;; esac
if [ "$QUICK" = 1 ]; then
  MESSAGES="${MESSAGES:-200000}"; PP_RECORDS=500000; LAT_SECONDS=15
else
  MESSAGES="${MESSAGES:-1000000}"; PP_RECORDS=2000000; LAT_SECONDS=45
fi
SOAK_SECONDS="${BENCH_SOAK_SECONDS:-600}"
# the paced loads (C2's live load, F) first run this long unmeasured: the load generator is a
# fresh JVM each time, and its own JIT warm-up showed as PUBACK p99 of 34-39 ms at 4,000 msg/s
# where the same load after 5 s of warm-up measured 8.5 ms (docs/BENCHMARKS.md)
LAT_WARMUP_S=${BENCH_LAT_WARMUP_S:-5}
# D's warm-up (messages, unmeasured, in Kafka before D starts) and ProducerPerformance's
# (--warmup-records): both sides of target 2 are compared warm
E2E_WARMUP=${BENCH_E2E_WARMUP:-$(( MESSAGES / 2 ))}
PP_WARMUP=$E2E_WARMUP
# F's settling (see phase F): at most this long at F's rate before F, default 240 s (--quick 60 s)
LAT_SETTLE_MAX_S=${BENCH_LAT_SETTLE_MAX_S:-$([ "$QUICK" = 1 ] && echo 60 || echo 240)}

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
RUN="${BENCH_DIR:-/tmp/edgesync-bench-$STAMP}"
RESULTS="$ROOT/bench/results"
mkdir -p "$RUN/logs" "$RESULTS"
LOGS="$RUN/logs"
HZ="$(getconf CLK_TCK)"
T_START=$(date +%s)
LOAD_AT_START="$(cut -d' ' -f1-3 /proc/loadavg)"

say() { echo "bench: $*" >&2; }

# ---- build what is missing (like ./demo) ----
need_build=0
for m in edge-node cloud-ingest provisioning loadgen; do
  [ -f "$ROOT/$m/target/$m.jar" ] || need_build=1
done
[ -d "$ROOT/loadgen/target/classes" ] || need_build=1
if [ "$need_build" = 1 ]; then
  say "building the jars (tests skipped) ..."
  (cd "$ROOT" && mvn -B -q -DskipTests package)
fi
LOADGEN_JAR="$ROOT/loadgen/target/loadgen.jar"
CLOUD_JAR="$ROOT/cloud-ingest/target/cloud-ingest.jar"
EDGE_JAR="${BENCH_EDGE_JAR:-$ROOT/edge-node/target/edge-node.jar}"
# extra JVM flags of the clients (the load generator, ProducerPerformance), none by default: C1
# only spared their JIT's CPU in short runs but slowed both at full rate, ProducerPerformance by
# ~30 % (docs/BENCHMARKS.md, eleventh round)
read -r -a CLIENT_JVM <<< "${BENCH_LG_OPTS:-}"
LG=("$JAVA" -Xmx1g "${CLIENT_JVM[@]}" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -jar "$LOADGEN_JAR")

# ---- process bookkeeping (stop everything on exit / Ctrl-C), start(), ticks() ----
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
# shellcheck source=bench/profile.sh
. "$ROOT/bench/profile.sh"
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
# metric URL NAME: sum of the samples of NAME (all tag sets)
metric() {
  curl -fsS --max-time 5 "$1" 2>/dev/null | awk -v n="$2" '$1 == n || index($1, n "{") == 1 { s += $NF } END { printf "%.0f\n", s }'
}
busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }  # all CPUs: user+nice+system+irq+softirq
# other_cores BUSY0 OUR_TICKS SECONDS: cores used by processes that are not part of this benchmark
other_cores() { awk -v b="$(( $(busy) - $1 ))" -v o="$2" -v hz="$HZ" -v s="$3" 'BEGIN { v = (b - o) / hz / s; if (v < 0) v = 0; printf "%.2f", v }'; }
lg_ticks() { awk -v c="$(kv "$1" loadgen_cpu_s)" -v hz="$HZ" 'BEGIN { printf "%.0f", c * hz }'; }
# scrape URL FILE: the endpoint's Prometheus text, once, into FILE. snap FILE NAME: "sum count" of
# the timer NAME in a scrape; mean_ms SNAP0 SNAP1: its mean in ms between two snaps.
# quantile_ms Q NAME FILE0 FILE1: the Q-quantile in ms of what the histogram NAME recorded between
# two scrapes (as histogram_quantile does: linear within the bucket)
scrape() { curl -fsS --max-time 5 "$1" > "$2" 2>/dev/null || : > "$2"; }
snap() { awk -v n="$2" '$1 == n "_sum" || index($1, n "_sum{") == 1 { s += $NF }
  $1 == n "_count" || index($1, n "_count{") == 1 { c += $NF } END { printf "%.9f %.0f", s, c }' "$1"; }
mean_ms() { awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " "); c = y[2] - x[2]
  if (c > 0) printf "%.2f", 1000 * (y[1] - x[1]) / c; else print "n/a" }'; }
quantile_ms() { awk -v q="$1" -v n="$2" 'index($1, n "_bucket{") != 1 { next }
  { match($1, /le="[^"]*"/); le = substr($1, RSTART + 4, RLENGTH - 5) }
  FILENAME == ARGV[1] { b[le] += $NF; next }
  { if (!(le in c)) order[k++] = le; c[le] += $NF }
  END { total = k ? c[order[k - 1]] - b[order[k - 1]] : 0
    if (total <= 0) { print "n/a"; exit }
    t = q * total; prev = 0; pc = 0
    for (i = 0; i < k; i++) {
      le = order[i]; cum = c[le] - b[le]
      if (cum >= t) {
        if (le == "+Inf") printf "> %.1f", prev * 1000
        else printf "%.2f", 1000 * (prev + (le - prev) * (t - pc) / (cum > pc ? cum - pc : 1))
        exit
      }
      prev = le; pc = cum
    } }' "$3" "$4"; }
# timing NAME FILE0 FILE1: "mean / p99" in ms of the timer histogram NAME between two scrapes
timing() { echo "$(mean_ms "$(snap "$2" "$1")" "$(snap "$3" "$1")") / $(quantile_ms 0.99 "$1" "$2" "$3")"; }
cores() { awk -v t="$1" -v hz="$HZ" -v s="$2" 'BEGIN { if (s > 0) printf "%.2f", t / hz / s; else print "n/a" }'; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
kv() { awk -F= -v k="$2" '$1 == k { v = substr($0, length(k) + 2); gsub(/\x27/, "", v); print v }' "$1"; }
# loadgen NAME ARGS...: runs the MQTT load generator, results as key=value in $RUN/NAME.kv
loadgen() {
  local name="$1"; shift
  "${LG[@]}" mqtt "$@" --out "$RUN/$name.kv" > "$LOGS/loadgen-$name.log" 2>&1 || {
    say "load generator ($name) reported a failure:"; tail -n 5 "$LOGS/loadgen-$name.log" >&2; }
  [ -f "$RUN/$name.kv" ] || { say "no results from $name"; exit 1; }
}

PORTS=($("${LG[@]}" ports 7))
P_MOSQ=${PORTS[0]}; P_MQTT=${PORTS[1]}; P_EHTTP=${PORTS[2]}; P_INGEST=${PORTS[3]}
P_CHTTP=${PORTS[4]}; P_KAFKA=${PORTS[5]}; P_KCTRL=${PORTS[6]}
COMMON=(--qos "$QOS" --clients "$CLIENTS" --payload "$PAYLOAD" --window "$WINDOW")
say "run dir $RUN; $MESSAGES messages, QoS$QOS, $CLIENTS clients, $PAYLOAD-byte payloads, window $WINDOW"

# ---- A: Mosquitto ----
if ! command -v mosquitto > /dev/null; then
  say "installing mosquitto ..."
  { apt-get install -y mosquitto || { apt-get update && apt-get install -y mosquitto; }; } > "$LOGS/apt.log" 2>&1 \
    || { say "cannot install mosquitto (see $LOGS/apt.log); run: apt-get install -y mosquitto"; exit 1; }
fi
cat > "$RUN/mosquitto.conf" <<EOF
listener $P_MOSQ 127.0.0.1
allow_anonymous true
persistence false
log_dest stderr
log_type error
log_type warning
max_inflight_messages 0
max_queued_messages 0
EOF
say "A: Mosquitto $(mosquitto -h 2>/dev/null | head -1 | awk '{print $3}') on port $P_MOSQ ..."
mosquitto -c "$RUN/mosquitto.conf" > "$LOGS/mosquitto.log" 2>&1 &
MOSQ_PID=$!; PIDS+=("$MOSQ_PID")
for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$P_MOSQ") 2>/dev/null && break; sleep 0.1; done
t0=$(ticks "$MOSQ_PID"); b0=$(busy)
loadgen mosquitto --port "$P_MOSQ" "${COMMON[@]}" --messages "$MESSAGES" --subscribe --tag mq --timeout 240
mt=$(( $(ticks "$MOSQ_PID") - t0 ))
MOSQ_CPU=$(cores "$mt" "$(kv "$RUN/mosquitto.kv" loadgen_wall_s)")
OTHER_A=$(other_cores "$b0" $(( mt + $(lg_ticks "$RUN/mosquitto.kv") )) "$(kv "$RUN/mosquitto.kv" loadgen_wall_s)")
MOSQ_HWM=$(status_kb "$MOSQ_PID" VmHWM)
stop_pid "$MOSQ_PID"

# ---- fleet for the edge and the cloud ----
PROV=("$JAVA" -jar "$ROOT/provisioning/target/provisioning.jar")
{ "${PROV[@]}" init-ca --dir "$RUN/fleet"
  "${PROV[@]}" server-cert --dir "$RUN/fleet" --host localhost,127.0.0.1 --out "$RUN/cloud"
  "${PROV[@]}" enrol --dir "$RUN/fleet" --node-id bench-1 --cloud "localhost:$P_INGEST" --out "$RUN/edge"
} > "$LOGS/provisioning.log" 2>&1

# ---- B: edge alone (cloud absent: the edge buffers) ----
say "B: edge durable ingest (cloud absent) ..."
EDGE_DATA="$RUN/edge-data"
# the bounded-memory flags of the systemd unit (docs/OPERATIONS.md "Memory bounds"); BENCH_EDGE_OPTS overrides
. "$ROOT/bench/edge-flags.sh"
UNIT_OPTS=$(edge_env JAVA_OPTS); UNIT_ARENAS=$(edge_env MALLOC_ARENA_MAX)
read -r -a EDGE_JVM <<< "${BENCH_EDGE_OPTS:-$UNIT_OPTS}"
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-$UNIT_ARENAS}"
# BENCH_EDGE_SET="forward.lingerMs=5 log.maxGroupEvents=2000": extra edge settings (--set each)
EDGE_SET=()
for kv_ in ${BENCH_EDGE_SET:-}; do EDGE_SET+=(--set "$kv_"); done
[ "$JFR" = 1 ] && EDGE_JVM+=(-XX:NativeMemoryTracking=summary)
EDGE_JVM+=("-Xlog:gc:file=$LOGS/edge-gc.log")
start edge "edge-node ready" "$JAVA" "${EDGE_JVM[@]}" -jar "$EDGE_JAR" --config "$RUN/edge/edge.yaml" \
  --set "mqtt.port=$P_MQTT" --set mqtt.tlsPort=0 --set "http.port=$P_EHTTP" \
  --set "cloud.endpoints=localhost:$P_INGEST" --set "data.dir=$EDGE_DATA" --set forward.retryMaxMs=2000 \
  ${BENCH_EDGE_SET:+"${EDGE_SET[@]}"}
EDGE_PID=$LAST_PID
EM="http://127.0.0.1:$P_EHTTP/metrics"
# a JVM compiles its hot paths in the first seconds: warm the edge up (not measured) so that B
# compares steady states (Mosquitto, native code, needs none)
WARMUP=$(( MESSAGES / 5 ))
loadgen warmup --port "$P_MQTT" "${COMMON[@]}" --messages "$WARMUP" --tag wu --timeout 300
WARM_STORED=$(metric "$EM" edge_log_appends_total)
disk0=$(du -sb "$EDGE_DATA" | cut -f1)
t0=$(ticks "$EDGE_PID"); b0=$(busy)
scrape "$EM" "$RUN/edge-before-B.prom"
loadgen edge --port "$P_MQTT" "${COMMON[@]}" --messages "$MESSAGES" --tag ed --timeout 300
EDGE_TICKS=$(( $(ticks "$EDGE_PID") - t0 ))
OTHER_B=$(other_cores "$b0" $(( EDGE_TICKS + $(lg_ticks "$RUN/edge.kv") )) "$(kv "$RUN/edge.kv" loadgen_wall_s)")
EDGE_CPU=$(cores "$EDGE_TICKS" "$(kv "$RUN/edge.kv" pub_seconds)")
EDGE_HWM_B=$(status_kb "$EDGE_PID" VmHWM)
scrape "$EM" "$RUN/edge-after-B.prom"
COMMIT_B=$(timing edge_log_commit_seconds "$RUN/edge-before-B.prom" "$RUN/edge-after-B.prom")
PUBACK_EDGE_B=$(timing edge_puback_seconds "$RUN/edge-before-B.prom" "$RUN/edge-after-B.prom")
EDGE_RSS_B=$(status_kb "$EDGE_PID" VmRSS)
sleep 1
STORED=$(metric "$EM" edge_log_appends_total)
BACKLOG_B=$(metric "$EM" edge_log_backlog_events)
ENV_BYTES=$(metric "$EM" edge_buffer_used_bytes)
ENV_AVG=$(calc "%.0f" "$ENV_BYTES / ($BACKLOG_B > 0 ? $BACKLOG_B : 1)")
DISK_B=$(( $(du -sb "$EDGE_DATA" | cut -f1) - disk0 ))
DISK_PER_EVENT=$(calc "%.0f" "$DISK_B / ($STORED - $WARM_STORED > 0 ? $STORED - $WARM_STORED : 1)")
GROUP_AVG=$(calc "%.0f" "$(metric "$EM" edge_log_group_size_sum) / ($(metric "$EM" edge_log_group_size_count) + 1e-9)")

# ---- C: Kafka broker + cloud-ingest, the edge drains its backlog ----
say "C: starting a Kafka broker and cloud-ingest; the edge catches up $BACKLOG_B events ..."
start kafka "broker ready" "$JAVA" -Xmx768m -XX:+UseG1GC -cp "$CLOUD_JAR:$ROOT/loadgen/target/classes" \
  io.edgesync.loadgen.BrokerMain "$RUN/kafka" "$P_KAFKA" "$P_KCTRL"
KAFKA_PID=$LAST_PID
# start_cloud NAME: cloud-ingest on the benchmark's ports and broker (log NAME.log, GC log NAME-gc.log)
CLOUD_SET=()
for kv_ in ${BENCH_CLOUD_SET:-}; do CLOUD_SET+=(--set "$kv_"); done
start_cloud() {
  start "$1" "cloud-ingest ready" "$JAVA" -Xmx768m -XX:+UseG1GC "-Xlog:gc:file=$LOGS/$1-gc.log" -jar "$CLOUD_JAR" \
    --config "$RUN/cloud/cloud.yaml" --set "ingest.port=$P_INGEST" --set "http.port=$P_CHTTP" \
    --set "kafka.bootstrap=localhost:$P_KAFKA" --set kafka.partitions=3 --set "data.dir=$RUN/cloud-data" \
    ${BENCH_CLOUD_SET:+"${CLOUD_SET[@]}"}
  CLOUD_PID=$LAST_PID
}
start_cloud cloud
CM="http://127.0.0.1:$P_CHTTP/metrics"
catch_first=""; catch_last=""; deadline=$(( $(date +%s) + 240 ))
while [ "$(date +%s)" -lt "$deadline" ]; do
  w=$(metric "$CM" cloud_events_written_total); now=$(date +%s.%N)
  if [ -z "$catch_first" ] && [ "${w:-0}" -gt 0 ]; then catch_first=$now; fi
  if [ "${w:-0}" -ge "$STORED" ]; then catch_last=$now; break; fi
  sleep 0.25
done
if [ -n "$catch_last" ]; then
  CATCHUP_RATE=$(calc "%.0f" "$STORED / ($catch_last - $catch_first + 0.25)")
else
  CATCHUP_RATE="n/a (not drained in 240 s: $(metric "$CM" cloud_events_written_total) of $STORED)"
fi
sleep 1

# jit_all: CPU ticks of the JIT compiler threads of edge, cloud-ingest and broker so far
jit_all() { echo "$(jit_ticks "$EDGE_PID") $(jit_ticks "$CLOUD_PID") $(jit_ticks "$KAFKA_PID")"; }

# ---- D: end to end at full speed ----
# "sustained" is the steady state: the load generator first runs E2E_WARMUP messages the same way
# and waits until they are in Kafka (cloud-ingest and the broker are minutes old, and their JIT
# compilers took ~0.6 of the 2 cores in a D measured cold); D is measured from its --started file
say "D: end to end MQTT → edge → cloud-ingest → Kafka ($E2E_WARMUP messages of warm-up, then $MESSAGES measured) ..."
rm -f "$RUN/e2e.started"
AP_LIB=""; AP_PID=""
if [ "$PROFILE" = 1 ]; then
  AP_LIB=$(ap_fetch "$RUN/profile")
  [ -n "$AP_LIB" ] || say "--profile: async-profiler could not be fetched ($RUN/profile/fetch.log); D runs without it"
fi
if [ "$JFR" = 1 ]; then
  # JFR's own start-up (its classes loaded and compiled) during the warm-up, not in D: a recording
  # first started at D's start cost ~0.4 cores of JIT and halved D. Discarded at D's end.
  jcmd "$EDGE_PID" JFR.start name=warm settings=profile > "$LOGS/jfr.log" 2>&1 || true
  jcmd "$CLOUD_PID" JFR.start name=warm settings=profile >> "$LOGS/jfr.log" 2>&1 || true
fi
"${LG[@]}" mqtt --port "$P_MQTT" "${COMMON[@]}" --messages "$MESSAGES" --warmup "$E2E_WARMUP" --tag ee \
  --kafka "localhost:$P_KAFKA" --timeout 300 --started "$RUN/e2e.started" --out "$RUN/e2e.kv" > "$LOGS/loadgen-e2e.log" 2>&1 &
E2E_PID=$!; PIDS+=("$E2E_PID")
while [ ! -f "$RUN/e2e.started" ] && kill -0 "$E2E_PID" 2>/dev/null; do sleep 0.1; done
D_LOG0=$(logtime)
be0=$(metric "$EM" edge_forward_batch_events_sum); bc0=$(metric "$EM" edge_forward_batch_events_count)
bb0=$(metric "$EM" edge_forward_batch_bytes_sum)
te0=$(ticks "$EDGE_PID"); tc0=$(ticks "$CLOUD_PID"); tk0=$(ticks "$KAFKA_PID"); b0=$(busy)
read -r je0 jc0 jk0 <<< "$(jit_all)"
# the peak RSS so far (B's buffering, C's catch-up, the JIT's warm-up), then D's own: writing 5 to
# clear_refs resets the process's VmHWM to its current RSS
HWM_BEFORE_D=$(status_kb "$EDGE_PID" VmHWM)
echo 5 > "/proc/$EDGE_PID/clear_refs" 2>/dev/null || true
if [ -n "$AP_LIB" ]; then
  ap_window "$AP_LIB" "$RUN/profile" 8 "edge:$EDGE_PID" "cloud:$CLOUD_PID" "broker:$KAFKA_PID" &
  AP_PID=$!
fi
if [ "$JFR" = 1 ]; then
  jcmd "$EDGE_PID" JFR.start name=bench settings=profile duration=60s filename="$RUN/edge.jfr" >> "$LOGS/jfr.log" 2>&1 || true
  jcmd "$CLOUD_PID" JFR.start name=bench settings=profile duration=60s filename="$RUN/cloud.jfr" >> "$LOGS/jfr.log" 2>&1 || true
fi
wait "$E2E_PID" || { say "load generator (e2e) reported a failure:"; tail -n 5 "$LOGS/loadgen-e2e.log" >&2; }
[ -z "$AP_PID" ] || wait "$AP_PID" || true
[ -f "$RUN/e2e.kv" ] || { say "no results from e2e"; exit 1; }
D_ROCKS=$(rocks_compaction "$EDGE_DATA/rocksdb" "$D_LOG0" "$(logtime)")
E2E_S=$(kv "$RUN/e2e.kv" loadgen_wall_s)
te=$(( $(ticks "$EDGE_PID") - te0 )); tc=$(( $(ticks "$CLOUD_PID") - tc0 )); tk=$(( $(ticks "$KAFKA_PID") - tk0 ))
E2E_EDGE_CPU=$(cores "$te" "$E2E_S"); E2E_CLOUD_CPU=$(cores "$tc" "$E2E_S"); E2E_KAFKA_CPU=$(cores "$tk" "$E2E_S")
read -r je1 jc1 jk1 <<< "$(jit_all)"
E2E_JIT="$(cores $(( je1 - je0 )) "$E2E_S") / $(cores $(( jc1 - jc0 )) "$E2E_S") / $(cores $(( jk1 - jk0 )) "$E2E_S")"
OTHER_D=$(other_cores "$b0" $(( te + tc + tk + $(lg_ticks "$RUN/e2e.kv") )) "$E2E_S")
E2E_LG_CPU=$(calc "%.2f" "$(kv "$RUN/e2e.kv" loadgen_cpu_s) / $(kv "$RUN/e2e.kv" loadgen_wall_s)")
NMT=""
if [ "$JFR" = 1 ]; then
  jcmd "$EDGE_PID" JFR.stop name=bench >> "$LOGS/jfr.log" 2>&1 || true
  jcmd "$CLOUD_PID" JFR.stop name=bench >> "$LOGS/jfr.log" 2>&1 || true
  jcmd "$EDGE_PID" JFR.stop name=warm >> "$LOGS/jfr.log" 2>&1 || true
  jcmd "$CLOUD_PID" JFR.stop name=warm >> "$LOGS/jfr.log" 2>&1 || true
  # committed native memory per JVM category; RocksDB's own allocations are outside NMT (RSS - Total)
  NMT=$(jcmd "$EDGE_PID" VM.native_memory summary 2>/dev/null | awk '
    /^Total:/ { match($0, /committed=[0-9]+KB/); printf "JVM total %d MB", substr($0, RSTART + 10, RLENGTH - 12) / 1024 }
    /^-  *[A-Za-z]/ { name = $0; sub(/^- +/, "", name); sub(/ +\(.*/, "", name)
      match($0, /committed=[0-9]+KB/); v = substr($0, RSTART + 10, RLENGTH - 12) / 1024
      if (v >= 4) printf ", %s %d", name, v }')
  NMT="$NMT; RSS now $(( $(status_kb "$EDGE_PID" VmRSS) / 1024 )) MB"
fi
curl -fsS --max-time 5 "$EM" > "$LOGS/edge-metrics-after-D.txt" 2>/dev/null || true
curl -fsS --max-time 5 "$CM" > "$LOGS/cloud-metrics-after-D.txt" 2>/dev/null || true
be=$(( $(metric "$EM" edge_forward_batch_events_sum) - be0 )); bc=$(( $(metric "$EM" edge_forward_batch_events_count) - bc0 ))
bb=$(( $(metric "$EM" edge_forward_batch_bytes_sum) - bb0 ))
BATCH_EVENTS=$(calc "%.0f" "$be / ($bc > 0 ? $bc : 1)")
BATCH_BYTES=$(calc "%.0f" "$bb / ($bc > 0 ? $bc : 1)")
COMPRESSION=$(calc "%.2f" "$be * $ENV_AVG / ($bb > 0 ? $bb : 1)")
RECORD_SIZE=$(kv "$RUN/e2e.kv" kafka_avg_value_bytes)
[ "${RECORD_SIZE:-0}" -gt 0 ] || RECORD_SIZE=$((PAYLOAD + 300))
E2E_HWM=$(status_kb "$EDGE_PID" VmHWM)
PEAK_HWM=$(( E2E_HWM > HWM_BEFORE_D ? E2E_HWM : HWM_BEFORE_D ))

# ---- E: ProducerPerformance ----
say "E: Kafka ProducerPerformance, $PP_RECORDS records of $RECORD_SIZE bytes ..."
"${LG[@]}" topic "localhost:$P_KAFKA" bench.perf 3 > "$LOGS/topic.log" 2>&1
tk0=$(ticks "$KAFKA_PID")
"$JAVA" -Xmx512m "${CLIENT_JVM[@]}" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$LOADGEN_JAR" org.apache.kafka.tools.ProducerPerformance \
  --topic bench.perf --num-records $(( PP_RECORDS + PP_WARMUP )) --warmup-records "$PP_WARMUP" \
  --record-size "$RECORD_SIZE" --throughput -1 \
  --producer-props "bootstrap.servers=localhost:$P_KAFKA" acks=all linger.ms=5 batch.size=131072 \
  > "$LOGS/producer-performance.log" 2>&1 || say "ProducerPerformance failed; see $LOGS/producer-performance.log"
# the steady-state summary (after the warm-up records) is the reference; the whole run's is reported too
pp_rate() { grep -E "$1" "$LOGS/producer-performance.log" | tail -1 | sed -n 's/.* records sent, \([0-9.]*\) records\/sec.*/\1/p' | cut -d. -f1; }
PP_ALL_RATE=$(pp_rate '^[0-9]+ records sent, .* 50th')
PP_RATE=$(pp_rate 'steady state records sent')
PP_RATE=${PP_RATE:-${PP_ALL_RATE:-0}}

# ---- C2: catch-up of a backlog while live ingest continues (target 4) ----
# the outage that builds the backlog: "pause" (default) stops cloud-ingest with SIGSTOP and resumes it,
# as a cut uplink leaves a cloud tier that serves a fleet (warm; the edge's batches in flight just wait,
# forward.requestTimeoutMs is 30 s); "restart" stops it and starts a new one (a cold JVM: its first
# minute is largely JIT compilation, docs/BENCHMARKS.md twelfth round)
C2_OUTAGE=${BENCH_C2_OUTAGE:-pause}
case "$C2_OUTAGE" in pause|restart) ;; *) say "BENCH_C2_OUTAGE must be pause or restart"; exit 2 ;; esac
C2_W0=0
if [ "$C2_OUTAGE" = pause ]; then
  C2_W0=$(metric "$CM" cloud_events_written_total)
  say "C2: cloud-ingest paused (SIGSTOP); the edge buffers $MESSAGES more events ..."
  kill -STOP "$CLOUD_PID"
else
  say "C2: cloud-ingest stopped; the edge buffers $MESSAGES more events ..."
  stop_pid "$CLOUD_PID"
fi
loadgen fill --port "$P_MQTT" "${COMMON[@]}" --messages "$MESSAGES" --tag cb --timeout 300
sleep 1
BACKLOG_C2=$(metric "$EM" edge_log_backlog_events)
LIVE_RATE=$(calc "%.0f" "$(kv "$RUN/edge.kv" accepted_rate) * 0.2")
LIVE_S=$(( BACKLOG_C2 / 20000 + 10 ))
# the live load ends on its own after LIVE_S seconds; the drain is measured while it runs
"${LG[@]}" mqtt --port "$P_MQTT" "${COMMON[@]}" --messages $(( LIVE_RATE * LIVE_S )) --rate "$LIVE_RATE" \
  --warmup $(( LIVE_RATE * LAT_WARMUP_S )) --tag cl \
  --timeout $(( LIVE_S + 120 )) --out "$RUN/live.kv" > "$LOGS/loadgen-live.log" 2>&1 &
LIVE_PID=$!; PIDS+=("$LIVE_PID")
if [ "$C2_OUTAGE" = pause ]; then
  say "C2: cloud-ingest resumed (SIGCONT); the edge drains $BACKLOG_C2 events while $LIVE_RATE msg/s of live load go on for ${LIVE_S}s ..."
  kill -CONT "$CLOUD_PID"
else
  say "C2: cloud-ingest restarted; the edge drains $BACKLOG_C2 events while $LIVE_RATE msg/s of live load go on for ${LIVE_S}s ..."
  start_cloud cloud2
fi
# drained: the edge's backlog is down to what the live load alone keeps in flight
DRAINED_AT=$(( LIVE_RATE / 4 > 2000 ? LIVE_RATE / 4 : 2000 ))
c2_first=""; c2_last=""; c2_written=0; c2_drained=0
while kill -0 "$LIVE_PID" 2>/dev/null; do
  w=$(( $(metric "$CM" cloud_events_written_total) - C2_W0 )); now=$(date +%s.%N)
  if [ -z "$c2_first" ] && [ "${w:-0}" -gt 0 ]; then
    c2_first=$now; te0=$(ticks "$EDGE_PID"); tc0=$(ticks "$CLOUD_PID"); tk0=$(ticks "$KAFKA_PID"); C2_LOG0=$(logtime)
  fi
  if [ -n "$c2_first" ]; then
    # the last sample stands for the period when the backlog does not drain while the live load runs
    c2_last=$now; c2_written=$w
    [ "$(metric "$EM" edge_log_backlog_events)" -le "$DRAINED_AT" ] && { c2_drained=1; break; }
  fi
  sleep 0.25
done
C2_S=$(calc "%.2f" "${c2_last:-0} - ${c2_first:-0}")
C2_ROCKS=$(rocks_compaction "$EDGE_DATA/rocksdb" "${C2_LOG0:-$(logtime)}" "$(logtime)")
C2_EDGE_CPU=$(cores $(( $(ticks "$EDGE_PID") - ${te0:-0} )) "$C2_S")
C2_CLOUD_CPU=$(cores $(( $(ticks "$CLOUD_PID") - ${tc0:-0} )) "$C2_S")
C2_KAFKA_CPU=$(cores $(( $(ticks "$KAFKA_PID") - ${tk0:-0} )) "$C2_S")
wait "$LIVE_PID" || say "live load during C2 reported a failure; see $LOGS/loadgen-live.log"
if [ "$c2_drained" = 1 ]; then
  CATCHUP_LIVE_RATE=$(calc "%.0f" "$c2_written / ($C2_S + 0.25)")
elif [ -n "$c2_last" ]; then
  CATCHUP_LIVE_RATE="$(calc "%.0f" "$c2_written / ($C2_S + 0.25)") (backlog not drained while the live load ran: $(metric "$EM" edge_log_backlog_events) left)"
else
  CATCHUP_LIVE_RATE="n/a (nothing reached Kafka while the live load ran)"
fi
# F must measure 20 % load, not the tail of C2's catch-up: wait (≤ 120 s) for the backlog to drain
drain_backlog() { for _ in $(seq 1 480); do [ "$(metric "$EM" edge_log_backlog_events)" -le 100 ] && break; sleep 0.25; done; }
drain_backlog
E2E_RATE=$(kv "$RUN/e2e.kv" kafka_rate)
LAT_RATE=${BENCH_LAT_RATE:-$(calc "%.0f" "${E2E_RATE:-0} * 0.2")}
[ "$LAT_RATE" -ge "$CLIENTS" ] || LAT_RATE=$CLIENTS
LAT_MSGS=$(( LAT_RATE * LAT_SECONDS ))

# ---- F's settling: F's load, unmeasured, until the JIT compilers are quiet ----
# F is a steady-state figure, but after the heavy phases the JVMs are still compiling: on 2
# shared vCPUs the broker's and the edge's C2 threads took as much CPU as their request threads
# and event loops for minutes (docs/BENCHMARKS.md, eighth round). So the load runs at F's rate
# until the compiler threads of edge, cloud-ingest and broker together used ≤ 5 % of a core over
# 10 s (LAT_SETTLE_MAX_S at most); the report says how long that took and what they used in F.
say "F: settling at $LAT_RATE msg/s until the JIT compilers are quiet (≤ ${LAT_SETTLE_MAX_S}s) ..."
"${LG[@]}" mqtt --port "$P_MQTT" "${COMMON[@]}" --messages $(( LAT_RATE * (LAT_SETTLE_MAX_S + 30) )) --rate "$LAT_RATE" \
  --tag ls --timeout $(( LAT_SETTLE_MAX_S + 150 )) --out "$RUN/settle.kv" > "$LOGS/loadgen-settle.log" 2>&1 &
SETTLE_PID=$!; PIDS+=("$SETTLE_PID")
settle0=$(date +%s); read -r pe pc pk <<< "$(jit_all)"; SETTLE_WINDOWS=""; SETTLED="not quiet"
while [ $(( $(date +%s) - settle0 )) -lt "$LAT_SETTLE_MAX_S" ] && kill -0 "$SETTLE_PID" 2>/dev/null; do
  sleep 10
  read -r ne nc nk <<< "$(jit_all)"
  jit_window=$(( ne - pe + nc - pc + nk - pk ))
  SETTLE_WINDOWS+="$(( ne - pe ))/$(( nc - pc ))/$(( nk - pk )) "; pe=$ne; pc=$nc; pk=$nk
  # not before 20 s: the first window has the new load generator's connections and first batches
  if [ $(( $(date +%s) - settle0 )) -ge 20 ] && [ "$jit_window" -le $(( HZ / 2 )) ]; then SETTLED="quiet"; break; fi
done
SETTLE_S=$(( $(date +%s) - settle0 ))
stop_pid "$SETTLE_PID"
say "F: settled after ${SETTLE_S}s ($SETTLED; compiler ticks per 10 s: $SETTLE_WINDOWS)"
drain_backlog
BACKLOG_BEFORE_F=$(metric "$EM" edge_log_backlog_events)
sleep 2

# ---- F: latency at 20 % of the end-to-end rate ----
scrape "$EM" "$RUN/edge-before-F.prom"; scrape "$CM" "$RUN/cloud-before-F.prom"
say "F: latency run at $LAT_RATE msg/s (20 % of $E2E_RATE) for ${LAT_SECONDS}s (edge backlog at start: $BACKLOG_BEFORE_F) ..."
te0=$(ticks "$EDGE_PID"); tc0=$(ticks "$CLOUD_PID"); tk0=$(ticks "$KAFKA_PID"); b0=$(busy); f0=$(date +%s.%N)
read -r je0 jc0 jk0 <<< "$(jit_all)"
loadgen lat --port "$P_MQTT" "${COMMON[@]}" --messages "$LAT_MSGS" --rate "$LAT_RATE" \
  --warmup $(( LAT_RATE * LAT_WARMUP_S )) --tag lt \
  --kafka "localhost:$P_KAFKA" --timeout $(( LAT_SECONDS * 3 + 60 ))
F_S=$(calc "%.2f" "$(date +%s.%N) - $f0")
read -r je1 jc1 jk1 <<< "$(jit_all)"
F_JIT="$(cores $(( je1 - je0 )) "$F_S") / $(cores $(( jc1 - jc0 )) "$F_S") / $(cores $(( jk1 - jk0 )) "$F_S")"
F_CPU="$(cores $(( $(ticks "$EDGE_PID") - te0 )) "$F_S") / $(cores $(( $(ticks "$CLOUD_PID") - tc0 )) "$F_S") / $(cores $(( $(ticks "$KAFKA_PID") - tk0 )) "$F_S") / $(cores $(( $(busy) - b0 )) "$F_S")"
scrape "$EM" "$RUN/edge-after-F.prom"; scrape "$CM" "$RUN/cloud-after-F.prom"
# units of work per second in F: the fixed costs that grow per event as the load falls
per_s() { awk -v a="$(snap "$2" "$1" | cut -d' ' -f2)" -v b="$(snap "$3" "$1" | cut -d' ' -f2)" -v s="$F_S" \
  'BEGIN { if (s > 0) printf "%.0f", (b - a) / s; else print "n/a" }'; }
F_UNITS="$(per_s edge_log_commit_seconds "$RUN/edge-before-F.prom" "$RUN/edge-after-F.prom") / $(per_s edge_forward_batch_events "$RUN/edge-before-F.prom" "$RUN/edge-after-F.prom") / $(per_s cloud_kafka_txn_seconds "$RUN/cloud-before-F.prom" "$RUN/cloud-after-F.prom")"
PUBACK_EDGE_F=$(timing edge_puback_seconds "$RUN/edge-before-F.prom" "$RUN/edge-after-F.prom")
COMMIT_F=$(timing edge_log_commit_seconds "$RUN/edge-before-F.prom" "$RUN/edge-after-F.prom")
curl -fsS --max-time 5 "$EM" > "$LOGS/edge-metrics-after-F.txt" 2>/dev/null || true
curl -fsS --max-time 5 "$CM" > "$LOGS/cloud-metrics-after-F.txt" 2>/dev/null || true

# ---- G: soak (option) ----
SOAK_TABLE=""
if [ "$SOAK" = 1 ]; then
  SOAK_RATE=$(calc "%.0f" "${E2E_RATE:-0} * 0.5")
  say "G: soak at $SOAK_RATE msg/s for ${SOAK_SECONDS}s, edge RSS every 30 s ..."
  "${LG[@]}" mqtt --port "$P_MQTT" "${COMMON[@]}" --messages $(( SOAK_RATE * SOAK_SECONDS )) --rate "$SOAK_RATE" \
    --tag sk --kafka "localhost:$P_KAFKA" --timeout $(( SOAK_SECONDS + 300 )) --out "$RUN/soak.kv" \
    > "$LOGS/loadgen-soak.log" 2>&1 &
  SOAK_PID=$!; PIDS+=("$SOAK_PID")
  # RSS = anonymous (heap, native) + file-backed (the mapped jar and native libraries, shared)
  SOAK_TABLE="| t (s) | edge RSS (MB) | of it anonymous / file-backed (MB) | RocksDB cache incl. memtables (MB) | backlog | edge RocksDB on disk (MB) |"$'\n'"|---|---|---|---|---|---|"
  for ((s=0; s<=SOAK_SECONDS; s+=30)); do
    SOAK_TABLE+=$'\n'"| $s | $(( $(status_kb "$EDGE_PID" VmRSS) / 1024 )) | $(( $(status_kb "$EDGE_PID" RssAnon) / 1024 )) / $(( $(status_kb "$EDGE_PID" RssFile) / 1024 )) | $(( $(metric "$EM" 'edge_log_rocksdb_memory_bytes{kind="block_cache"}') / 1048576 )) | $(metric "$EM" edge_log_backlog_events) | $(( $(metric "$EM" edge_buffer_disk_bytes) / 1048576 )) |"
    kill -0 "$SOAK_PID" 2>/dev/null || break
    sleep 30
  done
  wait "$SOAK_PID" || true
fi

# ---- JFR summary ----
JFR_TOP=""
if [ "$JFR" = 1 ] && [ -f "$RUN/edge.jfr" ]; then
  JFR_TOP=$(jfr print --stack-depth 64 --events jdk.ExecutionSample "$RUN/edge.jfr" | awk '
    function flush() { if (inst) { top[first]++; if (own != "") mine[own]++; n++ }; inst = 0 }
    /sampledThread = / { th = $3; gsub(/"/, "", th); sub(/-[0-9]+$/, "", th); thr[th]++ }
    /stackTrace = \[/ { inst = 1; first = ""; own = ""; next }
    inst && /^ *\]/ { flush(); next }
    inst { f = $0; sub(/^ +/, "", f); sub(/ +line:.*/, "", f); sub(/\(.*/, "", f)
           if (first == "") first = f
           if (own == "" && f ~ /^io\.edgesync\./) own = f }
    END {
      printf "%d samples. Hottest frames (self time):\n", n
      for (f in top) printf "%6.1f%%  %s\n", 100 * top[f] / n, f | "sort -rn 2>/dev/null | head -15"
      close("sort -rn 2>/dev/null | head -15")
      print "Innermost io.edgesync frame on the stack (time spent on behalf of):"
      for (f in mine) printf "%6.1f%%  %s\n", 100 * mine[f] / n, f | "sort -rn 2>/dev/null | head -12"
      close("sort -rn 2>/dev/null | head -12")
      print "Samples by thread (pool):"
      for (t in thr) printf "%6.1f%%  %s\n", 100 * thr[t] / n, t | "sort -rn 2>/dev/null | head -8"
    }')
  cp "$RUN/edge.jfr" "$RESULTS/$STAMP-edge.jfr" 2>/dev/null || true
  cp "$RUN/cloud.jfr" "$RESULTS/$STAMP-cloud.jfr" 2>/dev/null || true
fi

# ---- table ----
M=$(kv "$RUN/mosquitto.kv" sub_rate); E=$(kv "$RUN/edge.kv" accepted_rate); K=$(kv "$RUN/e2e.kv" kafka_rate)
R1=$(calc "%.2f" "${E:-0} / (${M:-0} > 0 ? $M : 1)")
R2=$(calc "%.2f" "${K:-0} / ($PP_RATE > 0 ? $PP_RATE : 1)")
R4=$(calc "%.2f" "$(echo "$CATCHUP_LIVE_RATE" | awk '{print $1+0}') / ($PP_RATE > 0 ? $PP_RATE : 1)")
L_PUB=$(kv "$RUN/lat.kv" puback_p99_ms); L_K=$(kv "$RUN/lat.kv" kafka_p99_ms)
verdict() { awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN { if (v == "n/a" || v == "") { print "n/a"; exit }
  ok = (op == ">=") ? (v + 0 >= t) : (v + 0 <= t); print ok ? "met" : "MISSED" }'; }
REPORT="$RESULTS/$STAMP.md"
{
  echo "# edgesync benchmark $STAMP"
  echo
  # the environment overrides that change what runs, so that a report says how it was made
  ENV_NOTE=""
  for v_ in BENCH_EDGE_SET BENCH_CLOUD_SET BENCH_EDGE_OPTS BENCH_EDGE_JAR BENCH_SOAK_SECONDS BENCH_LAT_WARMUP_S BENCH_LAT_SETTLE_MAX_S BENCH_LAT_RATE BENCH_LG_OPTS BENCH_E2E_WARMUP BENCH_C2_OUTAGE; do
    [ -n "${!v_:-}" ] && ENV_NOTE+="$v_=\"${!v_}\" "
  done
  echo "Command: \`${ENV_NOTE}bench/run.sh $([ "$QUICK" = 1 ] && echo --quick) --qos $QOS --clients $CLIENTS --payload $PAYLOAD --messages $MESSAGES --window $WINDOW$([ "$SOAK" = 1 ] && echo ' --soak')$([ "$JFR" = 1 ] && echo ' --jfr')$([ "$PROFILE" = 1 ] && echo ' --profile')\`"
  echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $("$JAVA" -version 2>&1 | head -1); load generator, edge, cloud, broker and Mosquitto all share these cores. Load average at start: $LOAD_AT_START (other work on the machine)."
  echo "Load: $CLIENTS MQTT connections (Vert.x 5 MqttClient), QoS$QOS, $PAYLOAD-byte JSON payloads, window $WINDOW per connection, $MESSAGES messages per throughput phase."
  echo
  echo "| phase | figure | value |"
  echo "|---|---|---|"
  echo "| A Mosquitto | delivered to subscriber (msg/s) | $M ($(kv "$RUN/mosquitto.kv" sub_delivered) of $MESSAGES) |"
  echo "| A Mosquitto | publish→PUBACK p50 / p99 (ms) | $(kv "$RUN/mosquitto.kv" puback_p50_ms) / $(kv "$RUN/mosquitto.kv" puback_p99_ms) |"
  echo "| A Mosquitto | broker CPU (cores) / peak RSS (MB) / other processes on the machine (cores) | $MOSQ_CPU / $(( MOSQ_HWM / 1024 )) / $OTHER_A |"
  echo "| B edge (cloud absent) | accepted, PUBACKed after WAL fsync (events/s), after a warm-up of $WARMUP (not measured) | $E ($(kv "$RUN/edge.kv" acked) acked, $(( STORED - WARM_STORED )) stored) |"
  echo "| B edge | publish→PUBACK p50 / p95 / p99 / p99.9 / max (ms) | $(kv "$RUN/edge.kv" puback_p50_ms) / $(kv "$RUN/edge.kv" puback_p95_ms) / $(kv "$RUN/edge.kv" puback_p99_ms) / $(kv "$RUN/edge.kv" puback_p999_ms) / $(kv "$RUN/edge.kv" puback_max_ms) |"
  echo "| B edge | CPU (cores) / peak RSS VmHWM (MB) / RSS after (MB) / other processes (cores) | $EDGE_CPU / $(( EDGE_HWM_B / 1024 )) / $(( EDGE_RSS_B / 1024 )) / $OTHER_B |"
  echo "| B edge | bytes on disk per event (du data.dir / events) / envelope bytes per event | $DISK_PER_EVENT / $ENV_AVG |"
  echo "| B edge | events per group commit (avg) / group commit incl. WAL fsync (mean / p99 ms) / edge-side PUBLISH→PUBACK (mean / p99 ms) | $GROUP_AVG / $COMMIT_B / $PUBACK_EDGE_B |"
  echo "| C catch-up | backlog of $STORED (warm-up + B) drained, no live load (events/s) | $CATCHUP_RATE |"
  echo "| C2 catch-up with live ingest | backlog of $BACKLOG_C2 (built while cloud-ingest was $([ "$C2_OUTAGE" = pause ] && echo "paused: warm" || echo "restarted: cold")) + live load of $LIVE_RATE msg/s (20 % of B): events/s written to Kafka until the backlog was down to ≤ $DRAINED_AT | $CATCHUP_LIVE_RATE (in $C2_S s) |"
  echo "| C2 catch-up with live ingest | live load accepted (msg/s) / publish→PUBACK p50 / p99 (ms) meanwhile | $(kv "$RUN/live.kv" accepted_rate) / $(kv "$RUN/live.kv" puback_p50_ms) / $(kv "$RUN/live.kv" puback_p99_ms) |"
  echo "| C2 catch-up with live ingest | CPU (cores): edge / cloud / broker | $C2_EDGE_CPU / $C2_CLOUD_CPU / $C2_KAFKA_CPU |"
  echo "| C2 catch-up with live ingest | edge RocksDB compaction read / written meanwhile (its info LOG) | $C2_ROCKS |"
  echo "| D end to end | accepted at the edge (events/s) | $(kv "$RUN/e2e.kv" accepted_rate) |"
  echo "| D end to end | sustained in Kafka, read_committed (events/s), after a warm-up of $E2E_WARMUP in Kafka (the warm-up's own rate, cold JVMs) | $K ($(kv "$RUN/e2e.kv" kafka_count) of $MESSAGES; warm-up $(kv "$RUN/e2e.kv" warmup_kafka_rate)) |"
  echo "| D end to end | publish→PUBACK p50 / p99 (ms) | $(kv "$RUN/e2e.kv" puback_p50_ms) / $(kv "$RUN/e2e.kv" puback_p99_ms) |"
  echo "| D end to end | publish→Kafka (consumed) p50 / p95 / p99 (ms) | $(kv "$RUN/e2e.kv" kafka_p50_ms) / $(kv "$RUN/e2e.kv" kafka_p95_ms) / $(kv "$RUN/e2e.kv" kafka_p99_ms) |"
  echo "| D end to end | forward batch (events / bytes on the wire) | $BATCH_EVENTS / $BATCH_BYTES |"
  echo "| D end to end | compression (envelope bytes / frame bytes) | $COMPRESSION |"
  echo "| D end to end | Kafka record value (bytes) | $RECORD_SIZE |"
  echo "| D end to end | CPU (cores): edge / cloud / broker / load generator / other processes | $E2E_EDGE_CPU / $E2E_CLOUD_CPU / $E2E_KAFKA_CPU / $E2E_LG_CPU / $OTHER_D |"
  echo "| D end to end | of that, JIT compiler threads: edge / cloud / broker (cores) | $E2E_JIT |"
  echo "| D end to end | edge peak RSS VmHWM during D / since start (MB) | $(( E2E_HWM / 1024 )) / $(( PEAK_HWM / 1024 )) |"
  echo "| D end to end | edge RocksDB compaction read / written during D (its info LOG) | $D_ROCKS |"
  echo "| E ProducerPerformance | $PP_RECORDS × $RECORD_SIZE B after $PP_WARMUP of warm-up (--warmup-records), 3 partitions, acks=all linger.ms=5 batch.size=131072 (records/s; the whole run) | $PP_RATE (${PP_ALL_RATE:-n/a}) |"
  echo "| F latency at $LAT_RATE msg/s | edge backlog when F started (events; C2's catch-up waited for) | $BACKLOG_BEFORE_F |"
  echo "| F latency at $LAT_RATE msg/s | settling before F at its rate until the JIT compilers were quiet (s; compiler ticks of edge/cloud/broker per 10 s, quiet at ≤ $(( HZ / 2 )) together) | $SETTLE_S, $SETTLED ($SETTLE_WINDOWS) |"
  echo "| F latency at $LAT_RATE msg/s | CPU (cores) over the run and its warm-up: edge / cloud / broker / whole machine (of $(nproc)) | $F_CPU |"
  echo "| F latency at $LAT_RATE msg/s | of that, JIT compiler threads: edge / cloud / broker | $F_JIT |"
  echo "| F latency at $LAT_RATE msg/s | load generator (MQTT clients and the read_committed consumer, its measured part; cores) | $(calc "%.2f" "$(kv "$RUN/lat.kv" loadgen_cpu_s) / ($(kv "$RUN/lat.kv" loadgen_wall_s) + 0.001)") |"
  echo "| F latency at $LAT_RATE msg/s | publish→PUBACK p50 / p99 / p99.9 (ms) | $(kv "$RUN/lat.kv" puback_p50_ms) / $L_PUB / $(kv "$RUN/lat.kv" puback_p999_ms) |"
  echo "| F latency at $LAT_RATE msg/s | publish→Kafka p50 / p99 / p99.9 (ms) | $(kv "$RUN/lat.kv" kafka_p50_ms) / $L_K / $(kv "$RUN/lat.kv" kafka_p999_ms) |"
  echo "| F latency at $LAT_RATE msg/s | edge-side PUBLISH→PUBACK (mean / p99 ms) / group commit (mean / p99 ms), its 5 s warm-up included | $PUBACK_EDGE_F / $COMMIT_F |"
  echo "| F latency at $LAT_RATE msg/s | per second: edge group commits / forwarded batches / Kafka transactions | $F_UNITS |"
  for st in "ingest:publish → edge ingest time" "send:edge ingest → cloud send (record timestamp)" "consume:cloud send → consumed"; do
    echo "| F stage (ms clocks) | ${st#*:} p50 / p99 / p99.9 (ms) | $(kv "$RUN/lat.kv" "stage_${st%%:*}_p50_ms") / $(kv "$RUN/lat.kv" "stage_${st%%:*}_p99_ms") / $(kv "$RUN/lat.kv" "stage_${st%%:*}_p999_ms") |"
  done
  echo
  echo "| target | ratio / figure | verdict |"
  echo "|---|---|---|"
  echo "| 1. edge QoS$QOS ingest ≥ 1.0× Mosquitto | $R1 | $(verdict "$R1" ">=" 1.0) |"
  echo "| 2. end to end ≥ 0.5× ProducerPerformance | $R2 | $(verdict "$R2" ">=" 0.5) |"
  echo "| 3a. p99 publish→PUBACK ≤ 10 ms at 20 % | $L_PUB ms | $(verdict "$L_PUB" "<=" 10) |"
  echo "| 3b. p99 publish→Kafka ≤ 50 ms at 20 % | $L_K ms | $(verdict "$L_K" "<=" 50) |"
  echo "| 4. catch-up while live ingest continues (C2) ≥ 0.5× ProducerPerformance | $R4 | $(verdict "$R4" ">=" 0.5) |"
  echo "| 5. edge RSS ≤ 256 MB at max rate (peak since start; during D alone: $(( E2E_HWM / 1024 )) MB) | $(( PEAK_HWM / 1024 )) MB | $(verdict "$(( PEAK_HWM / 1024 ))" "<=" 256) |"
  if [ -n "$SOAK_TABLE" ]; then
    echo; echo "Soak: $(kv "$RUN/soak.kv" kafka_count) events in Kafka at ${SOAK_RATE} msg/s"; echo; echo "$SOAK_TABLE"
  fi
  if [ -n "$NMT" ]; then
    echo; echo "Edge native memory after phase D (NMT committed, MB): $NMT"
  fi
  if [ -n "$AP_LIB" ]; then
    echo; echo "async-profiler, 8 s of phase D from its start (CPU samples, every thread; the stacks: $RUN/profile/*.collapsed):"
    for p_ in edge cloud broker; do
      f_="$RUN/profile/$p_.collapsed"
      [ -s "$f_" ] || { echo; echo "$p_: no profile ($(tail -n 1 "$RUN/profile/$p_.log" 2>/dev/null))"; continue; }
      echo; echo "$p_, $(awk '{ n += $NF } END { print n }' "$f_") samples:"; echo; echo '```'
      echo "threads:"; ap_threads "$f_" 8
      echo "hottest frames (self):"; ap_frames "$f_" 12 self
      echo "io.edgesync frames (inclusive):"; ap_frames "$f_" 10 incl 'io/edgesync/'
      echo '```'
    done
  fi
  if [ -n "$JFR_TOP" ]; then
    echo; echo "Edge JFR during phase D (top frames of jdk.ExecutionSample):"; echo; echo '```'; echo "$JFR_TOP"; echo '```'
  fi
  echo
  echo "Wall time $(( $(date +%s) - T_START )) s."
} > "$REPORT"
cat "$REPORT"
say "results written to $REPORT"
