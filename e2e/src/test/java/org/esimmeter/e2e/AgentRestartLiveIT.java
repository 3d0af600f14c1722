package org.esimmeter.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.esimmeter.agent.capture.LiveNetwork.Counters;
import org.esimmeter.agent.capture.LiveUplinks;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM of the agent while traffic flows, and a restart on the same configuration and spool while it still flows:
 * 0 bytes lost, 0 duplicated (issue 4). The collector stays up throughout. Same network as {@link RunShipLiveIT}
 * ({@link LiveRouter}); the timeline:
 * <ol>
 * <li>run 1 starts on quiet links; a round of {@link LiveUplinks#generateTraffic()}; a quiet second S1;</li>
 * <li>{@link BackgroundTraffic} starts; once run 1 has sealed 3 seconds of it, SIGTERM: run 1 must exit 0 within
 * {@value #SIGTERM_EXIT_BOUND_MILLIS} ms (the bound systemd's stop is given here);</li>
 * <li>run 2 starts while the traffic flows; once it has sealed 3 seconds of it, the traffic stops; a quiet second
 * S2; another round; quiet; SIGTERM of run 2 on quiet links.</li>
 * </ol>
 * The store's 1 s series then equals both runs' JSON lines added up (a second stored twice or missing fails), the
 * store logged each acknowledged batch once and run 2's sequence numbers are all above run 1's. Against the kernel,
 * exactly where that is exact: run 1's lines before S1 equal the counters' delta from its start to S1, and run 2's
 * lines after S2 the delta from S2 to its stop. libpcap dropped nothing in any line.
 * <p>
 * Needs root (CI runs as root); elsewhere {@code -Desimmeter.skipPrivileged=true} skips it.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class AgentRestartLiveIT {
    private static final String AGENT = "restart-router";
    private static final long SIGTERM_EXIT_BOUND_MILLIS = 5000;
    /** Only so that a hung agent fails with its log instead of hanging the build; the bound is asserted apart. */
    private static final Duration AGENT_STOP_TIMEOUT = Duration.ofSeconds(20);
    private static final int SECONDS_OF_TRAFFIC_PER_RUN = 3;
    private static final Duration LINES_TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    static Path dir;

    private static LiveRouter router;
    private static final List<LiveUplinks.Transfers> rounds = new ArrayList<>();
    /** Kernel counters: when run 1 started, at S1 and S2, and when run 2 was sent SIGTERM. */
    private static Map<String, Counters> atFirstStart;
    private static LiveRouter.QuietSecond beforeFault;
    private static LiveRouter.QuietSecond afterRestart;
    private static Map<String, Counters> atSecondStop;
    private static LiveRouter.Stopped first;
    private static LiveRouter.Stopped second;
    /** The collector's log of batches (their sequence numbers) after run 1, and at the end. */
    private static List<Long> firstSequences;
    private static List<Long> allSequences;
    private static LiveRouter.CollectorEnd collectorEnd;

    @BeforeAll
    static void restartTheAgentMidTraffic() throws Exception {
        router = LiveRouter.build("AgentRestartLiveIT", dir);
        final LiveRouter.Started started = router.startShipping(AGENT);
        atFirstStart = router.awaitQuiet();
        rounds.add(router.uplinks.generateTraffic());
        beforeFault = router.awaitQuietSecond();

        final BackgroundTraffic traffic = BackgroundTraffic.start(router);
        router.awaitSecondsOnBothLinks(beforeFault.second(), SECONDS_OF_TRAFFIC_PER_RUN, LINES_TIMEOUT);
        first = router.stopAgent(started.agent(), "TERM", AGENT_STOP_TIMEOUT);
        // Run 1 stopped with everything acknowledged (asserted below): the collector's log is complete for it.
        firstSequences = StoredUsage.sequences(router.dataDirectory(), AGENT);

        final Process agent = router.startAgent();
        router.awaitSecondsOnBothLinks(beforeFault.second(), SECONDS_OF_TRAFFIC_PER_RUN, LINES_TIMEOUT);
        traffic.stop();
        afterRestart = router.awaitQuietSecond();
        rounds.add(router.uplinks.generateTraffic());
        atSecondStop = router.awaitQuiet();
        second = router.stopAgent(agent, "TERM", AGENT_STOP_TIMEOUT);
        allSequences = StoredUsage.sequences(router.dataDirectory(), AGENT);
        collectorEnd = router.stopCollector(started.collector(), started.fromSecond());

        // For the report.
        System.out.printf("run 1: SIGTERM mid-traffic -> exit %d after %d ms; %d lines, %d batches stored%n",
            first.exitStatus(), first.millis(), first.lines().size(), firstSequences.size());
        System.out.printf("run 2: SIGTERM -> exit %d after %d ms; %d lines, %d batches stored%n",
            second.exitStatus(), second.millis(), second.lines().size(), allSequences.size() - firstSequences.size());
        System.out.printf("quiet seconds S1 = %d, S2 = %d; run 1 lines before S1 = kernel %s; run 2 lines after " +
            "S2 = kernel %s%n", beforeFault.second(), afterRestart.second(),
            LiveRouter.delta(atFirstStart, beforeFault.counters()),
            LiveRouter.delta(afterRestart.counters(), atSecondStop));
        first.printShipping();
        second.printShipping();
    }

    @AfterAll
    static void tearDown() {
        if (router != null) {
            router.close();
        }
    }

    // ---------------------------------------------------------------------------------------------- processes

    @Test
    void sigtermMidTrafficStopsTheAgentWithStatusZeroWithinTheBound() {
        for (final LiveRouter.Stopped run : List.of(first, second)) {
            final String name = run == first ? "run 1 (mid-traffic)" : "run 2";
            assertEquals(0, run.exitStatus(), name + " exit status after SIGTERM; stderr: " + run.log());
            assertTrue(run.millis() < SIGTERM_EXIT_BOUND_MILLIS, name + " took " + run.millis() + " ms to exit " +
                "after SIGTERM (bound: " + SIGTERM_EXIT_BOUND_MILLIS + " ms); stderr: " + run.log());
        }
    }

    @Test
    void eachRunHadEverySecondItWroteAcknowledgedBeforeItExited() {
        first.assertEverySecondAcknowledged();
        second.assertEverySecondAcknowledged();
        assertEquals(List.of(), first.spoolSegments(), "spool segments after run 1");
        assertEquals(List.of(), second.spoolSegments(), "spool segments after run 2");
    }

    @Test
    void collectorStopsOnSigtermWithStatusZero() {
        assertEquals(0, collectorEnd.exitStatus(), "collector exit status after SIGTERM; log:\n" + collectorEnd.log());
    }

    @Test
    void libpcapDroppedNothingInAnyLine() {
        StoredUsage.assertNoPcapDrops(bothRunsLines());
    }

    // ---------------------------------------------------------------------------------------------- the store

    @Test
    void storedSecondsEqualBothRunsJsonLinesAddedUp() {
        collectorEnd.stored().assertSecondsEqualJsonLines(AGENT, bothRunsLines(), 2 * SECONDS_OF_TRAFFIC_PER_RUN);
    }

    @Test
    void everyAcknowledgedBatchIsLoggedOnceAndRunTwoSequencesAreAboveRunOnes() {
        assertEquals(ShipSummary.last(first.log()).batchesAcknowledged(), firstSequences.size(),
            "batches the collector logged for run 1 vs batches run 1 had acknowledged: " + firstSequences);
        assertTrue(allSequences.containsAll(firstSequences), "run 1's batches still logged");
        final List<Long> secondSequences = new ArrayList<>(allSequences);
        secondSequences.removeAll(firstSequences);
        assertEquals(ShipSummary.last(second.log()).batchesAcknowledged(), secondSequences.size(),
            "batches logged for run 2 vs batches run 2 had acknowledged: " + secondSequences);
        assertFalse(firstSequences.isEmpty() || secondSequences.isEmpty(), "both runs shipped");
        assertTrue(secondSequences.get(0) > firstSequences.get(firstSequences.size() - 1),
            "run 2's first sequence " + secondSequences.get(0) + " vs run 1's last " +
                firstSequences.get(firstSequences.size() - 1));
    }

    // ---------------------------------------------------------------------------------------------- the kernel

    @Test
    void runOneLinesBeforeTheFaultEqualTheKernelCounters() {
        assertLinesEqualKernel(first.lines(), Long.MIN_VALUE, beforeFault.second(),
            LiveRouter.delta(atFirstStart, beforeFault.counters()), "run 1 from its start to S1");
    }

    @Test
    void runTwoLinesAfterItsQuietSecondEqualTheKernelCounters() {
        second.assertUplinksQuietSince(atSecondStop);
        assertLinesEqualKernel(second.lines(), afterRestart.second(), Long.MAX_VALUE,
            LiveRouter.delta(afterRestart.counters(), atSecondStop), "run 2 from S2 to its stop");
    }

    /**
     * The lines stamped in {@code (afterSecond, beforeSecond)} equal, per interface, the kernel's delta; no line is
     * stamped in a quiet second.
     */
    private static void assertLinesEqualKernel(final List<JsonNode> lines, final long afterSecond,
        final long beforeSecond, final Map<String, Counters> kernel, final String what) {
        for (final long quiet : List.of(beforeFault.second(), afterRestart.second())) {
            assertTrue(lines.stream().noneMatch(line -> line.path("t").asLong() == quiet),
                "a line stamped in the quiet second " + quiet);
        }
        final List<JsonNode> window = lines.stream().filter(line -> line.path("t").asLong() > afterSecond &&
            line.path("t").asLong() < beforeSecond).toList();
        assertEquals(kernel, StoredUsage.linesAsKernel(window), what + ": JSON lines (down as rx, up as tx) vs " +
            "kernel counters");
        kernel.forEach((iface, counters) -> assertTrue(counters.rxPackets() >= 40 && counters.txPackets() >= 40,
            what + ": " + iface + " : too little traffic " + counters));
        LiveRouter.assertTransfersComplete(rounds);
    }

    private static List<JsonNode> bothRunsLines() {
        final List<JsonNode> all = new ArrayList<>(first.lines());
        all.addAll(second.lines());
        return all;
    }
}
