package org.esimmeter.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.esimmeter.agent.capture.LiveNetwork;
import org.esimmeter.agent.capture.LiveNetwork.Counters;
import org.esimmeter.agent.capture.LiveUplinks;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's {@code run} capturing live and shipping to a real collector, judged by the kernel. The network is the
 * agent's own live test's ({@link LiveUplinks}: a router namespace with an Ethernet uplink {@code up0} and a raw-IP
 * TUN uplink {@code wwan0}); the collector runs in the router namespace too, on its loopback, so the agent reaches it
 * without a byte crossing the metered links. The agent ships and writes JSON lines at once. After bounded traffic,
 * SIGTERM of the agent (it drains, seals and gives its last batches up to 3 s to be acknowledged), then of the
 * collector, the stopped collector's database — opened through the store API — holds, per interface:
 * <ul>
 * <li>upload = the kernel's tx delta and download = its rx delta, in packets and wire bytes, exactly;</li>
 * <li>second by second, exactly what the agent's JSON lines say (every direction and metric).</li>
 * </ul>
 * Needs root (CI runs as root); elsewhere {@code -Desimmeter.skipPrivileged=true} skips it.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RunShipLiveIT {
    private static final String AGENT = "live-router";
    private static final Map<String, String> PROFILES = Map.of("up0", "lan-uplink", "wwan0", "esim-test");
    private static final Duration QUIET_FOR = Duration.ofMillis(400);
    private static final Duration QUIET_TIMEOUT = Duration.ofSeconds(10);
    /** Within the agent's own bound: 5 s for the capture to drain, of which 3 s for the last acknowledgements. */
    private static final Duration AGENT_STOP_TIMEOUT = Duration.ofSeconds(15);

    @TempDir
    static Path dir;

    private static LiveNetwork network;
    private static CollectorProcess collector;
    private static LiveUplinks.Transfers transfers;
    /** Kernel counter deltas over the capture window, by interface. */
    private static final Map<String, Counters> kernel = new TreeMap<>();
    private static final Map<String, Counters> kernelAfterTraffic = new TreeMap<>();
    private static final Map<String, Counters> kernelAfterStop = new TreeMap<>();
    private static int agentExitStatus;
    private static String agentLog;
    private static int collectorExitStatus;
    private static String collectorLog;
    private static List<JsonNode> agentLines;
    /** What the store answers after both stopped: totals and the 1 s series by interface, over the whole run. */
    private static StoredUsage stored;

    @BeforeAll
    static void shipLiveTrafficToTheCollector() throws Exception {
        LiveNetwork.requireRoot("RunShipLiveIT");
        final Path agentJar = Jars.agent();
        Jars.collector(); // fails now, with the reason, rather than after the network is built
        LiveNetwork.requireTools("ip", "ss", "socat", "iperf3", "ping", "nc");

        LiveNetwork.deleteStaleNamespaces();
        network = new LiveNetwork(dir);
        final LiveUplinks uplinks = new LiveUplinks(network);
        uplinks.build();

        final Path dataDirectory = dir.resolve("data");
        final CollectorProcess.Config config = new CollectorProcess.Config(dataDirectory);
        final String token = config.agent(AGENT);
        collector = CollectorProcess.startInNamespace(network.router, config.write(dir.resolve("collector.yaml")));

        // Every second the agent seals lies in [fromSecond, toSecond): packets are stamped by the kernel's clock.
        final long fromSecond = System.currentTimeMillis() / 1000;
        LiveNetwork.awaitQuiet(network.router, QUIET_FOR, QUIET_TIMEOUT);
        final Process agent = uplinks.startAgent(agentJar, writeAgentConfig(collector, token));

        final Map<String, Counters> before = LiveNetwork.awaitQuiet(network.router, QUIET_FOR, QUIET_TIMEOUT);
        transfers = uplinks.generateTraffic();
        final Map<String, Counters> after = LiveNetwork.awaitQuiet(network.router, QUIET_FOR, QUIET_TIMEOUT);
        for (final String iface : LiveUplinks.INTERFACES) {
            kernel.put(iface, after.get(iface).minus(before.get(iface)));
        }

        LiveNetwork.signal(agent, "TERM");
        agentExitStatus = network.awaitExit(agent, "agent", AGENT_STOP_TIMEOUT);
        agentLog = network.read(network.err("agent"));
        // Nothing may have crossed the links between the last reading and the agent stopping.
        final Map<String, Counters> end = LiveNetwork.counters(network.router);
        for (final String iface : LiveUplinks.INTERFACES) {
            kernelAfterTraffic.put(iface, after.get(iface));
            kernelAfterStop.put(iface, end.get(iface));
        }
        collectorExitStatus = collector.stop();
        collectorLog = collector.log();
        final long toSecond = System.currentTimeMillis() / 1000 + 1;
        // For the report: what crossed each link and how the shipping went.
        kernel.forEach((iface, counters) -> System.out.printf("%s: kernel delta %s%n", iface, counters));
        agentLog.lines().filter(line -> ShipSummary.PATTERN.matcher(line).find()).forEach(System.out::println);

        agentLines = StoredUsage.jsonLines(dir.resolve("seconds.jsonl"));
        stored = StoredUsage.read(dataDirectory, fromSecond, toSecond);
    }

    @AfterAll
    static void tearDown() {
        try {
            if (collector != null) {
                collector.close();
            }
        } finally {
            if (network != null) {
                network.close();
            }
        }
    }

    private static Path writeAgentConfig(final CollectorProcess collector, final String token) throws IOException {
        return Files.writeString(dir.resolve("agent.yaml"), String.join("\n",
            "interfaces:",
            "  - name: up0",
            "    profile: " + PROFILES.get("up0"),
            "  - name: wwan0",
            "    profile: " + PROFILES.get("wwan0"),
            "collector:",
            "  url: \"" + collector.url() + "\"",
            "  agentId: " + AGENT,
            "  token: \"" + token + "\"",
            // The test's own spool: the machine-wide default (/run/esim-meter) could hold another run's batches.
            "  spoolDirectory: " + dir.resolve("spool"),
            // Both outputs at once: the lines are the agent's own account, to compare the store with.
            "output:",
            "  jsonLines: " + dir.resolve("seconds.jsonl"),
            ""));
    }

    // ---------------------------------------------------------------------------------------------- processes

    @Test
    void agentStopsOnSigtermWithStatusZeroAndEverySecondAcknowledged() {
        assertEquals(0, agentExitStatus, "agent exit status after SIGTERM; stderr: " + agentLog);
        final ShipSummary last = ShipSummary.last(agentLog);
        assertEquals(agentLines.size(), last.secondsEncoded(), "seconds encoded for the collector vs JSON lines " +
            "written: " + last.line());
        assertEquals(last.secondsEncoded(), last.secondsAcknowledged(), "seconds acknowledged: " + last.line());
        assertEquals(0, last.batchesRefused(), "batches refused: " + last.line());
        assertEquals(0, last.batchesDropped(), "batches dropped: " + last.line());
        assertEquals(0, last.bytesQueued(), "bytes still queued: " + last.line());
        assertFalse(agentLog.contains("not acknowledged"), agentLog);
    }

    @Test
    void collectorStopsOnSigtermWithStatusZero() {
        assertEquals(0, collectorExitStatus, "collector exit status after SIGTERM; log:\n" + collectorLog);
    }

    @Test
    void linksWereQuietWhileTheAgentStopped() {
        assertEquals(kernelAfterTraffic, kernelAfterStop, "kernel counters moved after the capture window closed");
    }

    // ---------------------------------------------------------------------------------------------- the store

    @Test
    void storedUploadAndDownloadOfEachInterfaceEqualTheKernelCounters() {
        assertEquals(LiveUplinks.UPLOAD_BYTES, transfers.uploadReceived(), "bytes the upload's receiver got");
        assertEquals(LiveUplinks.DOWNLOAD_BYTES, transfers.downloadReceived(), "bytes the download's receiver got");
        stored.assertInterfacesEqualKernel(AGENT, PROFILES, kernel, 40,
            "the traffic did not cross this link both ways");
        for (final String iface : LiveUplinks.INTERFACES) {
            final List<JsonNode> lines = agentLines.stream()
                .filter(line -> iface.equals(line.path("interface").asText())).toList();
            assertFalse(lines.isEmpty(), iface + " : no per-second line");
            assertEquals(0, lines.get(lines.size() - 1).path("pcap").path("dropped").asLong(),
                iface + " : libpcap drops");
        }
    }

    @Test
    void storedSecondsEqualTheAgentsJsonLines() {
        stored.assertSecondsEqualJsonLines(AGENT, agentLines, 2);
    }
}
