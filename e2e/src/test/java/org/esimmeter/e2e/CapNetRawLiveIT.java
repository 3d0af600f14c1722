package org.esimmeter.e2e;

import static org.esimmeter.agent.capture.LiveUplinks.INTERFACES;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.esimmeter.agent.capture.LiveNetwork;
import org.esimmeter.agent.capture.LiveNetwork.Counters;
import org.esimmeter.agent.capture.LiveUplinks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What esim-meter-agent.service grants is enough, and needed: the agent jar run as {@code nobody} with CAP_NET_RAW
 * as its only capability (ambient, and the whole bounding set), as {@code setpriv} sets it up the way systemd's
 * {@code User=}, {@code AmbientCapabilities=} and {@code CapabilityBoundingSet=} do, captures on an Ethernet uplink
 * and on a raw-IP one (two handles restricted by pcap_setdirection) and counts exactly what the kernel counted;
 * without the capability it exits 2 with one line that says so.
 */
class CapNetRawLiveIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> NOBODY = List.of("setpriv", "--reuid=nobody", "--regid=nogroup",
        "--clear-groups");

    @TempDir
    Path dir;

    @Test
    void shouldCaptureExactlyAsNobodyWithOnlyCapNetRaw() throws Exception {
        LiveNetwork.requireRoot("CapNetRawLiveIT");
        LiveNetwork.requireTools("ip", "ss", "socat", "iperf3", "ping", "nc", "setpriv");
        final Path agentJar = Jars.agent();
        final Path config = configReadableByNobody();
        LiveNetwork.deleteStaleNamespaces();
        try (LiveNetwork network = new LiveNetwork(dir)) {
            final LiveUplinks uplinks = new LiveUplinks(network);
            uplinks.build();
            final List<String> command = new ArrayList<>(NOBODY);
            command.addAll(List.of("--inh-caps=-all,+net_raw", "--ambient-caps=-all,+net_raw",
                "--bounding-set=-all,+net_raw"));
            command.addAll(Jars.command(agentJar, "run", "--config", config.toString()));
            final Process agent = network.start("agent", network.router, command.toArray(String[]::new));
            LiveNetwork.await("the agent to capture on up0 and wwan0", Duration.ofSeconds(30), () -> {
                final String log = network.read(network.err("agent"));
                return log.contains("capturing on up0") && log.contains("capturing on wwan0") || !agent.isAlive();
            }, () -> network.read(network.err("agent")));
            assertTrue(agent.isAlive(), "the agent exited: " + network.read(network.err("agent")));
            assertEquals(List.of("Uid:\t65534\t65534\t65534\t65534", "CapEff:\t0000000000002000",
                "CapBnd:\t0000000000002000", "CapAmb:\t0000000000002000"), status(agent.pid()),
                "the JVM runs as nobody with cap_net_raw (bit 13) only");

            final Map<String, Counters> before = LiveNetwork.awaitQuiet(network.router, LiveRouter.QUIET_FOR,
                LiveRouter.QUIET_TIMEOUT);
            uplinks.generateTraffic();
            final Map<String, Counters> after = LiveNetwork.awaitQuiet(network.router, LiveRouter.QUIET_FOR,
                LiveRouter.QUIET_TIMEOUT);
            LiveNetwork.signal(agent, "TERM");
            assertEquals(0, network.awaitExit(agent, "agent", Duration.ofSeconds(15)), "exit status after SIGTERM; " +
                "log: " + network.read(network.err("agent")));

            final List<JsonNode> lines = new ArrayList<>();
            for (final String line : Files.readAllLines(network.out("agent"))) {
                lines.add(JSON.readTree(line));
            }
            for (final String iface : INTERFACES) {
                final List<JsonNode> own = lines.stream()
                    .filter(line -> iface.equals(line.path("interface").asText())).toList();
                assertFalse(own.isEmpty(), iface + " : no per-second line");
                final Counters kernel = after.get(iface).minus(before.get(iface));
                assertEquals(kernel, new Counters(sum(own, "down", "packets"), sum(own, "down", "wireBytes"),
                    sum(own, "up", "packets"), sum(own, "up", "wireBytes")),
                    iface + " : the agent's lines (down as rx, up as tx) vs the kernel counters");
                assertTrue(kernel.txPackets() >= 40 && kernel.rxPackets() >= 40, iface + " : too little traffic " +
                    kernel);
                assertEquals(0, own.get(own.size() - 1).path("pcap").path("dropped").asLong(), iface + " drops");
            }
        }
    }

    @Test
    void shouldExitTwoWithOneLineWithoutTheCapability() throws Exception {
        LiveNetwork.requireRoot("CapNetRawLiveIT");
        LiveNetwork.requireTools("ip", "setpriv");
        final Path agentJar = Jars.agent();
        final Path config = configReadableByNobody();
        LiveNetwork.deleteStaleNamespaces();
        try (LiveNetwork network = new LiveNetwork(dir)) {
            network.addNamespaces();
            LiveNetwork.run("ip", "link", "add", "up0", "netns", network.router, "type", "veth", "peer", "name",
                "down0", "netns", network.internet);
            LiveNetwork.run("ip", "netns", "exec", network.router, "ip", "tuntap", "add", "wwan0", "mode", "tun");
            final List<String> command = new ArrayList<>(NOBODY);
            command.addAll(List.of("--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all"));
            command.addAll(Jars.command(agentJar, "run", "--config", config.toString()));
            final Process agent = network.start("agent", network.router, command.toArray(String[]::new));

            assertEquals(2, network.awaitExit(agent, "agent", Duration.ofSeconds(30)), "exit status");
            // One line says what is wrong; the only other line is the start-up INFO line naming the configuration.
            final List<String> problems = network.read(network.err("agent")).lines()
                .filter(line -> !line.matches("\\S+ INFO AgentMain - esim-meter-agent .* starting with .*")).toList();
            assertEquals(List.of("esim-meter-agent: up0 : no permission to capture (socket: Operation not permitted): " +
                "run as root or with the capability CAP_NET_RAW, as esim-meter-agent.service grants it"), problems);
            assertEquals("", network.read(network.out("agent")));
        }
    }

    /** up0 and wwan0, lines on stdout; the directory and file readable by nobody (a @TempDir is root's, 0700). */
    private Path configReadableByNobody() throws Exception {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        final Path config = Files.writeString(dir.resolve("agent.yaml"), String.join("\n",
            "interfaces:", "  - name: up0", "    profile: lan-uplink", "  - name: wwan0", "    profile: esim-test",
            "output:", "  jsonLines: \"-\"", ""));
        Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-r--r--"));
        return config;
    }

    /** The uid and capability lines of /proc/PID/status that matter here. */
    private static List<String> status(final long pid) throws Exception {
        return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream()
            .filter(line -> line.startsWith("Uid:") || line.startsWith("CapEff:") || line.startsWith("CapBnd:") ||
                line.startsWith("CapAmb:"))
            .toList();
    }

    private static long sum(final List<JsonNode> lines, final String direction, final String field) {
        return lines.stream().mapToLong(line -> line.path("total").path(direction).path(field).asLong()).sum();
    }
}
