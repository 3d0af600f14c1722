package org.esimmeter.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.esimmeter.agent.capture.LiveNetwork;
import org.esimmeter.agent.capture.LiveNetwork.Counters;
import org.esimmeter.agent.capture.LiveUplinks;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The collector goes away while the agent's {@code run} captures live traffic, twice, and comes back on the same
 * data directory and the same URL: nothing counted may be lost or stored twice. Same network and agent as
 * {@link RunShipLiveIT} (router namespace, Ethernet {@code up0} and raw-IP {@code wwan0}; the collector on the router
 * namespace's loopback, on a fixed port of that namespace's own port space). Four rounds of traffic:
 * <ol>
 * <li>collector up;</li>
 * <li>collector killed with SIGKILL (no shutdown, as the OOM killer would), traffic flows, the agent's sends fail
 * and its backlog reaches a spool segment; then the collector restarts;</li>
 * <li>collector up again, the agent's backlog (spooled with {@code spoolFlushSeconds: 1}) delivered;</li>
 * <li>collector stopped with SIGTERM, traffic flows, the sends fail, the backlog is spooled; then the collector
 * restarts.</li>
 * </ol>
 * Once the agent reports the collector reachable again, SIGTERM of the agent (exit 0, everything acknowledged, no
 * segment left in the spool), then of the collector; the database, opened through the store API, holds per interface
 * exactly the kernel counters' deltas (packets and wire bytes, up and down) and, second by second, exactly the
 * agent's JSON lines: a second lost in an outage or stored twice after a resend fails. Needs root (CI runs as root); elsewhere {@code -Desimmeter.skipPrivileged=true} skips it.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CollectorOutageLiveIT {
    private static final String AGENT = "outage-router";
    private static final Map<String, String> PROFILES = Map.of("up0", "lan-uplink", "wwan0", "esim-test");
    /** Fixed, so the agent's URL stays valid across restarts; free, since the namespace is the test's own. */
    private static final int COLLECTOR_PORT = 47470;
    private static final Duration QUIET_FOR = Duration.ofMillis(400);
    private static final Duration QUIET_TIMEOUT = Duration.ofSeconds(10);
    /** The agent retries with a backoff from 0.5 s: it meets the outage within the round's seconds. */
    private static final Duration OUTAGE_NOTICED_TIMEOUT = Duration.ofSeconds(15);
    /** Backoff doubles per failed attempt (capped at 30 s) and the outage lasts a few seconds: well within this. */
    private static final Duration RECOVERY_TIMEOUT = Duration.ofSeconds(45);
    /** A spool flush a second after the first failed send, and fsync on a busy machine. */
    private static final Duration SPOOLED_TIMEOUT = Duration.ofSeconds(15);
    private static final Duration AGENT_STOP_TIMEOUT = Duration.ofSeconds(15);
    private static final String OUTAGE_LOGGED = "with backoff up to";
    private static final String RECOVERY_LOGGED = "reachable again after";

    @TempDir
    static Path dir;

    private static LiveNetwork network;
    private static final List<CollectorProcess> collectors = new ArrayList<>();
    private static final List<LiveUplinks.Transfers> transfers = new ArrayList<>();
    private static final Map<String, Counters> kernel = new TreeMap<>();
    private static final Map<String, Counters> kernelAfterTraffic = new TreeMap<>();
    private static final Map<String, Counters> kernelAfterStop = new TreeMap<>();
    private static final List<URI> collectorUrls = new ArrayList<>();
    private static int agentExitStatus;
    private static List<String> spoolSegmentsAfterStop;
    private static String agentLog;
    /** Of the collector stopped by SIGTERM between rounds 3 and 4. */
    private static final List<Integer> collectorExitStatuses = new ArrayList<>();
    private static int collectorExitStatus;
    private static String collectorLog;
    private static List<JsonNode> agentLines;
    private static StoredUsage stored;

    @BeforeAll
    static void shipLiveTrafficAcrossCollectorOutages() throws Exception {
        LiveNetwork.requireRoot("CollectorOutageLiveIT");
        final Path agentJar = Jars.agent();
        Jars.collector(); // fails now, with the reason, rather than after the network is built
        LiveNetwork.requireTools("ip", "ss", "socat", "iperf3", "ping", "nc");

        LiveNetwork.deleteStaleNamespaces();
        network = new LiveNetwork(dir);
        final LiveUplinks uplinks = new LiveUplinks(network);
        uplinks.build();

        final Path dataDirectory = dir.resolve("data");
        final CollectorProcess.Config config = new CollectorProcess.Config(dataDirectory).port(COLLECTOR_PORT);
        final String token = config.agent(AGENT);
        final Path collectorConfig = config.write(dir.resolve("collector.yaml"));
        CollectorProcess collector = startCollector(collectorConfig);

        final long fromSecond = System.currentTimeMillis() / 1000;
        LiveNetwork.awaitQuiet(network.router, QUIET_FOR, QUIET_TIMEOUT);
        final Process agent = uplinks.startAgent(agentJar, writeAgentConfig(collector.url(), token));

        final Map<String, Counters> before = LiveNetwork.awaitQuiet(network.router, QUIET_FOR, QUIET_TIMEOUT);
        // 1: collector up.
        transfers.add(uplinks.generateTraffic());
        // 2: collector killed; traffic flows while the agent's sends fail; back on the same data and port.
        collector.kill();
        transfers.add(uplinks.generateTraffic());
        awaitAgentLogCount(OUTAGE_LOGGED, 1, OUTAGE_NOTICED_TIMEOUT);
        awaitSpooled();
        collector = startCollector(collectorConfig);
        // 3: collector up again while the backlog goes out.
        transfers.add(uplinks.generateTraffic());
        awaitAgentLogCount(RECOVERY_LOGGED, 1, RECOVERY_TIMEOUT);
        // The first outage's segments go once acknowledged, so a segment seen in the second outage is its own.
        LiveNetwork.await("the spool to empty after the first outage", RECOVERY_TIMEOUT,
            () -> spoolSegments().isEmpty(), () -> spoolSegments() + network.read(network.err("agent")));
        // 4: collector stopped cleanly; traffic flows; back again.
        collectorExitStatuses.add(collector.stop());
        transfers.add(uplinks.generateTraffic());
        awaitAgentLogCount(OUTAGE_LOGGED, 2, OUTAGE_NOTICED_TIMEOUT);
        awaitSpooled();
        collector = startCollector(collectorConfig);
        final Map<String, Counters> after = LiveNetwork.awaitQuiet(network.router, QUIET_FOR, QUIET_TIMEOUT);
        for (final String iface : LiveUplinks.INTERFACES) {
            kernel.put(iface, after.get(iface).minus(before.get(iface)));
        }
        // The agent gives its last batches only 3 s after SIGTERM: let it deliver the outage's backlog first.
        awaitAgentLogCount(RECOVERY_LOGGED, 2, RECOVERY_TIMEOUT);

        LiveNetwork.signal(agent, "TERM");
        agentExitStatus = network.awaitExit(agent, "agent", AGENT_STOP_TIMEOUT);
        agentLog = network.read(network.err("agent"));
        spoolSegmentsAfterStop = spoolSegments();
        final Map<String, Counters> end = LiveNetwork.counters(network.router);
        for (final String iface : LiveUplinks.INTERFACES) {
            kernelAfterTraffic.put(iface, after.get(iface));
            kernelAfterStop.put(iface, end.get(iface));
        }
        collectorExitStatus = collector.stop();
        collectorLog = collector.log();
        final long toSecond = System.currentTimeMillis() / 1000 + 1;
        kernel.forEach((iface, counters) -> System.out.printf("%s: kernel delta %s%n", iface, counters));
        agentLog.lines().filter(line -> line.contains(OUTAGE_LOGGED) || line.contains(RECOVERY_LOGGED) ||
            ShipSummary.PATTERN.matcher(line).find()).forEach(System.out::println);

        agentLines = StoredUsage.jsonLines(dir.resolve("seconds.jsonl"));
        stored = StoredUsage.read(dataDirectory, fromSecond, toSecond);
    }

    private static CollectorProcess startCollector(final Path config) {
        final CollectorProcess collector = CollectorProcess.startInNamespace(network.router, config);
        collectors.add(collector);
        collectorUrls.add(collector.url());
        return collector;
    }

    private static void awaitAgentLogCount(final String text, final int count, final Duration timeout) {
        LiveNetwork.await("the agent's log to say \"" + text + "\" " + count + " times", timeout,
            () -> count(network.read(network.err("agent")), text) >= count,
            () -> network.read(network.err("agent")));
    }

    /**
     * Waits until the agent's unacknowledged backlog is in a spool segment ({@code spoolFlushSeconds: 1}): the outage
     * lasted longer than a spool flush, so the batches delivered later went through the spool.
     */
    private static void awaitSpooled() {
        LiveNetwork.await("a spool segment in " + spool(), SPOOLED_TIMEOUT, () -> !spoolSegments().isEmpty(),
            () -> network.read(network.err("agent")));
    }

    private static Path spool() {
        return dir.resolve("spool");
    }

    private static List<String> spoolSegments() {
        try (Stream<Path> files = Files.list(spool())) {
            return files.map(file -> file.getFileName().toString()).filter(name -> name.startsWith("segment-"))
                .sorted().toList();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @AfterAll
    static void tearDown() {
        try {
            for (final CollectorProcess collector : collectors) {
                collector.close();
            }
        } finally {
            if (network != null) {
                network.close();
            }
        }
    }

    private static Path writeAgentConfig(final URI collectorUrl, final String token) throws IOException {
        return Files.writeString(dir.resolve("agent.yaml"), String.join("\n",
            "interfaces:",
            "  - name: up0",
            "    profile: " + PROFILES.get("up0"),
            "  - name: wwan0",
            "    profile: " + PROFILES.get("wwan0"),
            "collector:",
            "  url: \"" + collectorUrl + "\"",
            "  agentId: " + AGENT,
            "  token: \"" + token + "\"",
            "  spoolDirectory: " + spool(),
            // During an outage the backlog goes to the spool every second: the path under test, not just memory.
            "  spoolFlushSeconds: 1",
            "output:",
            "  jsonLines: " + dir.resolve("seconds.jsonl"),
            ""));
    }

    // ---------------------------------------------------------------------------------------------- processes

    @Test
    void collectorCameBackAtTheSameUrlEveryTime() {
        assertEquals(3, collectorUrls.size(), "collector starts");
        assertEquals(List.of(URI.create("http://127.0.0.1:" + COLLECTOR_PORT)), collectorUrls.stream().distinct()
            .map(url -> URI.create(url.getScheme() + "://" + url.getAuthority())).toList(), "collector URLs");
    }

    @Test
    void agentMetBothOutagesAndRecoveredFromEach() {
        assertEquals(2, count(agentLog, OUTAGE_LOGGED), "outages the agent logged: " + agentLog);
        assertEquals(2, count(agentLog, RECOVERY_LOGGED), "recoveries the agent logged: " + agentLog);
    }

    @Test
    void agentStopsOnSigtermWithStatusZeroAndEverySecondAcknowledged() {
        assertEquals(0, agentExitStatus, "agent exit status after SIGTERM; stderr: " + agentLog);
        final ShipSummary last = ShipSummary.last(agentLog);
        assertEquals(agentLines.size(), last.secondsEncoded(), "seconds encoded for the collector vs JSON lines " +
            "written: " + last.line());
        assertEquals(last.secondsEncoded(), last.secondsAcknowledged(), "seconds acknowledged: " + last.line());
        assertEquals(0, last.batchesRefused(), "batches refused: " + last.line());
        assertEquals(0, last.batchesDropped(), "batches dropped: " + last.line());
        assertEquals(0, last.secondsDropped(), "seconds dropped: " + last.line());
        assertEquals(0, last.bytesQueued(), "bytes still queued: " + last.line());
        assertTrue(last.failedAttempts() >= 2, "failed attempts during two outages: " + last.line());
        assertFalse(agentLog.contains("not acknowledged"), agentLog);
    }

    @Test
    void spoolIsEmptyOnceEveryBatchIsAcknowledged() {
        assertEquals(List.of(), spoolSegmentsAfterStop, "segments left in " + spool() + " after the agent stopped");
    }

    @Test
    void collectorStopsOnSigtermWithStatusZero() {
        assertEquals(List.of(0), collectorExitStatuses, "exit status of the collector stopped mid-run");
        assertEquals(0, collectorExitStatus, "collector exit status after SIGTERM; log:\n" + collectorLog);
    }

    @Test
    void linksWereQuietWhileTheAgentStopped() {
        assertEquals(kernelAfterTraffic, kernelAfterStop, "kernel counters moved after the capture window closed");
    }

    @Test
    void libpcapDroppedNothing() {
        for (final String iface : LiveUplinks.INTERFACES) {
            final List<JsonNode> lines = agentLines.stream()
                .filter(line -> iface.equals(line.path("interface").asText())).toList();
            assertFalse(lines.isEmpty(), iface + " : no per-second line");
            for (final JsonNode line : lines) {
                assertEquals(0, line.path("pcap").path("dropped").asLong(-1), iface + " : libpcap drops: " + line);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------- the store

    @Test
    void storedUploadAndDownloadOfEachInterfaceEqualTheKernelCounters() {
        for (final LiveUplinks.Transfers round : transfers) {
            assertEquals(LiveUplinks.UPLOAD_BYTES, round.uploadReceived(), "bytes the upload's receiver got");
            assertEquals(LiveUplinks.DOWNLOAD_BYTES, round.downloadReceived(), "bytes the download's receiver got");
        }
        // Four rounds of at least 40 packets each way.
        stored.assertInterfacesEqualKernel(AGENT, PROFILES, kernel, 160,
            "the traffic did not cross this link both ways in every round");
    }

    @Test
    void everySecondOfTheAgentsJsonLinesIsStoredExactlyOnce() {
        stored.assertSecondsEqualJsonLines(AGENT, agentLines, 8);
    }

    private static int count(final String text, final String part) {
        return text.split(Pattern.quote(part), -1).length - 1;
    }
}
