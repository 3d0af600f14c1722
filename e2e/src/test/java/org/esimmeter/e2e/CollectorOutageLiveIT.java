package org.esimmeter.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
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
 * {@link RunShipLiveIT} ({@link LiveRouter}: router namespace, Ethernet {@code up0} and raw-IP {@code wwan0}; the
 * collector on the router namespace's loopback, on a fixed port of that namespace's own port space). Four rounds of
 * traffic:
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
 * agent's JSON lines: a second lost in an outage or stored twice after a resend fails. Needs root (CI runs as root);
 * elsewhere {@code -Desimmeter.skipPrivileged=true} skips it.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CollectorOutageLiveIT {
    private static final String AGENT = "outage-router";
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

    private static LiveRouter router;
    private static final List<LiveUplinks.Transfers> transfers = new ArrayList<>();
    private static Map<String, Counters> kernel;
    private static Map<String, Counters> kernelAfterTraffic;
    private static final List<URI> collectorUrls = new ArrayList<>();
    private static LiveRouter.Stopped agentStop;
    /** Of the collector stopped by SIGTERM between rounds 3 and 4. */
    private static final List<Integer> collectorExitStatuses = new ArrayList<>();
    private static LiveRouter.CollectorEnd collectorEnd;

    @BeforeAll
    static void shipLiveTrafficAcrossCollectorOutages() throws Exception {
        router = LiveRouter.build("CollectorOutageLiveIT", dir);
        // During an outage the backlog goes to the spool every second: the path under test, not just memory.
        final LiveRouter.Shipping shipping = router.configureShipping(AGENT, "spoolFlushSeconds: 1");
        CollectorProcess collector = startCollector(shipping.collectorConfig());

        final long fromSecond = System.currentTimeMillis() / 1000;
        router.awaitQuiet();
        final Process agent = router.startAgent();

        final Map<String, Counters> before = router.awaitQuiet();
        // 1: collector up.
        transfers.add(router.uplinks.generateTraffic());
        // 2: collector killed; traffic flows while the agent's sends fail; back on the same data and port.
        collector.kill();
        transfers.add(router.uplinks.generateTraffic());
        awaitAgentLogCount(OUTAGE_LOGGED, 1, OUTAGE_NOTICED_TIMEOUT);
        awaitSpooled();
        collector = startCollector(shipping.collectorConfig());
        // 3: collector up again while the backlog goes out.
        transfers.add(router.uplinks.generateTraffic());
        awaitAgentLogCount(RECOVERY_LOGGED, 1, RECOVERY_TIMEOUT);
        // The first outage's segments go once acknowledged, so a segment seen in the second outage is its own.
        LiveNetwork.await("the spool to empty after the first outage", RECOVERY_TIMEOUT,
            () -> router.spoolSegments().isEmpty(), () -> router.spoolSegments() + router.agentLog());
        // 4: collector stopped cleanly; traffic flows; back again.
        collectorExitStatuses.add(collector.stop());
        transfers.add(router.uplinks.generateTraffic());
        awaitAgentLogCount(OUTAGE_LOGGED, 2, OUTAGE_NOTICED_TIMEOUT);
        awaitSpooled();
        collector = startCollector(shipping.collectorConfig());
        final Map<String, Counters> after = router.awaitQuiet();
        kernel = LiveRouter.delta(before, after);
        // The agent gives its last batches only 3 s after SIGTERM: let it deliver the outage's backlog first.
        awaitAgentLogCount(RECOVERY_LOGGED, 2, RECOVERY_TIMEOUT);

        agentStop = router.stopAgent(agent, "TERM", AGENT_STOP_TIMEOUT);
        kernelAfterTraffic = after;
        collectorEnd = router.stopCollector(collector, fromSecond);
        kernel.forEach((iface, counters) -> System.out.printf("%s: kernel delta %s%n", iface, counters));
        agentStop.printShipping(OUTAGE_LOGGED, RECOVERY_LOGGED);
    }

    private static CollectorProcess startCollector(final Path config) {
        final CollectorProcess collector = router.startCollector(config);
        collectorUrls.add(collector.url());
        return collector;
    }

    private static void awaitAgentLogCount(final String text, final int count, final Duration timeout) {
        LiveNetwork.await("the agent's log to say \"" + text + "\" " + count + " times", timeout,
            () -> count(router.agentLog(), text) >= count, router::agentLog);
    }

    /**
     * Waits until the agent's unacknowledged backlog is in a spool segment ({@code spoolFlushSeconds: 1}): the outage
     * lasted longer than a spool flush, so the batches delivered later went through the spool.
     */
    private static void awaitSpooled() {
        LiveNetwork.await("a spool segment in " + router.spool(), SPOOLED_TIMEOUT,
            () -> !router.spoolSegments().isEmpty(), router::agentLog);
    }

    @AfterAll
    static void tearDown() {
        if (router != null) {
            router.close();
        }
    }

    // ---------------------------------------------------------------------------------------------- processes

    @Test
    void collectorCameBackAtTheSameUrlEveryTime() {
        assertEquals(3, collectorUrls.size(), "collector starts");
        assertEquals(List.of(LiveRouter.collectorUrl()), collectorUrls.stream().distinct()
            .map(url -> URI.create(url.getScheme() + "://" + url.getAuthority())).toList(), "collector URLs");
    }

    @Test
    void agentMetBothOutagesAndRecoveredFromEach() {
        assertEquals(2, count(agentStop.log(), OUTAGE_LOGGED), "outages the agent logged: " + agentStop.log());
        assertEquals(2, count(agentStop.log(), RECOVERY_LOGGED), "recoveries the agent logged: " + agentStop.log());
    }

    @Test
    void agentStopsOnSigtermWithStatusZeroAndEverySecondAcknowledged() {
        assertEquals(0, agentStop.exitStatus(), "agent exit status after SIGTERM; stderr: " + agentStop.log());
        final ShipSummary last = agentStop.assertEverySecondAcknowledged();
        assertTrue(last.failedAttempts() >= 2, "failed attempts during two outages: " + last.line());
    }

    @Test
    void spoolIsEmptyOnceEveryBatchIsAcknowledged() {
        assertEquals(List.of(), agentStop.spoolSegments(), "segments left in " + router.spool() + " after the agent " +
            "stopped");
    }

    @Test
    void collectorStopsOnSigtermWithStatusZero() {
        assertEquals(List.of(0), collectorExitStatuses, "exit status of the collector stopped mid-run");
        assertEquals(0, collectorEnd.exitStatus(), "collector exit status after SIGTERM; log:\n" + collectorEnd.log());
    }

    @Test
    void linksWereQuietWhileTheAgentStopped() {
        agentStop.assertUplinksQuietSince(kernelAfterTraffic);
    }

    @Test
    void libpcapDroppedNothing() {
        StoredUsage.assertNoPcapDrops(agentStop.lines());
    }

    // ---------------------------------------------------------------------------------------------- the store

    @Test
    void storedUploadAndDownloadOfEachInterfaceEqualTheKernelCounters() {
        LiveRouter.assertTransfersComplete(transfers);
        // Four rounds of at least 40 packets each way.
        collectorEnd.stored().assertInterfacesEqualKernel(AGENT, LiveRouter.PROFILES, kernel, 160,
            "the traffic did not cross this link both ways in every round");
    }

    @Test
    void everySecondOfTheAgentsJsonLinesIsStoredExactlyOnce() {
        collectorEnd.stored().assertSecondsEqualJsonLines(AGENT, agentStop.lines(), 8);
    }

    private static int count(final String text, final String part) {
        return text.split(Pattern.quote(part), -1).length - 1;
    }
}
