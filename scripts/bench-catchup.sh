#!/usr/bin/env bash
# Reproduces README "Benchmarks / Catch-up after an outage" in one command (about a minute on the machine described
# there): issue 4's goal "a 1-hour backlog of a busy router delivered in under 30 s over loopback".
#   1) outage: the agent's CollectorSink + Spool ship to a loopback port where nothing listens while the agent's
#      decoder and meters meter SECONDS seconds of a busy router's traffic (timestamps from SECONDS ago up to now;
#      2 interfaces, FLOWS flows and PPS frames/s each), one batch per second; closing the sink spools every
#      unacknowledged batch, as SIGTERM does;
#   2) catch-up, RUNS times on copies of that spool: the collector jar starts (fresh data directory, loopback port,
#      the agent's token) and, once it listens, a new sink opens the spool and sends the backlog; the clock runs
#      from opening the spool to the last acknowledgement. Every run is checked: all batches acknowledged, the
#      spool empty, and the collector's /v1/totals equal to the fed traffic byte for byte (exit 1 otherwise).
# Prints a markdown section (figures of every run, median, min..max, the machine) on stdout.
#
# Usage: scripts/bench-catchup.sh
#   env: RUNS=3 SECONDS_OF_OUTAGE=3600 FLOWS=150 PPS=4000 SEED=2026 TIMEOUT=600
#        KEEP=1 (keep the work directory: spools, collector configs and logs)
# Needs: java 17; maven only to build. Installs nothing.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-3}
SECONDS_OF_OUTAGE=${SECONDS_OF_OUTAGE:-3600}
FLOWS=${FLOWS:-150}
PPS=${PPS:-4000}
SEED=${SEED:-2026}
TIMEOUT=${TIMEOUT:-600}
COLLECTOR_JAR=$ROOT/collector/target/esim-meter-collector.jar
BENCH_JAR=$ROOT/bench/target/benchmarks.jar

say() { printf '%s\n' "$*" >&2; }
die() { say "bench-catchup.sh: $*"; exit 1; }

command -v java >/dev/null || die "java is missing"

# --- build when a jar is missing or older than the sources (the agent's shipping code is in the bench jar) -----
stale() {
    [ -f "$1" ] || return 0
    [ -n "$(find "$ROOT/pom.xml" "$ROOT"/{common,wire,agent,collector,bench}/pom.xml \
        "$ROOT"/{common,wire,agent,collector,bench}/src/main -newer "$1" -type f -print -quit)" ]
}
if stale "$COLLECTOR_JAR" || stale "$BENCH_JAR"; then
    command -v mvn >/dev/null || die "the jars are missing or stale and mvn is not installed"
    say "== building (mvn -q -B install -DskipTests -pl collector,bench -am)"
    (cd "$ROOT" && mvn -q -B install -DskipTests -pl collector,bench -am) >&2
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/esim-catchup-bench.XXXXXX")
STATUS=0
cleanup() {
    if [ -z "${KEEP:-}" ] && [ "$STATUS" = 0 ]; then rm -rf "$WORK"; else say "kept $WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

load() { cut -d' ' -f1-3 /proc/loadavg; }
BEFORE=$(load)
# The benchmark starts and stops the collector itself (SIGTERM, then SIGKILL after 30 s).
java -cp "$BENCH_JAR" org.esimmeter.bench.ship.CatchUpBench "collectorJar=$COLLECTOR_JAR" "work=$WORK/bench" \
    "runs=$RUNS" "seconds=$SECONDS_OF_OUTAGE" "flows=$FLOWS" "pps=$PPS" "seed=$SEED" "timeout=$TIMEOUT" || STATUS=$?
# The command line of this run, naming only the knobs that differ from the defaults.
KNOBS=""
[ "$RUNS" = 3 ] || KNOBS+="RUNS=$RUNS "
[ "$SECONDS_OF_OUTAGE" = 3600 ] || KNOBS+="SECONDS_OF_OUTAGE=$SECONDS_OF_OUTAGE "
[ "$FLOWS" = 150 ] || KNOBS+="FLOWS=$FLOWS "
[ "$PPS" = 4000 ] || KNOBS+="PPS=$PPS "
[ "$SEED" = 2026 ] || KNOBS+="SEED=$SEED "
printf '\nLoad average (1, 5, 15 min) before: %s; after: %s. Command: `%sscripts/bench-catchup.sh`.\n' \
    "$BEFORE" "$(load)" "$KNOBS"
exit "$STATUS"
