#!/usr/bin/env bash
# Kafka transactions back to back on ONE producer vs TWO taken in turns (what cloud-ingest's
# writer does per shard since issue 8), against one in-process KRaft broker, in one run, rounds
# interleaved. Each transaction: begin, R records of 400 bytes to a 3-partition topic, flush,
# commit; a read_committed consumer measures record timestamp → poll.
#
#   bench/txn-probe.sh [--rounds 2] [--txns 400] [--records 100] [--pause-ms 0]
#
# Prints transactions/s, begin→commit p50/p90/p99 and send→consume p50/p99 per variant.
# Environment: BENCH_DIR (default /tmp/edgesync-txn-<timestamp>, removed unless BENCH_KEEP=1), JAVA.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAVA="${JAVA:-java}"
ROUNDS=2; TXNS=400; RECORDS=100; PAUSE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS="$2"; shift ;;
    --txns) TXNS="$2"; shift ;;
    --records) RECORDS="$2"; shift ;;
    --pause-ms) PAUSE="$2"; shift ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "txn-probe: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
RUN="${BENCH_DIR:-/tmp/edgesync-txn-$STAMP}"
LOGS="$RUN/logs"
mkdir -p "$LOGS"
say() { echo "txn-probe: $*" >&2; }
CLOUD_JAR="$ROOT/cloud-ingest/target/cloud-ingest.jar"
LG_JAR="$ROOT/loadgen/target/loadgen.jar"
if [ ! -f "$CLOUD_JAR" ] || [ ! -f "$LG_JAR" ]; then
  say "building the jars (tests skipped) ..."
  (cd "$ROOT" && mvn -B -q -DskipTests package)
fi
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

PORTS=($("$JAVA" -jar "$LG_JAR" ports 2))
start kafka "broker ready" "$JAVA" -Xmx768m -XX:+UseG1GC -cp "$CLOUD_JAR:$ROOT/loadgen/target/classes" \
  io.edgesync.loadgen.BrokerMain "$RUN/kafka" "${PORTS[0]}" "${PORTS[1]}"
BOOT="localhost:${PORTS[0]}"
LG=("$JAVA" -Xmx512m -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -jar "$LG_JAR")
"${LG[@]}" topic "$BOOT" bench.txn 3 > "$LOGS/topic.log" 2>&1
say "broker at $BOOT; $ROUNDS rounds of $TXNS transactions x $RECORDS records, pause $PAUSE ms"
echo "| round | producers | transactions/s | begin→commit p50 / p90 / p99 (ms) | send→consume p50 / p99 (ms) |"
echo "|---|---|---|---|---|"
for r in $(seq 1 "$ROUNDS"); do
  for n in 1 2; do
    "${LG[@]}" txn --kafka "$BOOT" --producers "$n" --txns "$TXNS" --records "$RECORDS" --pause-ms "$PAUSE" \
      --out "$RUN/r$r-p$n.kv" > "$LOGS/r$r-p$n.log" 2>&1 || { say "round $r ($n producers) failed:"; tail -5 "$LOGS/r$r-p$n.log" >&2; exit 1; }
    f="$RUN/r$r-p$n.kv"
    v() { awk -F= -v k="$1" '$1 == k { print $2 }' "$f"; }
    echo "| $r | $n | $(v txn_rate) | $(v txn_p50_ms) / $(v txn_p90_ms) / $(v txn_p99_ms) | $(v consume_p50_ms) / $(v consume_p99_ms) |"
  done
done
