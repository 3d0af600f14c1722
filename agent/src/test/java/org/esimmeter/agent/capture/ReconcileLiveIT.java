package org.esimmeter.agent.capture;

import static org.esimmeter.agent.capture.LiveNetwork.await;
import static org.esimmeter.agent.capture.LiveNetwork.inNamespace;
import static org.esimmeter.agent.capture.LiveUplinks.INTERFACES;
import static org.esimmeter.agent.capture.LiveUplinks.INTERNET_UP0;
import static org.esimmeter.agent.capture.LiveUplinks.INTERNET_WWAN0;
import static org.esimmeter.agent.capture.LiveUplinks.ROUTER_UP0;
import static org.esimmeter.agent.capture.LiveUplinks.ROUTER_WWAN0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.esimmeter.agent.capture.LiveNetwork.Counters;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reconciliation with the kernel's counters, live: the router's Ethernet uplink {@code up0} (veth) and raw-IP uplink
 * {@code wwan0} (TUN, two handles) of {@link LiveUplinks}. First the agent captures with the filter {@code not udp},
 * which hides UDP from it as flow offload would, while UDP datagrams of known sizes and pings cross both links both
 * ways: the captured traffic must be the pings exactly, the uncaptured the UDP exactly (on up0 also the tunnel that
 * carries wwan0, UDP as well), and the two together the kernel's counters. Then an agent without filter during a
 * continuous ping: uncaptured exactly 0.
 * <p>
 * Needs root (CI runs as root); elsewhere {@code -Desimmeter.skipPrivileged=true} skips it.
 */
class ReconcileLiveIT {
    private static final Duration QUIET_FOR = Duration.ofMillis(400);
    private static final Duration QUIET_TIMEOUT = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int ETHERNET = 14;
    private static final int TUNNEL = LiveUplinks.TUNNEL_OVERHEAD; // Ethernet + IPv4 + UDP around a wwan0 packet

    // The filtered run's traffic: pings (ICMP, captured) and UDP datagrams (hidden by the filter).
    private static final int UP0_PINGS = 10;
    private static final int UP0_PING_SIZE = 100;
    private static final int UP0_UDP_OUT = 20;
    private static final int UP0_UDP_OUT_PAYLOAD = 500;
    private static final int UP0_UDP_IN = 15;
    private static final int UP0_UDP_IN_PAYLOAD = 300;
    private static final int WWAN0_PINGS = 10;
    private static final int WWAN0_PING_SIZE = 200;
    private static final int WWAN0_UDP_OUT = 12;
    private static final int WWAN0_UDP_OUT_PAYLOAD = 400;
    private static final int WWAN0_UDP_IN = 8;
    private static final int WWAN0_UDP_IN_PAYLOAD = 600;

    @TempDir
    static Path dir;

    private static LiveNetwork network;
    private static final Map<String, Counters> filteredKernel = new TreeMap<>();
    private static final Map<String, Counters> plainKernel = new TreeMap<>();
    private static List<JsonNode> filteredLines;
    private static List<JsonNode> plainLines;
    private static String filteredLog;

    @BeforeAll
    static void runTheAgentWithAndWithoutAFilter() throws Exception {
        LiveNetwork.requireRoot("ReconcileLiveIT");
        final Path agentJar = Path.of(System.getProperty("agent.jar", "target/esim-meter-agent.jar")).toAbsolutePath();
        assertTrue(Files.isRegularFile(agentJar), "agent.jar : " + agentJar + " (expected: the shaded agent jar)");
        LiveNetwork.requireTools("ip", "socat", "iperf3", "ping", "ss");

        LiveNetwork.deleteStaleNamespaces();
        network = new LiveNetwork(dir);
        final LiveUplinks uplinks = new LiveUplinks(network);
        uplinks.build();
        listen("udp-up0-in", network.internet, INTERNET_UP0, 9999);
        listen("udp-up0-router", network.router, ROUTER_UP0, 9998);
        listen("udp-wwan0-in", network.internet, INTERNET_WWAN0, 9997);
        listen("udp-wwan0-router", network.router, ROUTER_WWAN0, 9996);
        LiveNetwork.awaitQuiet(network.router, QUIET_FOR, QUIET_TIMEOUT);

        filteredLines = run("filtered", "not udp", filteredKernel, () -> {
            ping(network.router, INTERNET_UP0, UP0_PINGS, UP0_PING_SIZE, "0.01");
            send(network.router, INTERNET_UP0, 9999, UP0_UDP_OUT, UP0_UDP_OUT_PAYLOAD);
            send(network.internet, ROUTER_UP0, 9998, UP0_UDP_IN, UP0_UDP_IN_PAYLOAD);
            ping(network.router, INTERNET_WWAN0, WWAN0_PINGS, WWAN0_PING_SIZE, "0.01");
            send(network.router, INTERNET_WWAN0, 9997, WWAN0_UDP_OUT, WWAN0_UDP_OUT_PAYLOAD);
            send(network.internet, ROUTER_WWAN0, 9996, WWAN0_UDP_IN, WWAN0_UDP_IN_PAYLOAD);
        }, agentJar, uplinks);
        filteredLog = network.read(network.err("agent"));
        plainLines = run("plain", "", plainKernel, () -> {
            // A continuous ping over both links for 3 s.
            final Process up0 = network.start("ping-up0", network.router, "ping", "-q", "-c", "60", "-i", "0.05",
                "-s", "1000", INTERNET_UP0);
            ping(network.router, INTERNET_WWAN0, 60, 1000, "0.05");
            assertEquals(0, network.awaitExit(up0, "ping-up0", Duration.ofSeconds(15)), "ping over up0");
        }, agentJar, uplinks);
    }

    @AfterAll
    static void tearDown() {
        if (network != null) {
            network.close();
        }
    }

    /** Starts the agent with {@code filter} on both links, runs {@code traffic}, stops it; its per-second lines. */
    private static List<JsonNode> run(final String name, final String filter, final Map<String, Counters> kernel,
        final Runnable traffic, final Path agentJar, final LiveUplinks uplinks) throws IOException {
        final Path lines = dir.resolve(name + ".jsonl");
        final Path config = Files.writeString(dir.resolve(name + ".yaml"), String.join("\n",
            "capture:",
            "  filter: \"" + filter + "\"",
            "interfaces:",
            "  - name: up0",
            "    profile: lan-uplink",
            "  - name: wwan0",
            "    profile: esim-test",
            "output:",
            "  jsonLines: " + lines,
            ""));
        final Process agent = uplinks.startAgent(agentJar, config);
        final Map<String, Counters> before = LiveNetwork.awaitQuiet(network.router, QUIET_FOR, QUIET_TIMEOUT);
        traffic.run();
        final Map<String, Counters> after = LiveNetwork.awaitQuiet(network.router, QUIET_FOR, QUIET_TIMEOUT);
        LiveNetwork.signal(agent, "TERM");
        assertEquals(0, network.awaitExit(agent, "agent", Duration.ofSeconds(15)), "agent exit status; stderr: " +
            network.read(network.err("agent")));
        assertEquals(after, LiveNetwork.counters(network.router), "the links moved after the traffic");
        for (final String iface : INTERFACES) {
            kernel.put(iface, after.get(iface).minus(before.get(iface)));
        }
        final List<JsonNode> parsed = new ArrayList<>();
        for (final String line : Files.readAllLines(lines)) {
            parsed.add(JSON.readTree(line));
        }
        return parsed;
    }

    private static void listen(final String name, final String namespace, final String address, final int port) {
        network.start(name, namespace, "socat", "-u", "UDP-RECV:" + port + ",bind=" + address, "OPEN:/dev/null");
        await(name + " to listen", Duration.ofSeconds(10),
            () -> !inNamespace(namespace, "ss", "-Hlun", "sport", "=", ":" + port).isBlank(),
            () -> network.read(network.err(name)));
    }

    private static void ping(final String namespace, final String address, final int count, final int size,
        final String interval) {
        inNamespace(namespace, "ping", "-q", "-c", String.valueOf(count), "-i", interval, "-s", String.valueOf(size),
            address);
    }

    /** {@code count} datagrams of exactly {@code payload} bytes: socat reads the file in blocks of that size. */
    private static void send(final String namespace, final String address, final int port, final int count,
        final int payload) {
        final Path file = dir.resolve("datagrams-" + count + "x" + payload);
        try {
            Files.write(file, new byte[count * payload]);
        } catch (final IOException e) {
            throw new IllegalStateException(e);
        }
        inNamespace(namespace, "socat", "-u", "-b", String.valueOf(payload), "OPEN:" + file,
            "UDP-SENDTO:" + address + ":" + port);
    }

    @Test
    void capturedIsThePingsAndUncapturedTheUdpExactly() {
        // up0: the pings captured; hidden: the datagrams and the tunnel carrying every wwan0 packet, 42 bytes more.
        final int up0Ping = ETHERNET + 28 + UP0_PING_SIZE;
        final int wwan0Ping = 28 + WWAN0_PING_SIZE;
        assertEquals(longs(UP0_PINGS, (long) UP0_PINGS * up0Ping, UP0_PINGS, (long) UP0_PINGS * up0Ping),
            counters(filteredLines, "up0", "total"), "up0 captured (up packets, bytes, down packets, bytes)");
        final long up0HiddenUp = UP0_UDP_OUT + WWAN0_PINGS + WWAN0_UDP_OUT;
        final long up0HiddenUpBytes = (long) UP0_UDP_OUT * (ETHERNET + 28 + UP0_UDP_OUT_PAYLOAD) +
            (long) WWAN0_PINGS * (TUNNEL + wwan0Ping) + (long) WWAN0_UDP_OUT * (TUNNEL + 28 + WWAN0_UDP_OUT_PAYLOAD);
        final long up0HiddenDown = UP0_UDP_IN + WWAN0_PINGS + WWAN0_UDP_IN;
        final long up0HiddenDownBytes = (long) UP0_UDP_IN * (ETHERNET + 28 + UP0_UDP_IN_PAYLOAD) +
            (long) WWAN0_PINGS * (TUNNEL + wwan0Ping) + (long) WWAN0_UDP_IN * (TUNNEL + 28 + WWAN0_UDP_IN_PAYLOAD);
        assertEquals(longs(up0HiddenUp, up0HiddenUpBytes, up0HiddenDown, up0HiddenDownBytes),
            counters(filteredLines, "up0", "uncaptured"), "up0 uncaptured");
        assertEquals(longs(up0HiddenUpBytes - ETHERNET * up0HiddenUp, up0HiddenDownBytes - ETHERNET * up0HiddenDown),
            ipBytes(filteredLines, "up0", "uncaptured"), "up0 uncaptured IP bytes: 14 bytes of Ethernet off each");

        // wwan0 (raw IP, no link header): the pings captured, the datagrams hidden.
        assertEquals(longs(WWAN0_PINGS, (long) WWAN0_PINGS * wwan0Ping, WWAN0_PINGS, (long) WWAN0_PINGS * wwan0Ping),
            counters(filteredLines, "wwan0", "total"), "wwan0 captured");
        final long wwan0UpBytes = (long) WWAN0_UDP_OUT * (28 + WWAN0_UDP_OUT_PAYLOAD);
        final long wwan0DownBytes = (long) WWAN0_UDP_IN * (28 + WWAN0_UDP_IN_PAYLOAD);
        assertEquals(longs(WWAN0_UDP_OUT, wwan0UpBytes, WWAN0_UDP_IN, wwan0DownBytes),
            counters(filteredLines, "wwan0", "uncaptured"), "wwan0 uncaptured");
        assertEquals(longs(wwan0UpBytes, wwan0DownBytes), ipBytes(filteredLines, "wwan0", "uncaptured"),
            "wwan0 uncaptured IP bytes");
    }

    @Test
    void capturedPlusUncapturedEqualTheKernelCounters() {
        for (final String iface : INTERFACES) {
            final List<Long> total = counters(filteredLines, iface, "total");
            final List<Long> uncaptured = counters(filteredLines, iface, "uncaptured");
            final Counters kernel = filteredKernel.get(iface);
            assertEquals(longs(kernel.txPackets(), kernel.txBytes(), kernel.rxPackets(), kernel.rxBytes()),
                longs(total.get(0) + uncaptured.get(0), total.get(1) + uncaptured.get(1),
                    total.get(2) + uncaptured.get(2), total.get(3) + uncaptured.get(3)),
                iface + " : captured + uncaptured (up as tx, down as rx) vs the kernel");
        }
    }

    @Test
    void uncapturedIsZeroWithoutAFilter() {
        for (final String iface : INTERFACES) {
            final Counters kernel = plainKernel.get(iface);
            assertTrue(kernel.txPackets() >= 60 && kernel.rxPackets() >= 60, iface + " : " + kernel);
            assertEquals(longs(0, 0, 0, 0), counters(plainLines, iface, "uncaptured"), iface + " : uncaptured");
            assertEquals(longs(kernel.txPackets(), kernel.txBytes(), kernel.rxPackets(), kernel.rxBytes()),
                counters(plainLines, iface, "total"), iface + " : captured vs the kernel");
        }
    }

    @Test
    void theAgentSaysItReconcilesAndThatTheFilterCountsAsUncaptured() {
        assertTrue(filteredLog.contains("reconciled with kernel counters: what the filter leaves out counts as " +
            "uncaptured"), filteredLog);
        assertFalse(filteredLog.contains("WARN"), filteredLog);
    }

    @Test
    void everyLineCarriesUncapturedTrafficAndItsProfile() {
        for (final List<JsonNode> lines : List.of(filteredLines, plainLines)) {
            assertFalse(lines.isEmpty());
            for (final JsonNode line : lines) {
                assertTrue(line.has("uncaptured"), line.toString());
                assertEquals(line.path("interface").asText().equals("up0") ? "lan-uplink" : "esim-test",
                    line.path("profile").asText());
            }
        }
    }

    private static List<Long> longs(final long... values) {
        final List<Long> list = new ArrayList<>(values.length);
        for (final long value : values) {
            list.add(value);
        }
        return list;
    }

    /** Up packets, up bytes, down packets, down wire bytes of {@code group}, summed over an interface's lines. */
    private static List<Long> counters(final List<JsonNode> lines, final String iface, final String group) {
        return List.of(sum(lines, iface, group, "up", "packets"), sum(lines, iface, group, "up", "wireBytes"),
            sum(lines, iface, group, "down", "packets"), sum(lines, iface, group, "down", "wireBytes"));
    }

    private static List<Long> ipBytes(final List<JsonNode> lines, final String iface, final String group) {
        return List.of(sum(lines, iface, group, "up", "ipBytes"), sum(lines, iface, group, "down", "ipBytes"));
    }

    private static long sum(final List<JsonNode> lines, final String iface, final String group,
        final String direction, final String field) {
        return lines.stream().filter(line -> iface.equals(line.path("interface").asText()))
            .mapToLong(line -> line.path(group).path(direction).path(field).asLong()).sum();
    }
}
