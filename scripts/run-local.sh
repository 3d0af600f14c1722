#!/usr/bin/env bash
# Runs the meter on this machine: the collector on SQLite (./data, http://127.0.0.1:7470) and the agent on this
# machine's own interfaces — the one carrying the default route (your "uplink") and loopback — shipping every
# second to it. Builds the jars first if they are missing. Capturing needs root or CAP_NET_RAW (sudo is used when
# not root). Ctrl-C stops both cleanly: the agent flushes its partial second, the collector stores what it got.
#
# While it runs:   curl -s 'http://127.0.0.1:7470/v1/totals?by=interface'
#                  curl -N  http://127.0.0.1:7470/v1/live
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-7470}
DATA=${DATA:-./data}
agent_jar=agent/target/esim-meter-agent.jar
collector_jar=collector/target/esim-meter-collector.jar
if [ ! -f "$agent_jar" ] || [ ! -f "$collector_jar" ]; then
    mvn -B -q package -DskipTests
fi

work=$(mktemp -d)
collector_pid=""
agent_pid=""
stop() {
    [ -n "$agent_pid" ] && kill -TERM "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null || true
    [ -n "$collector_pid" ] && kill -TERM "$collector_pid" 2>/dev/null && wait "$collector_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap stop EXIT
trap 'exit 130' INT TERM

agent_id=$(hostname -s 2>/dev/null || echo local)
# A fresh token per run: both sides read it from the environment, never from a file on disk.
ESIM_METER_TOKEN=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
export ESIM_METER_TOKEN

cat > "$work/collector.yaml" <<YAML
listen:
  address: 127.0.0.1
  port: $PORT
dataDirectory: $DATA
agents:
  $agent_id:
    token: \${ESIM_METER_TOKEN}
YAML

uplink=$( (ip -o route show default 2>/dev/null || true) | awk '{for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit }}')
{
    echo "interfaces:"
    if [ -n "$uplink" ]; then
        printf '  - name: %s\n    profile: uplink\n' "$uplink"
    fi
    printf '  - name: lo\n    profile: loopback\n'
    printf 'collector:\n  url: "http://127.0.0.1:%s"\n  agentId: %s\n  tokenEnv: ESIM_METER_TOKEN\n' "$PORT" "$agent_id"
} > "$work/agent.yaml"

java -jar "$collector_jar" run --config "$work/collector.yaml" 2> >(tee "$work/collector.log" >&2) &
collector_pid=$!
for _ in $(seq 100); do
    grep -q "listening on" "$work/collector.log" 2>/dev/null && break
    kill -0 "$collector_pid" 2>/dev/null || { echo "esim-meter: the collector did not start" >&2; exit 1; }
    sleep 0.1
done
grep -q "listening on" "$work/collector.log" || { echo "esim-meter: the collector did not start in 10 s" >&2; exit 1; }

echo "esim-meter: agent '$agent_id' metering ${uplink:+$uplink and }lo -> http://127.0.0.1:$PORT (data in $DATA)" >&2
sudo_if_needed=()
if [ "$(id -u)" -ne 0 ]; then
    sudo_if_needed=(sudo --preserve-env=ESIM_METER_TOKEN)
fi
"${sudo_if_needed[@]}" java -jar "$agent_jar" run --config "$work/agent.yaml" &
agent_pid=$!
wait "$agent_pid"
