#!/usr/bin/env bash
# Reproduces the figures of README "Benchmarks" in one command, in about four minutes (3 min 39 s on the machine
# described there):
#   a) generates Ethernet captures (deterministic, into a temporary directory removed at exit): the same traffic
#      stored with whole frames and with snaplen 128,
#   b) replays each end to end with the agent (default and operator JVM flags), tcpdump and pmacctd (default and
#      tuned settings), RUNS times each, CPU and wall; pmacctd's totals are checked against the agent's,
#   c) measures the agent's peak RSS while 100,000 flows are active in one second,
#   d) runs the JMH decode + attribute benchmark (Mpps per core, bytes allocated per packet),
# then prints a markdown table. Ratios compare tools measured in this same run (the machine may be shared).
#
# Usage: scripts/bench.sh
#   env: RUNS=5 PACKETS=1000000 (whole frames) PACKETS_SNAP=2000000 (snaplen 128) FLOWS=20000
#        PM_PARALLEL=RUNS (pmacctd runs at a time, see pmacctd_runs) SKIP_JMH=1 KEEP=1
# Needs: java 17, maven (only to build), python3, GNU time (/usr/bin/time). Optional: tcpdump, pmacctd (rows are
# skipped with a note when missing; `apt-get install -y tcpdump pmacct` adds them). Installs nothing itself.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-5}
PACKETS=${PACKETS:-1000000}
PACKETS_SNAP=${PACKETS_SNAP:-2000000}
FLOWS=${FLOWS:-20000}
PPS=${PPS:-25000}
PM_PARALLEL=${PM_PARALLEL:-$RUNS}
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
# Two replay files of the same traffic (same seed: a shorter file is a prefix of a longer one):
#   whole: frames stored whole, as `tcpdump -s 0` writes them; libpcap's read of the payload dominates its cost.
#   snap:  frames stored with snaplen 128, as the agent's own captures and `tcpdump -s 128` write them (caplen =
#          min(len, 128), len = the original length): the agent never needs payload. The file is 1/7 the size
#          per packet, so it holds twice as many packets, for steadier steady-state figures.
# Each has a first-half file: the difference of the two costs is the steady state (no startup, no JIT warm-up).
say "== generating captures in $WORK"
generate "$WORK/whole.pcap" "$PACKETS" "$FLOWS" "$PPS" 42 > "$WORK/whole.info"
generate "$WORK/whole_half.pcap" $((PACKETS / 2)) "$FLOWS" "$PPS" 42 > "$WORK/whole_half.info"
generate "$WORK/snap.pcap" "$PACKETS_SNAP" "$FLOWS" "$PPS" 42 snaplen=128 > "$WORK/snap.info"
generate "$WORK/snap_half.pcap" $((PACKETS_SNAP / 2)) "$FLOWS" "$PPS" 42 snaplen=128 > "$WORK/snap_half.info"
generate "$WORK/tiny.pcap" 10 4 10 42 > "$WORK/tiny.info"
# Every flow twice, all within one second: the per-second table and the replay totals both hold 100k flows.
generate "$WORK/concurrent.pcap" $((2 * CONCURRENT_FLOWS)) "$CONCURRENT_FLOWS" $((2 * CONCURRENT_FLOWS)) 42 \
    round-robin > "$WORK/concurrent.info"
cat "$WORK/whole.info" "$WORK/snap.info" "$WORK/concurrent.info" >&2
# Warm the page cache so every tool reads the files from memory, not the disk.
cat "$WORK"/*.pcap > /dev/null

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
replay=(replay --json --router-mac "$ROUTER_MAC")
say "== replay: agent (default JVM, then operator JVM flags), $RUNS runs each"
# The JVM's startup: a 10-packet replay, subtracted from the full replays for the "startup subtracted" rows.
measure agent_tiny java -jar "$AGENT_JAR" "${replay[@]}" "$WORK/tiny.pcap"
# shellcheck disable=SC2086
measure agent_op_tiny java $OPERATOR_JVM -jar "$AGENT_JAR" "${replay[@]}" "$WORK/tiny.pcap"
for file in whole snap; do
    # The totals every other tool is checked against; they are checked against the generator's in the table step.
    java -jar "$AGENT_JAR" "${replay[@]}" "$WORK/$file.pcap" > "$WORK/agent_$file.json"
    measure "agent_$file" java -jar "$AGENT_JAR" "${replay[@]}" "$WORK/$file.pcap"
    measure "agent_${file}_half" java -jar "$AGENT_JAR" "${replay[@]}" "$WORK/${file}_half.pcap"
    # shellcheck disable=SC2086
    measure "agent_op_$file" java $OPERATOR_JVM -jar "$AGENT_JAR" "${replay[@]}" "$WORK/$file.pcap"
    # shellcheck disable=SC2086
    measure "agent_op_${file}_half" java $OPERATOR_JVM -jar "$AGENT_JAR" "${replay[@]}" "$WORK/${file}_half.pcap"
done

HAVE_TCPDUMP=
if command -v tcpdump >/dev/null; then
    say "== replay: tcpdump -r FILE -w /dev/null"
    for file in whole snap; do
        measure "tcpdump_$file" tcpdump -r "$WORK/$file.pcap" -w /dev/null
    done
    HAVE_TCPDUMP=1
else
    say "tcpdump is not installed: its row is skipped (apt-get install -y tcpdump)"
fi

# pmacctd_runs LABEL FILE [DIRECTIVE...] : RUNS replays of $WORK/FILE.pcap by pmacctd (print plugin, 5-tuple
# aggregation, JSON into $WORK/LABEL.N.json, plus the given configuration lines); appends "wall cpu maxrssKB" to
# $WORK/LABEL.runs (CPU includes the plugin, a child process) and checks every run's totals against the agent's.
# In savefile mode pmacctd sleeps 2 s before reading, then sleeps after each buffer it hands to its plugin: with
# the default buffer size that is ~40 s of wall time per million packets for ~2.5 s of CPU. Sleeping is wall time,
# not CPU, so PM_PARALLEL runs go at once (default: all RUNS; PM_PARALLEL=1 runs them one after the other).
pmacctd_runs() {
    local label=$1 file=$2; shift 2
    : > "$WORK/$label.runs"
    local run=1
    while [ "$run" -le "$RUNS" ]; do
        local pids=() first=$run
        while [ "$run" -le "$RUNS" ] && [ ${#pids[@]} -lt "$PM_PARALLEL" ]; do
            printf '%s\n' "daemonize: false" "pcap_savefile: $WORK/$file.pcap" \
                "aggregate: src_host,dst_host,src_port,dst_port,proto" "plugins: print" "print_output: json" \
                "print_output_file: $WORK/$label.$run.json" "print_refresh_time: 3600" "$@" > "$WORK/$label.$run.conf"
            rm -f "$WORK/$label.$run.json"
            /usr/bin/time -o "$WORK/$label.$run.time" -f '%e %U %S %M' pmacctd -f "$WORK/$label.$run.conf" \
                > /dev/null 2> "$WORK/$label.$run.err" &
            pids+=($!)
            run=$((run + 1))
        done
        local i
        for i in "${!pids[@]}"; do
            wait "${pids[$i]}" || { cat "$WORK/$label.$((first + i)).err" >&2; die "$label run $((first + i)) failed"; }
        done
    done
    for run in $(seq "$RUNS"); do
        awk '{ printf "%s %.3f %s\n", $1, $2 + $3, $4 }' "$WORK/$label.$run.time" >> "$WORK/$label.runs"
        # A run that did not count exactly what the agent counted measured something else: fail, loudly.
        python3 - "$WORK/$label.$run.json" "$WORK/agent_$file.json" <<'EOF' ||
import json, sys
packets = ip_bytes = 0
with open(sys.argv[1]) as f:
    for line in f:
        if line.strip():
            entry = json.loads(line)
            packets += entry["packets"]
            ip_bytes += entry["bytes"]
agent = json.load(open(sys.argv[2]))
if (packets, ip_bytes) != (agent["packets"], agent["ipBytes"]):
    sys.exit(f"pmacctd counted {packets} packets / {ip_bytes} IP bytes, the agent {agent['packets']} packets / "
             f"{agent['ipBytes']} IP bytes ({sys.argv[1]})")
EOF
            die "$label run $run: pmacctd's totals differ from the agent's (configuration: $WORK/$label.$run.conf)"
    done
    say "   $label: $(awk '{ printf "[wall %ss cpu %ss rss %sKB] ", $1, $2, $3 }' "$WORK/$label.runs")"
}

HAVE_PMACCT=
if command -v pmacctd >/dev/null; then
    say "== replay: pmacctd, print plugin, 5-tuple aggregation ($PM_PARALLEL runs at a time)"
    for file in whole snap; do
        # Default settings: what `apt-get install pmacct` and a minimal configuration give.
        pmacctd_runs "pmacctd_$file" "$file"
        # Tuned: the pipe between pmacctd's core and its plugin enlarged, as pmacct's docs advise for high rates.
        pmacctd_runs "pmacctd_tuned_$file" "$file" "plugin_pipe_size: 67108864" "plugin_buffer_size: 65536"
    done
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
export WORK PACKETS PACKETS_SNAP RUNS CONCURRENT_FLOWS OPERATOR_JVM HAVE_TCPDUMP HAVE_PMACCT ROUTER_MAC PM_PARALLEL
export CPU_MODEL JAVA_VERSION MEM_TOTAL NPROC KERNEL TCPDUMP_VERSION PMACCT_VERSION
CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
MEM_TOTAL=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
NPROC=$(nproc)
KERNEL=$(uname -r)
JAVA_VERSION=$(java -version 2>&1 | sed -n 2p)
TCPDUMP_VERSION=$( (tcpdump --version 2>&1 || true) | head -1)
PMACCT_VERSION=$( (pmacctd -V 2>&1 || true) | head -1)
python3 - <<'EOF'
import json, os, re, statistics

work = os.environ["WORK"]
GOAL_MPPS, GOAL_PMACCTD = 3.0, 8.0

def runs(label):
    with open(os.path.join(work, label + ".runs")) as f:
        return [[float(x) for x in line.split()] for line in f if line.strip()]

def med(label, column):
    return statistics.median(r[column] for r in runs(label))

def rate_of(packets, cpu):
    """Mpps per CPU-second; NaN when GNU time's 10 ms resolution rounds a (tiny, test-only) run down to 0."""
    return packets / cpu / 1e6 if cpu > 0 else float("nan")

def info(name):
    with open(os.path.join(work, name + ".info")) as f:
        return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", f.read())}

refs = []
if os.environ.get("HAVE_TCPDUMP"):
    refs.append(("tcpdump", "tcpdump", "`tcpdump -r FILE -w /dev/null`"))
if os.environ.get("HAVE_PMACCT"):
    refs.append(("pmacctd", "pmacctd default", "`pmacctd`, default settings"))
    refs.append(("pmacctd_tuned", "pmacctd tuned", "`pmacctd`, `plugin_pipe_size: 67108864`, `plugin_buffer_size: 65536`"))

print()
print("### Machine")
print()
print(f"- {os.environ['NPROC']} CPUs: {os.environ['CPU_MODEL']}; {os.environ['MEM_TOTAL']} RAM; Linux {os.environ['KERNEL']}")
print(f"- {os.environ['JAVA_VERSION']}; {os.environ['TCPDUMP_VERSION']}; {os.environ['PMACCT_VERSION']}")
print(f"- `scripts/bench.sh`, medians of {os.environ['RUNS']} runs; all tools measured in the same run, files in the page cache;"
      f" pmacctd runs {os.environ['PM_PARALLEL']} at a time (it sleeps in savefile mode; CPU time is per process)")
print(f"- operator JVM flags: `{os.environ['OPERATOR_JVM']}`")

goal_rows = []
files = (("whole", "frames stored whole"), ("snap", "snaplen 128 (caplen = min(len, 128), len = original length)"))
for file, how in files:
    generated = info(file)
    packets, half = generated["packets"], info(file + "_half")["packets"]
    # The agent must have metered the whole file exactly: compare with what the generator wrote.
    report = json.load(open(os.path.join(work, f"agent_{file}.json")))
    assert report["packets"] == packets and report["wireBytes"] == generated["wireBytes"], \
        f"{file}: agent replay totals {report['packets']} / {report['wireBytes']} differ from the generated file"

    ref_rate = {}
    for label, short, _ in refs:
        ref_rate[short] = rate_of(packets, med(f"{label}_{file}", 1))

    print()
    print(f"### Replay of {packets:,} Ethernet packets, {how}: {generated['storedBytes'] / 1e6:,.0f} MB file, "
          f"{generated['wireBytes'] / 1e6:,.0f} MB on the wire, IPv4/IPv6 TCP/UDP, {len(report['flows']):,} flows")
    print()
    print("| command | CPU s (user+sys) | wall s | Mpps per CPU-second | "
          + " | ".join(f"agent ÷ {short}" for _, short, _ in refs) + " |")
    print("|---|---:|---:|---:|" + "---:|" * len(refs))
    for jvm, jvm_name in (("agent", "default JVM"), ("agent_op", "operator JVM flags")):
        full_cpu, full_wall = med(f"{jvm}_{file}", 1), med(f"{jvm}_{file}", 0)
        tiny_cpu, tiny_wall = med(f"{jvm}_tiny", 1), med(f"{jvm}_tiny", 0)
        half_cpu, half_wall = med(f"{jvm}_{file}_half", 1), med(f"{jvm}_{file}_half", 0)
        rows = (
            (f"agent `replay --json`, {jvm_name}, JVM startup included", "startup included",
             full_cpu, full_wall, packets),
            (f"same, JVM startup subtracted (a 10-packet replay: {tiny_cpu:.2f} CPU s)", "startup subtracted",
             full_cpu - tiny_cpu, full_wall - tiny_wall, packets),
            (f"same, steady state (file minus its first {half:,} packets)", "steady state",
             full_cpu - half_cpu, full_wall - half_wall, packets - half),
        )
        for text, short, cpu, wall, counted in rows:
            rate = rate_of(counted, cpu)
            ratios = [rate / ref_rate[s] for _, s, _ in refs]
            print(f"| {text} | {cpu:.2f} | {wall:.2f} | **{rate:.2f}** | "
                  + " | ".join("n/a" if r != r else f"{r:.2f}x" for r in ratios) + " |")
            goal_rows.append((file, f"{jvm_name}, {short}", rate,
                              {s: rate / ref_rate[s] for _, s, _ in refs}))
    for label, short, text in refs:
        cpu, wall = med(f"{label}_{file}", 1), med(f"{label}_{file}", 0)
        print(f"| {text} | {cpu:.2f} | {wall:.2f} | {ref_rate[short]:.2f} |" + " |" * len(refs))
    if os.environ.get("HAVE_PMACCT"):
        print()
        print(f"pmacctd's output was checked in every run, default and tuned: {report['packets']:,} packets and "
              f"{report['ipBytes']:,} IP bytes, as the agent's.")

print()
print(f"### Goals: >= {GOAL_MPPS:g} Mpps per CPU-second, >= {GOAL_PMACCTD:g}x pmacctd")
print()
pm = [s for _, s, _ in refs if s.startswith("pmacctd")]
print(f"| file | agent row | Mpps per CPU-second | >= {GOAL_MPPS:g} | "
      + " | ".join(f"x {s} | >= {GOAL_PMACCTD:g}x" for s in pm) + " |")
print("|---|---|---:|---|" + "---:|---|" * len(pm))
for file, row, rate, ratios in goal_rows:
    met = lambda ok: "met" if ok else "missed"
    print(f"| {file} | {row} | {rate:.2f} | {met(rate >= GOAL_MPPS)} | "
          + " | ".join(f"{ratios[s]:.2f}x | {met(ratios[s] >= GOAL_PMACCTD)}" for s in pm) + " |")

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
