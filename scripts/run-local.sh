#!/usr/bin/env bash
# Runs the agent on this machine's own interfaces: the one carrying the default route (your "uplink") and
# loopback, printing one JSON line per interface and second. Builds the jar first if it is missing.
# Capturing needs root or CAP_NET_RAW; Ctrl-C stops cleanly (the partial second is flushed).
set -euo pipefail
cd "$(dirname "$0")/.."

jar=agent/target/esim-meter-agent.jar
if [ ! -f "$jar" ]; then
    mvn -B -q package -DskipTests
fi

uplink=$(ip -o route show default 2>/dev/null | awk '{for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit }}')
config=$(mktemp --suffix=.yaml)
trap 'rm -f "$config"' EXIT
{
    echo "interfaces:"
    if [ -n "$uplink" ]; then
        printf '  - name: %s\n    profile: uplink\n' "$uplink"
    fi
    printf '  - name: lo\n    profile: loopback\n'
} > "$config"
echo "esim-meter: metering ${uplink:+$uplink and }lo (config $config)" >&2

sudo_if_needed=()
if [ "$(id -u)" -ne 0 ]; then
    sudo_if_needed=(sudo)
fi
"${sudo_if_needed[@]}" java -jar "$jar" run --config "$config"
