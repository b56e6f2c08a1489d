# Sourced by bench/run.sh and bench/ingest-ab.sh (not run): the edge node's JVM flags and malloc
# setting, read from the file `provisioning enrol` writes into the node's systemd unit, so the
# benchmarks run the edge as it is installed. Needs ROOT (the repository).
EDGE_ENV_FILE="$ROOT/provisioning/src/main/resources/io/edgesync/provisioning/bundle/edge-node.env"
# edge_env NAME: the value of NAME= in that file
edge_env() {
  awk -v k="$1" 'index($0, k "=") == 1 { print substr($0, length(k) + 2); found = 1 } END { exit !found }' "$EDGE_ENV_FILE" \
    || { echo "bench: $1 is missing from $EDGE_ENV_FILE" >&2; exit 1; }
}
