#!/usr/bin/env bash
# Installs esim-meter the usual way for a systemd machine:
#   $PREFIX/lib/esim-meter/esim-meter-agent.jar, esim-meter-collector.jar     the daemons
#   $PREFIX/lib/esim-meter/mmcli-active-sim                                  profile discovery helper (ModemManager)
#   $SYSCONFDIR/esim-meter/agent.yaml, collector.yaml, agent.env, collector.env   configuration (an existing file is
#                                                                              never overwritten)
#   $UNITDIR/esim-meter-agent.service, esim-meter-collector.service          the units
#   $PREFIX/lib/sysusers.d/esim-meter.conf                                   the system user both run as
#   $PREFIX/share/doc/esim-meter/README.md
# It builds nothing unless asked (--build runs `mvn -B -q package -DskipTests`); by default it takes the jars that
# `mvn package` left in agent/target and collector/target, or AGENT_JAR and COLLECTOR_JAR.
#
# Usage: scripts/install.sh [--build]
# Environment (for packagers): DESTDIR (staging root; then no user is created, no ownership set and systemd is not
# told), PREFIX (/usr), SYSCONFDIR (/etc), UNITDIR (/lib/systemd/system for PREFIX=/usr, else
# $PREFIX/lib/systemd/system), AGENT_JAR, COLLECTOR_JAR.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "install.sh: $*" >&2; exit 2; }
say() { echo "install.sh: $*"; }

build=
for arg in "$@"; do
    case "$arg" in
        --build) build=1 ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) die "unknown argument: $arg (expected: --build)" ;;
    esac
done

DESTDIR=${DESTDIR:-}
PREFIX=${PREFIX:-/usr}
SYSCONFDIR=${SYSCONFDIR:-/etc}
if [ -z "${UNITDIR:-}" ]; then
    # Debian's systemd reads /lib/systemd/system (and /usr/lib, /usr/local/lib); keep local installs under PREFIX.
    if [ "$PREFIX" = /usr ]; then UNITDIR=/lib/systemd/system; else UNITDIR=$PREFIX/lib/systemd/system; fi
fi
for dir in "$PREFIX" "$SYSCONFDIR" "$UNITDIR"; do
    case "$dir" in /*) ;; *) die "PREFIX, SYSCONFDIR and UNITDIR must be absolute paths (got: $dir)" ;; esac
done
AGENT_JAR=${AGENT_JAR:-agent/target/esim-meter-agent.jar}
COLLECTOR_JAR=${COLLECTOR_JAR:-collector/target/esim-meter-collector.jar}

if [ -z "$DESTDIR" ] && [ "$(id -u)" -ne 0 ]; then
    die "installing into $PREFIX and $SYSCONFDIR needs root (or DESTDIR=/some/staging/root)"
fi
if [ -n "$build" ]; then
    command -v mvn >/dev/null || die "--build needs maven (mvn) on the PATH"
    mvn -B -q package -DskipTests
fi
for jar in "$AGENT_JAR" "$COLLECTOR_JAR"; do
    [ -f "$jar" ] || die "$jar : not found (expected: the shaded jar; build it with 'mvn -B package -DskipTests' or run with --build)"
done

libdir=$PREFIX/lib/esim-meter
confdir=$SYSCONFDIR/esim-meter
sysusersdir=$PREFIX/lib/sysusers.d
docdir=$PREFIX/share/doc/esim-meter

install -d -m 0755 "$DESTDIR$libdir" "$DESTDIR$UNITDIR" "$DESTDIR$sysusersdir" "$DESTDIR$docdir" "$DESTDIR$confdir"
install -m 0644 "$AGENT_JAR" "$DESTDIR$libdir/esim-meter-agent.jar"
install -m 0644 "$COLLECTOR_JAR" "$DESTDIR$libdir/esim-meter-collector.jar"
# The agent's discovery command for routers with two SIM slots or several modems (see agent.yaml).
install -m 0755 scripts/mmcli-active-sim "$DESTDIR$libdir/mmcli-active-sim"
install -m 0644 systemd/esim-meter.sysusers "$DESTDIR$sysusersdir/esim-meter.conf"
install -m 0644 README.md "$DESTDIR$docdir/README.md"
# The units name the default layout; another PREFIX or SYSCONFDIR is written into them.
for unit in esim-meter-agent.service esim-meter-collector.service; do
    sed -e "s|/usr/lib/esim-meter/|$libdir/|g" -e "s|/etc/esim-meter/|$confdir/|g" \
        -e "s|/usr/share/doc/esim-meter/|$docdir/|g" "systemd/$unit" > "$DESTDIR$UNITDIR/$unit.tmp"
    chmod 0644 "$DESTDIR$UNITDIR/$unit.tmp"
    mv "$DESTDIR$UNITDIR/$unit.tmp" "$DESTDIR$UNITDIR/$unit"
done
say "installed $libdir/{esim-meter-agent.jar,esim-meter-collector.jar,mmcli-active-sim}, $UNITDIR/esim-meter-{agent,collector}.service, $sysusersdir/esim-meter.conf"

# Configuration: the annotated examples, unless the administrator's file is there. Mode 0640 (group esim-meter
# once it exists): the files may hold tokens. The .env files hold the secrets systemd passes as environment.
installed=()
kept=()
config() {
    local source=$1 name=$2 mode=$3
    if [ -e "$DESTDIR$confdir/$name" ]; then
        kept+=("$confdir/$name")
    else
        install -m "$mode" "$source" "$DESTDIR$confdir/$name"
        installed+=("$confdir/$name")
    fi
}
config config/agent.yaml agent.yaml 0640
config config/collector.yaml collector.yaml 0640
env_file=$(mktemp)
trap 'rm -f "$env_file"' EXIT
printf '# Secrets for esim-meter-agent.service (read by systemd as root, passed as environment).\n# The token agent.yaml names with collector.tokenEnv:\n#ESIM_METER_TOKEN=\n' > "$env_file"
config "$env_file" agent.env 0600
printf '# Secrets for esim-meter-collector.service (read by systemd as root, passed as environment).\n# One line per ${NAME} in collector.yaml, e.g.:\n#ESIM_METER_TOKEN_ROUTER_BERLIN=\n#ESIM_METER_READ_TOKEN=\n' > "$env_file"
config "$env_file" collector.env 0600
[ ${#installed[@]} -eq 0 ] || say "installed ${installed[*]}"
[ ${#kept[@]} -eq 0 ] || say "kept ${kept[*]} (existing; the examples are in config/ of the source tree)"

if [ -z "$DESTDIR" ]; then
    if ! getent passwd esim-meter >/dev/null; then
        if command -v systemd-sysusers >/dev/null; then
            systemd-sysusers "$sysusersdir/esim-meter.conf"
        else
            useradd --system --user-group --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin \
                --comment "esim-meter data-usage meter" esim-meter
        fi
        say "created the system user esim-meter"
    fi
    for name in agent.yaml collector.yaml; do
        # Only the files this run created: an administrator's own ownership and mode stay as they are.
        case " ${installed[*]} " in *" $confdir/$name "*) chgrp esim-meter "$confdir/$name" ;; esac
    done
    if [ -d /run/systemd/system ]; then
        systemctl daemon-reload
    fi
    [ -x /usr/bin/java ] || say "warning: /usr/bin/java is missing; the units run it (Debian: apt-get install openjdk-17-jre-headless)"
    if ! ldconfig -p 2>/dev/null | grep -q 'libpcap\.so'; then
        say "warning: libpcap is missing; the agent captures through it (Debian: apt-get install libpcap0.8)"
    fi
fi

cat <<NEXT

Next steps:
  1. Edit $confdir/agent.yaml: the interfaces to meter and their eSIM profiles, and the collector section (url,
     agentId, tokenEnv); put the token in $confdir/agent.env. Check it:
       java -jar $libdir/esim-meter-agent.jar check-config $confdir/agent.yaml
  2. On the machine that stores the data, edit $confdir/collector.yaml (listen address, agents and their tokens,
     secrets in $confdir/collector.env) and check it:
       java -jar $libdir/esim-meter-collector.jar check-config $confdir/collector.yaml
  3. Start them now and at every boot:
       systemctl enable --now esim-meter-collector     # where the data is stored
       systemctl enable --now esim-meter-agent         # on each router
  4. Watch them: systemctl status esim-meter-agent; journalctl -u esim-meter-agent -f
NEXT
