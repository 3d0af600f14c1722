#!/usr/bin/env bash
# Reproduces the figures of README "Benchmarks" in one command, in a few minutes, on this machine:
#   a) generates Ethernet captures (deterministic, into a temporary directory removed at exit),
#   b) replays the large one end to end with the agent, tcpdump and pmacctd, RUNS times each, CPU and wall,
#   c) measures the agent's peak RSS while 100,000 flows are active in one second,
#   d) runs the JMH decode + attribute benchmark (Mpps per core, bytes allocated per packet),
# then prints a markdown table. Ratios compare tools measured in this same run (the machine may be shared).
#
# Usage: scripts/bench.sh            (env: RUNS=5 PACKETS=1000000 FLOWS=20000 SKIP_JMH=1 KEEP=1)
# Needs: java 17, maven (only to build), python3, GNU time (/usr/bin/time). Optional: tcpdump, pmacctd (rows are
# skipped with a note when missing; `apt-get install -y tcpdump pmacct` adds them). Installs nothing itself.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-5}
PACKETS=${PACKETS:-1000000}
FLOWS=${FLOWS:-20000}
PPS=${PPS:-25000}
CONCURRENT_FLOWS=100000
ROUTER_MAC=02:00:5e:10:00:01
AGENT_JAR=$ROOT/agent/target/esim-meter-agent.jar
BENCH_JAR=$ROOT/bench/target/benchmarks.jar
# What an operator runs on a router (see README): a bounded heap that still holds 100k flows twice over (replay
# keeps the per-second table and the run totals), a small young generation so the big tables fit in the old one,
# the serial collector (no per-region GC structures, no GC threads), C1 only (less code cache, no C2 arenas)
# and one compiler thread.
OPERATOR_JVM=${OPERATOR_JVM:--Xmx48m -Xmn4m -Xss256k -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=16m -XX:CICompilerCount=1}

say() { printf '%s\n' "$*" >&2; }
die() { say "bench.sh: $*"; exit 1; }

[ -x /usr/bin/time ] || die "GNU time (/usr/bin/time) is missing: apt-get install -y time"
command -v python3 >/dev/null || die "python3 is missing"
command -v java >/dev/null || die "java is missing"

# --- build when a jar is missing or older than the sources --------------------------------------------------
stale() {
    [ -f "$1" ] || return 0
    [ -n "$(find "$ROOT/pom.xml" "$ROOT/agent/pom.xml" "$ROOT/agent/src/main" "$ROOT/bench" -newer "$1" \
        -type f -not -path '*/target/*' -print -quit)" ]
}
if stale "$AGENT_JAR" || stale "$BENCH_JAR"; then
    command -v mvn >/dev/null || die "the jars are missing or stale and mvn is not installed"
    say "== building (mvn -B -q package -DskipTests -pl agent,bench)"
    (cd "$ROOT" && mvn -B -q package -DskipTests -pl agent,bench) >&2
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/esim-bench.XXXXXX")
if [ -z "${KEEP:-}" ]; then trap 'rm -rf "$WORK"' EXIT; else say "keeping $WORK"; fi

generate() { java -cp "$BENCH_JAR" org.esimmeter.bench.GeneratePcap "$@"; }

# --- a) captures ------------------------------------------------------------------------------------------
say "== generating captures in $WORK"
generate "$WORK/big.pcap" "$PACKETS" "$FLOWS" "$PPS" 42 > "$WORK/big.info"
generate "$WORK/tiny.pcap" 10 4 10 42 > "$WORK/tiny.info"
# The same seed makes this the first half of big.pcap: the difference of the two costs is the steady state.
generate "$WORK/half.pcap" $((PACKETS / 2)) "$FLOWS" "$PPS" 42 > "$WORK/half.info"
# Every flow twice, all within one second: the per-second table and the replay totals both hold 100k flows.
generate "$WORK/concurrent.pcap" $((2 * CONCURRENT_FLOWS)) "$CONCURRENT_FLOWS" $((2 * CONCURRENT_FLOWS)) 42 \
    round-robin > "$WORK/concurrent.info"
cat "$WORK/big.info" "$WORK/concurrent.info" >&2
BIG_BYTES=$(sed -n 's/.*wireBytes=\([0-9]*\).*/\1/p' "$WORK/big.info")
# Warm the page cache so every tool reads the file from memory, not the disk.
cat "$WORK/big.pcap" "$WORK/half.pcap" "$WORK/concurrent.pcap" > /dev/null

# measure LABEL CMD... : runs CMD RUNS times; appends "wall cpu maxrssKB" to $WORK/LABEL.runs (stdout discarded).
measure() {
    local label=$1; shift
    : > "$WORK/$label.runs"
    for _ in $(seq "$RUNS"); do
        /usr/bin/time -o "$WORK/$label.time" -f '%e %U %S %M' "$@" > /dev/null 2> "$WORK/$label.err" ||
            { cat "$WORK/$label.err" >&2; die "$label failed: $*"; }
        awk '{ printf "%s %.3f %s\n", $1, $2 + $3, $4 }' "$WORK/$label.time" >> "$WORK/$label.runs"
    done
    say "   $label: $(awk '{ printf "[wall %ss cpu %ss rss %sKB] ", $1, $2, $3 }' "$WORK/$label.runs")"
}

# --- b) replay, end to end ---------------------------------------------------------------------------------
say "== replay: agent (default JVM, then operator JVM flags), $RUNS runs each"
replay=(replay --json --router-mac "$ROUTER_MAC")
java -jar "$AGENT_JAR" "${replay[@]}" "$WORK/big.pcap" > "$WORK/agent.json"
measure agent java -jar "$AGENT_JAR" "${replay[@]}" "$WORK/big.pcap"
measure agent_tiny java -jar "$AGENT_JAR" "${replay[@]}" "$WORK/tiny.pcap"
measure agent_half java -jar "$AGENT_JAR" "${replay[@]}" "$WORK/half.pcap"
# shellcheck disable=SC2086
measure agent_op java $OPERATOR_JVM -jar "$AGENT_JAR" "${replay[@]}" "$WORK/big.pcap"
# shellcheck disable=SC2086
measure agent_op_tiny java $OPERATOR_JVM -jar "$AGENT_JAR" "${replay[@]}" "$WORK/tiny.pcap"
# shellcheck disable=SC2086
measure agent_op_half java $OPERATOR_JVM -jar "$AGENT_JAR" "${replay[@]}" "$WORK/half.pcap"

HAVE_TCPDUMP=
if command -v tcpdump >/dev/null; then
    say "== replay: tcpdump -r FILE -w /dev/null"
    measure tcpdump tcpdump -r "$WORK/big.pcap" -w /dev/null
    HAVE_TCPDUMP=1
else
    say "tcpdump is not installed: its row is skipped (apt-get install -y tcpdump)"
fi

HAVE_PMACCT=
if command -v pmacctd >/dev/null; then
    say "== replay: pmacctd, print plugin, 5-tuple aggregation"
    # The pipe between pmacctd's core and its plugin is enlarged as pmacct's docs advise for high rates: with the
    # defaults it takes ~3x the wall time and ~2x the CPU on this file. pmacctd sleeps 2 s before reading a
    # savefile and waits for its plugin at exit: that is wall time, not CPU.
    cat > "$WORK/pmacctd.conf" <<EOF
daemonize: false
pcap_savefile: $WORK/big.pcap
aggregate: src_host,dst_host,src_port,dst_port,proto
plugins: print
print_output: json
print_output_file: $WORK/pmacctd.json
print_refresh_time: 3600
plugin_pipe_size: 67108864
plugin_buffer_size: 65536
EOF
    measure pmacctd pmacctd -f "$WORK/pmacctd.conf"
    HAVE_PMACCT=1
else
    say "pmacctd is not installed: its row is skipped (apt-get install -y pmacct)"
fi

# --- c) memory with 100k concurrent flows -------------------------------------------------------------------
say "== RSS: replay of $CONCURRENT_FLOWS flows active in one second"
# rss LABEL JVMFLAGS : starts the replay, samples VmHWM/VmRSS from /proc/PID/status every 20 ms while it runs,
# and also takes GNU time's maximum RSS (the kernel's high-water mark at exit). Writes "hwm sampledRss" KB.
rss() {
    local label=$1 flags=$2
    : > "$WORK/$label.runs"
    for _ in $(seq "$RUNS"); do
        # shellcheck disable=SC2086
        /usr/bin/time -o "$WORK/$label.time" -f '%M' java $flags -jar "$AGENT_JAR" "${replay[@]}" \
            "$WORK/concurrent.pcap" > "$WORK/$label.json" 2> "$WORK/$label.err" &
        local timer=$! pid="" peak=0
        while kill -0 "$timer" 2>/dev/null; do
            [ -n "$pid" ] || pid=$(pgrep -P "$timer" java || true)
            if [ -n "$pid" ] && [ -r "/proc/$pid/status" ]; then
                local now
                now=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
                [ "${now:-0}" -gt "$peak" ] && peak=$now
            fi
            sleep 0.02
        done
        wait "$timer" || { cat "$WORK/$label.err" >&2; die "$label replay failed (JVM flags: $flags)"; }
        echo "$(cat "$WORK/$label.time") $peak" >> "$WORK/$label.runs"
    done
    python3 - "$WORK/$label.json" "$CONCURRENT_FLOWS" <<'EOF' || die "$label: the replay did not hold the flows"
import json, sys
report = json.load(open(sys.argv[1]))
if len(report["flows"]) != int(sys.argv[2]):
    sys.exit(f"{len(report['flows'])} flows reported, expected {sys.argv[2]}")
EOF
    say "   $label: $(awk '{ printf "[hwm %sKB sampled %sKB] ", $1, $2 }' "$WORK/$label.runs")"
}
rss rss_default ""
rss rss_op "$OPERATOR_JVM"

# --- d) JMH -------------------------------------------------------------------------------------------------
JMH_JSON=$WORK/jmh.json
if [ -z "${SKIP_JMH:-}" ]; then
    say "== JMH DecodeAndAttributeBenchmark (-f 1 -wi 3 -i 5 -w 2s -r 2s -prof gc)"
    corpora=synthetic
    if [ -d "$ROOT/../shared/pcaps" ]; then corpora=synthetic,captures; else
        say "   ../shared/pcaps not found: only the synthetic corpus is measured"; fi
    (cd "$ROOT" && java -jar "$BENCH_JAR" DecodeAndAttribute -p corpus="$corpora" -f 1 -wi 3 -i 5 -w 2s -r 2s \
        -prof gc -rf json -rff "$JMH_JSON") > "$WORK/jmh.out" 2>&1 || { cat "$WORK/jmh.out" >&2; die "JMH failed"; }
    grep -E '^# corpus|^# sealed|Benchmark|decodeAndAttribute' "$WORK/jmh.out" >&2
fi

# --- table --------------------------------------------------------------------------------------------------
export WORK PACKETS BIG_BYTES RUNS CONCURRENT_FLOWS OPERATOR_JVM HAVE_TCPDUMP HAVE_PMACCT ROUTER_MAC
export CPU_MODEL JAVA_VERSION MEM_TOTAL NPROC KERNEL TCPDUMP_VERSION PMACCT_VERSION
CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
MEM_TOTAL=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
NPROC=$(nproc)
KERNEL=$(uname -r)
JAVA_VERSION=$(java -version 2>&1 | sed -n 2p)
TCPDUMP_VERSION=$( (tcpdump --version 2>&1 || true) | head -1)
PMACCT_VERSION=$( (pmacctd -V 2>&1 || true) | head -1)
python3 - <<'EOF'
import json, os, statistics

work = os.environ["WORK"]
packets = int(os.environ["PACKETS"])

def runs(label):
    with open(os.path.join(work, label + ".runs")) as f:
        return [[float(x) for x in line.split()] for line in f if line.strip()]

def med(label, column):
    return statistics.median(r[column] for r in runs(label))

rows = []
def mpps(cpu):
    return packets / cpu / 1e6

agent_cpu, agent_wall = med("agent", 1), med("agent", 0)
startup_cpu, startup_wall = med("agent_tiny", 1), med("agent_tiny", 0)
op_cpu, op_wall = med("agent_op", 1), med("agent_op", 0)
op_startup_cpu, op_startup_wall = med("agent_op_tiny", 1), med("agent_op_tiny", 0)
ref = {}
if os.environ.get("HAVE_TCPDUMP"):
    ref["tcpdump"] = (med("tcpdump", 1), med("tcpdump", 0))
if os.environ.get("HAVE_PMACCT"):
    ref["pmacctd"] = (med("pmacctd", 1), med("pmacctd", 0))

# The agent must have metered the whole file exactly: compare with what the generator wrote.
report = json.load(open(os.path.join(work, "agent.json")))
assert report["packets"] == packets and report["wireBytes"] == int(os.environ["BIG_BYTES"]), \
    f"agent replay totals {report['packets']} / {report['wireBytes']} differ from the generated file"
pm_note = ""
if "pmacctd" in ref:
    pm_packets = pm_bytes = 0
    with open(os.path.join(work, "pmacctd.json")) as f:
        for line in f:
            if line.strip():
                entry = json.loads(line)
                pm_packets += entry["packets"]
                pm_bytes += entry["bytes"]
    assert pm_packets == packets, f"pmacctd counted {pm_packets} packets of {packets}"
    assert pm_bytes == report["ipBytes"], f"pmacctd counted {pm_bytes} IP bytes, the agent {report['ipBytes']}"
    pm_note = f" pmacctd's output was checked: {pm_packets} packets, {pm_bytes} IP bytes, as the agent's."

print()
print("### Machine")
print()
print(f"- {os.environ['NPROC']} CPUs: {os.environ['CPU_MODEL']}; {os.environ['MEM_TOTAL']} RAM; Linux {os.environ['KERNEL']}")
print(f"- {os.environ['JAVA_VERSION']}; {os.environ['TCPDUMP_VERSION']}; {os.environ['PMACCT_VERSION']}")
print(f"- `scripts/bench.sh`, medians of {os.environ['RUNS']} runs; all tools measured in the same run, file in the page cache")
print()
print(f"### Replay of {packets:,} Ethernet packets ({int(os.environ['BIG_BYTES']) / 1e6:,.0f} MB, "
      f"IPv4/IPv6 TCP/UDP, {len(report['flows']):,} flows)")
print()
print("| command | CPU s (user+sys) | wall s | Mpps per CPU-second | agent's rate ÷ its rate |")
print("|---|---:|---:|---:|---:|")
print(f"| agent `replay --json`, default JVM | {agent_cpu:.2f} | {agent_wall:.2f} | {mpps(agent_cpu):.2f} | |")
ex_cpu = agent_cpu - startup_cpu
print(f"| same, JVM startup subtracted (minus a 10-packet replay: {startup_cpu:.2f} CPU s) | {ex_cpu:.2f} | "
      f"{agent_wall - startup_wall:.2f} | **{mpps(ex_cpu):.2f}** | |")
half = packets // 2
steady_cpu = agent_cpu - med("agent_half", 1)
steady_rate = (packets - half) / steady_cpu / 1e6
print(f"| same, steady state (file minus its first half: no startup, no JIT warm-up) | {steady_cpu:.2f} | "
      f"{agent_wall - med('agent_half', 0):.2f} | **{(packets - half) / steady_cpu / 1e6:.2f}** | |")
print(f"| agent `replay --json`, operator JVM flags | {op_cpu:.2f} | {op_wall:.2f} | {mpps(op_cpu):.2f} | |")
op_ex = op_cpu - op_startup_cpu
print(f"| same, JVM startup subtracted ({op_startup_cpu:.2f} CPU s) | {op_ex:.2f} | {op_wall - op_startup_wall:.2f} | "
      f"{mpps(op_ex):.2f} | |")
op_steady = op_cpu - med("agent_op_half", 1)
print(f"| same, steady state | {op_steady:.2f} | {op_wall - med('agent_op_half', 0):.2f} | "
      f"{(packets - half) / op_steady / 1e6:.2f} | |")
for name, command in (("tcpdump", "`tcpdump -r FILE -w /dev/null`"),
                      ("pmacctd", "`pmacctd` savefile, print plugin, 5-tuple aggregation")):
    if name in ref:
        cpu, wall = ref[name]
        print(f"| {command} | {cpu:.2f} | {wall:.2f} | {mpps(cpu):.2f} | "
              f"{cpu / agent_cpu:.2f}x (startup excl. {cpu / ex_cpu:.2f}x; steady {steady_rate / mpps(cpu):.2f}x) |")
    else:
        print(f"| {command} | not installed | | | |")
print()
print(f"Goals: >= 3 Mpps per CPU-second for the replay; >= 8x pmacctd.{pm_note}")
print()
print(f"### Memory with {int(os.environ['CONCURRENT_FLOWS']):,} flows active in one second (replay: per-second table + totals)")
print()
print("| JVM flags | peak RSS (VmHWM) MB | sampled VmRSS max MB |")
print("|---|---:|---:|")
for label, flags in (("rss_default", "(defaults)"), ("rss_op", os.environ["OPERATOR_JVM"])):
    print(f"| `{flags}` | {med(label, 0) / 1024:.1f} | {med(label, 1) / 1024:.1f} |")
print()
print("Goal: <= 96 MB.")
jmh = os.path.join(work, "jmh.json")
if os.path.exists(jmh):
    print()
    print("### JMH `DecodeAndAttributeBenchmark` (decode + attribute, one core, snaplen 128)")
    print()
    print("| corpus | Mpps (median of iterations) | min..max | B/op (gc.alloc.rate.norm) |")
    print("|---|---:|---:|---:|")
    for result in json.load(open(jmh)):
        raw = [x for fork in result["primaryMetric"]["rawData"] for x in fork]
        alloc = result["secondaryMetrics"].get("gc.alloc.rate.norm", {}).get("score", float("nan"))
        print(f"| {result['params']['corpus']} | {statistics.median(raw) / 1e6:.1f} | "
              f"{min(raw) / 1e6:.1f}..{max(raw) / 1e6:.1f} | {alloc:.4f} |")
    print()
    print("Goal: >= 25 Mpps per core, 0 B/op.")
EOF
