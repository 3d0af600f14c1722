#!/usr/bin/env bash
# Reproduces the collector figures of README "Benchmarks / Collector" in one command (about 10 minutes on the
# machine described there; the week of data for the query part is most of it):
#   1) ingest: 50 agents, each on its own keep-alive HTTP/1.1 connection, POST /v1/ingest wire frames (BatchWriter)
#      over loopback as fast as the collector acknowledges them (closed loop, durable acknowledgements), 100 flows
#      per second per agent, for several batch sizes (seconds per batch); a fresh collector and database per run,
#      INGEST_RUNS runs each; flow-second records/s and client-side batch latency p50/p99;
#   2) query: a week of per-second data for 50 agents (interface totals every second and QUERY_FLOWS flows per
#      second) sent through POST /v1/ingest with one-hour batches, then QUERY_REQUESTS requests per query shape
#      (after QUERY_WARMUP), one at a time on one keep-alive connection; p50/p99/max client-side;
#   3) live: LIVE_VIEWERS Server-Sent-Event viewers on GET /v1/live while LIVE_AGENTS agents each send one second
#      per second (spread over the second) for LIVE_TICKS seconds; per event and viewer, the time from the ingest
#      request being sent (and from its answer) to the viewer reading it; viewers dropped.
# Everything runs on this machine over 127.0.0.1: the load generator shares the CPUs with the collector.
# Each part starts the collector jar (`run --config`, port 0, a temporary data directory), reads its
# "listening on" line, and stops it with SIGTERM afterwards. Prints a markdown section at the end.
#
# Usage: scripts/bench-collector.sh
#   env: INGEST_BATCH_SECONDS="1 10 60" INGEST_RUNS=3 INGEST_AGENTS=50 INGEST_FLOWS=100 INGEST_WARMUP=3
#        INGEST_CONTEXT=true (frames as agents send them now: serving network, device and service per flow;
#        false: plain frames, the reference of before flag CONTEXT)
#        INGEST_MEASURE=10  QUERY_AGENTS=50 QUERY_DAYS=7 QUERY_FLOWS=5 QUERY_REQUESTS=1000 QUERY_WARMUP=100
#        LIVE_VIEWERS=1000 LIVE_AGENTS="10 50" LIVE_TICKS=30  COLLECTOR_JVM="" (flags for the collector's JVM)
#        WORKER_THREADS= (the collector's workerThreads; empty = its default, 4)
#        SKIP_INGEST=1 SKIP_QUERY=1 SKIP_LIVE=1 KEEP=1 (keep the work directory)
# Needs: java 17, python3, curl; maven only to build. Installs nothing.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
INGEST_BATCH_SECONDS=${INGEST_BATCH_SECONDS:-1 10 60}
INGEST_RUNS=${INGEST_RUNS:-3}
INGEST_AGENTS=${INGEST_AGENTS:-50}
INGEST_FLOWS=${INGEST_FLOWS:-100}
INGEST_WARMUP=${INGEST_WARMUP:-3}
INGEST_MEASURE=${INGEST_MEASURE:-10}
QUERY_AGENTS=${QUERY_AGENTS:-50}
QUERY_DAYS=${QUERY_DAYS:-7}
QUERY_FLOWS=${QUERY_FLOWS:-5}
QUERY_REQUESTS=${QUERY_REQUESTS:-1000}
QUERY_WARMUP=${QUERY_WARMUP:-100}
LIVE_VIEWERS=${LIVE_VIEWERS:-1000}
LIVE_AGENTS=${LIVE_AGENTS:-10 50}
LIVE_TICKS=${LIVE_TICKS:-30}
COLLECTOR_JVM=${COLLECTOR_JVM:-}
WORKER_THREADS=${WORKER_THREADS:-}
COLLECTOR_JAR=$ROOT/collector/target/esim-meter-collector.jar
BENCH_JAR=$ROOT/bench/target/benchmarks.jar

say() { printf '%s\n' "$*" >&2; }
die() { say "bench-collector.sh: $*"; exit 1; }

command -v java >/dev/null || die "java is missing"
command -v python3 >/dev/null || die "python3 is missing"
command -v curl >/dev/null || die "curl is missing"

# --- build when a jar is missing or older than the sources ------------------------------------------------
stale() {
    [ -f "$1" ] || return 0
    [ -n "$(find "$ROOT/pom.xml" "$ROOT/wire/pom.xml" "$ROOT/wire/src/main" "$ROOT/collector/pom.xml" \
        "$ROOT/collector/src/main" "$ROOT/bench/pom.xml" "$ROOT/bench/src/main" -newer "$1" -type f -print -quit)" ]
}
if stale "$COLLECTOR_JAR" || stale "$BENCH_JAR"; then
    command -v mvn >/dev/null || die "the jars are missing or stale and mvn is not installed"
    say "== building (mvn -B -q package -DskipTests -pl collector,bench -am)"
    (cd "$ROOT" && mvn -B -q package -DskipTests -pl collector,bench -am) >&2
fi

# 1,000 viewers need 1,000 sockets in the collector and 1,000 in the load generator (plus the JVMs' own files).
need_fds=$((LIVE_VIEWERS + 4096))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need_fds" ]; then
    hard=$(ulimit -Hn)
    if [ "$hard" = unlimited ] || [ "$hard" -ge "$need_fds" ]; then
        ulimit -n "$need_fds"
    else
        die "the open-files limit is $(ulimit -n) (hard $hard); $need_fds are needed for $LIVE_VIEWERS viewers"
    fi
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/esim-collector-bench.XXXXXX")
COLLECTOR_PID=
cleanup() {
    stop_collector
    if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; else say "kept $WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bench() {
    java -Desimmeter.bench.context="${INGEST_CONTEXT:-true}" -cp "$BENCH_JAR" \
        org.esimmeter.bench.collector.CollectorBench "$@"
}

# start_collector NAME AGENTS: a collector on 127.0.0.1:0 with a fresh data directory $WORK/NAME; sets URL.
start_collector() {
    local name=$1 agents=$2
    mkdir -p "$WORK/$name"
    # shellcheck disable=SC2086
    bench config "$WORK/$name/collector.yaml" "$WORK/$name/data" "$agents" $WORKER_THREADS
    # Created before the collector starts, so the wait below never reads a file that is not there yet.
    : > "$WORK/$name/collector.log"
    # shellcheck disable=SC2086
    java $COLLECTOR_JVM -jar "$COLLECTOR_JAR" run --config "$WORK/$name/collector.yaml" \
        > "$WORK/$name/collector.log" 2>&1 &
    COLLECTOR_PID=$!
    local i
    for i in $(seq 300); do
        URL=$(sed -n 's/.*listening on \(http:\/\/127\.0\.0\.1:[0-9]*\).*/\1/p' "$WORK/$name/collector.log")
        [ -n "$URL" ] && return 0
        kill -0 "$COLLECTOR_PID" 2>/dev/null || { cat "$WORK/$name/collector.log" >&2; die "the collector exited"; }
        sleep 0.1
    done
    die "the collector did not log 'listening on' within 30 s"
}

# stop_collector: SIGTERM (drain, close the store), up to 60 s, then SIGKILL.
stop_collector() {
    [ -n "$COLLECTOR_PID" ] || return 0
    kill -TERM "$COLLECTOR_PID" 2>/dev/null || true
    local i
    for i in $(seq 600); do
        kill -0 "$COLLECTOR_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$COLLECTOR_PID" 2>/dev/null || true
    wait "$COLLECTOR_PID" 2>/dev/null || true
    COLLECTOR_PID=
}

# metric NAME: the value of one Prometheus sample line of the running collector.
metric() { curl -sf "$URL/metrics" | awk -v name="$1" '$1 == name { print $2; exit }'; }

RESULTS=$WORK/results.tsv
: > "$RESULTS"
NOW=$(date +%s)
load() { cut -d' ' -f1 /proc/loadavg; }

# --- 1) ingest --------------------------------------------------------------------------------------------
if [ -z "${SKIP_INGEST:-}" ]; then
    for batch in $INGEST_BATCH_SECONDS; do
        for run in $(seq "$INGEST_RUNS"); do
            say "== ingest: $INGEST_AGENTS agents x $INGEST_FLOWS flows/s, $batch s per batch, run $run"
            start_collector "ingest-$batch-$run" "$INGEST_AGENTS"
            before=$(load)
            # Data starts six days ago: inside the default 7-day retention of 1 s rows, whatever the batch size.
            line=$(bench ingest "url=$URL" "agents=$INGEST_AGENTS" "flows=$INGEST_FLOWS" "batchSeconds=$batch" \
                "first=$((NOW - 6 * 86400))" "warmup=$INGEST_WARMUP" "measure=$INGEST_MEASURE")
            printf '%s\t%s\t%s\n' "$line" "$before" "$(load)" >> "$RESULTS"
            stop_collector
            rm -rf "$WORK/ingest-$batch-$run/data"
        done
    done
fi

# --- 2) query ---------------------------------------------------------------------------------------------
if [ -z "${SKIP_QUERY:-}" ]; then
    say "== query: populating $QUERY_DAYS days of per-second data for $QUERY_AGENTS agents ($QUERY_FLOWS flows/s)"
    start_collector query "$QUERY_AGENTS"
    # The week ends 7 s before the start of the run and is not aligned to any boundary, as "until now" is.
    QUERY_TO=$((NOW - 7))
    line=$(bench populate "url=$URL" "agents=$QUERY_AGENTS" "flows=$QUERY_FLOWS" batchSeconds=3600 \
        "first=$((QUERY_TO - QUERY_DAYS * 86400))" "span=$((QUERY_DAYS * 86400))")
    printf '%s\t%s\n' "$line" "$(du -sb "$WORK/query/data" | cut -f1)" >> "$RESULTS"
    say "== query: $QUERY_WARMUP + $QUERY_REQUESTS requests per shape"
    before=$(load)
    bench query "url=$URL" "to=$QUERY_TO" "agents=$QUERY_AGENTS" "warmup=$QUERY_WARMUP" \
        "requests=$QUERY_REQUESTS" | while IFS= read -r line; do printf '%s\t%s\n' "$line" "$before"; done >> "$RESULTS"
    stop_collector
    rm -rf "$WORK/query/data"
fi

# --- 3) live ----------------------------------------------------------------------------------------------
if [ -z "${SKIP_LIVE:-}" ]; then
    for agents in $LIVE_AGENTS; do
        say "== live: $LIVE_VIEWERS viewers, $agents agents x 1 second per second, $LIVE_TICKS s"
        start_collector "live-$agents" "$agents"
        before=$(load)
        line=$(bench live "url=$URL" "viewers=$LIVE_VIEWERS" "agents=$agents" "ticks=$LIVE_TICKS")
        printf '%s\t%s\t%s\t%s\n' "$line" "$agents" "$(metric esim_live_viewers_dropped_total)" "$before" \
            >> "$RESULTS"
        stop_collector
        rm -rf "$WORK/live-$agents/data"
    done
fi

# --- table ------------------------------------------------------------------------------------------------
CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
MEM=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
JAVA=$(java -version 2>&1 | head -2 | tr '\n' ' ' | sed 's/ *$//')
export WORKER_THREADS CPU MEM JAVA INGEST_AGENTS INGEST_FLOWS INGEST_RUNS INGEST_MEASURE QUERY_DAYS QUERY_AGENTS \
    QUERY_FLOWS QUERY_REQUESTS QUERY_WARMUP LIVE_VIEWERS LIVE_TICKS
NPROC=$(nproc) KERNEL=$(uname -r) python3 - "$RESULTS" <<'PY'
import os, statistics, sys
from collections import defaultdict

rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1]) if line.strip()]
e = os.environ
ms = lambda us: f"{int(us) / 1000:.1f}"
print("### Collector\n")
print(f"Machine: {e['NPROC']} CPUs ({e['CPU']}), {e['MEM']} RAM, Linux {e['KERNEL']}, {e['JAVA']}. "
      "Load generator and collector on the same machine over 127.0.0.1; the collector with default JVM flags "
      f"and workerThreads {e['WORKER_THREADS'] or '4 (the default)'}. "
      "Command: `scripts/bench-collector.sh`.\n")

ingest = defaultdict(list)
for r in rows:
    if r[0] == "ingest":
        ingest[int(r[3])].append(r)
if ingest:
    print(f"**Ingest** (POST /v1/ingest, {e['INGEST_AGENTS']} agents on keep-alive connections, "
          f"{e['INGEST_FLOWS']} flows per second per agent, closed loop, acknowledged = durably committed; "
          f"median of {e['INGEST_RUNS']} runs of {e['INGEST_MEASURE']} s, each on a fresh collector and database; "
          "latency client-side per batch). Goal: >= 1,000,000 flow-second records/s.\n")
    print("| seconds per batch | flow-second records/s (runs) | batch latency p50 | p99 | max | goal |")
    print("|---:|---:|---:|---:|---:|---|")
    for batch in sorted(ingest):
        rs = ingest[batch]
        rates = [float(r[6]) for r in rs]
        median = statistics.median(rates)
        pick = sorted(rs, key=lambda r: float(r[6]))[len(rs) // 2]
        print(f"| {batch} ({batch * int(e['INGEST_FLOWS']):,} records per batch) | **{median:,.0f}** "
              f"({', '.join(f'{x:,.0f}' for x in rates)}) | {ms(pick[7])} ms | {ms(pick[8])} ms | {ms(pick[9])} ms | "
              f"{'met' if median >= 1_000_000 else 'missed'} |")
    print()

for r in rows:
    if r[0] == "populate":
        agents, span, flows, iseconds, records, elapsed, size = r[1:8]
        print(f"**Query** over {int(span) // 86400} days of per-second data for {agents} agents "
              f"({int(iseconds):,} interface-seconds, {flows} flows per second: {int(records):,} flow-second records; "
              f"database {int(size) / 2**30:.2f} GiB), sent through POST /v1/ingest in one-hour batches "
              f"in {float(elapsed):.0f} s. {e['QUERY_REQUESTS']} requests per shape after {e['QUERY_WARMUP']} "
              "of warm-up, one at a time on one keep-alive connection; latency client-side. "
              "Ranges end at an unaligned second (\"until now\"). Goal: p99 <= 20 ms for the 30-day per-profile query.\n")
queries = [r for r in rows if r[0] == "query"]
if queries:
    print("| query | example | p50 | p99 | max | goal |")
    print("|---|---|---:|---:|---:|---|")
    for i, r in enumerate(queries):
        goal = ("met" if int(r[5]) <= 20_000 else "missed") if i == 0 else "—"
        print(f"| {r[1]} | `{r[2]}` | {ms(r[4])} ms | **{ms(r[5])} ms** | {ms(r[6])} ms | {goal} |")
    print(f"\nLoad average (1 min) when the queries started: {queries[0][8]}.\n")

lives = [r for r in rows if r[0] == "live"]
if lives:
    print(f"**Live** ({e['LIVE_VIEWERS']} concurrent SSE viewers on GET /v1/live, all agents, for {e['LIVE_TICKS']} s; "
          "each agent sends one second per second, the agents spread over the second; latency per event and viewer, "
          "from the ingest request being sent — which includes the durable commit before the collector publishes — "
          "and from its answer reaching the agent; events that reached a viewer before the answer count as 0). "
          "Goal: fan-out latency <= 1 s, no viewer dropped.\n")
    print("| agents (events/s) | viewers connected | events received / expected | dropped | from send p50 | p99 | max "
          "| from answer p50 | p99 | max | goal |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in lives:
        (viewers, connected, ended, expected, received, before_ack, s50, s99, smax, a50, a99, amax, elapsed,
         agents, dropped) = r[1:16]
        ok = int(s99) <= 1_000_000 and int(ended) == 0 and float(dropped or 0) == 0 and received == expected
        print(f"| {agents} ({agents}/s, {int(agents) * int(viewers):,} deliveries/s) | {connected} | "
              f"{int(received):,} / {int(expected):,} | {ended} (collector counted {float(dropped or 0):.0f}) | "
              f"{ms(s50)} ms | **{ms(s99)} ms** | {ms(smax)} ms | {ms(a50)} ms | {ms(a99)} ms | {ms(amax)} ms | "
              f"{'met' if ok else 'missed'} |")
    print()
PY
