# async-profiler for `bench/run.sh --profile` (sourced). The library comes from Maven Central
# (tools.profiler:async-profiler, resolved by Maven into ~/.m2 like every other dependency) and is
# attached to running JVMs with `jcmd <pid> JVMTI.agent_load`: CPU samples of Java, JIT, native
# (RocksDB, zstd, OpenSSL) and kernel frames alike, per thread. JFR (`--jfr`) sees Java frames only.

AP_ARTIFACT="tools.profiler:async-profiler:4.1"

# ap_fetch DIR: puts linux-x64 libasyncProfiler.so into DIR; prints its path (empty on failure)
ap_fetch() {
  local dir=$1 jar
  mkdir -p "$dir"
  mvn -B -q dependency:copy -Dartifact="$AP_ARTIFACT" -DoutputDirectory="$dir" > "$dir/fetch.log" 2>&1 || true
  jar=$(ls "$dir"/async-profiler-*.jar 2>/dev/null | head -1)
  [ -n "$jar" ] || return 0
  (cd "$dir" && unzip -o -q "$jar" linux-x64/libasyncProfiler.so 2>/dev/null) || return 0
  [ -f "$dir/linux-x64/libasyncProfiler.so" ] && echo "$dir/linux-x64/libasyncProfiler.so"
}

# ap_cmd LIB PID ARGS: one async-profiler command in the JVM PID (the quotes keep jcmd from
# splitting ARGS at its '=' signs)
ap_cmd() {
  jcmd "$2" JVMTI.agent_load "$1" "\"$3\"" 2>&1
}

# ap_window LIB DIR SECONDS NAME:PID...: samples each JVM's CPU (perf_events cpu-clock every 1 ms,
# or a timer where perf events are not allowed) for SECONDS, then writes DIR/NAME.collapsed: one
# line per distinct stack, "[thread];frame;...;frame count"
ap_window() {
  local lib=$1 dir=$2 secs=$3 spec name pid
  shift 3
  mkdir -p "$dir"
  for spec in "$@"; do
    name=${spec%%:*}; pid=${spec#*:}
    ap_cmd "$lib" "$pid" "start,event=cpu,interval=1ms,threads" > "$dir/$name.log"
    grep -q "Profiling started" "$dir/$name.log" || ap_cmd "$lib" "$pid" "start,event=itimer,interval=1ms,threads" >> "$dir/$name.log"
  done
  sleep "$secs"
  for spec in "$@"; do
    name=${spec%%:*}; pid=${spec#*:}
    ap_cmd "$lib" "$pid" "stop,collapsed,threads,file=$dir/$name.collapsed" >> "$dir/$name.log"
  done
}

# ap_threads FILE N: the N busiest threads (pool numbers folded) as "share% thread"
ap_threads() {
  awk '{ n = $NF; t = $0; sub(/;.*/, "", t); gsub(/^\[| tid=[0-9]+\]$/, "", t); gsub(/[0-9]+/, "N", t)
         s[t] += n; tot += n }
       END { for (t in s) printf "%.1f%% %s\n", 100 * s[t] / tot, t }' "$1" | sort -rn | awk -v n="$2" 'NR <= n'
}

# ap_frames FILE N MODE [FRAME_REGEX] [THREAD_REGEX]: the N frames with the most samples, as
# "share% frame": MODE self (on top of the stack) or incl (anywhere on it; only frames matching
# FRAME_REGEX), over every thread or those matching THREAD_REGEX
ap_frames() {
  awk -v mode="$3" -v fre="${4:-}" -v tre="${5:-}" '{ n = $NF; line = $0; sub(/ [0-9]+$/, "", line); k = split(line, f, ";")
         if (tre != "" && f[1] !~ tre) next
         tot += n
         if (mode == "self") { c[f[k]] += n; next }
         delete seen
         for (i = 2; i <= k; i++) if (!(f[i] in seen) && f[i] ~ fre) { seen[f[i]] = 1; c[f[i]] += n } }
       END { for (x in c) printf "%.1f%% %s\n", 100 * c[x] / tot, x }' "$1" | sort -rn | awk -v n="$2" 'NR <= n'
}
