package org.esimmeter.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
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
 * A collector that answers slowly, then with 500s, does not stall capture: the hot loop never waits for the network
 * (issue 4). While {@link BackgroundTraffic} flows over both uplinks, the agent's collector URL is served by a
 * {@link FaultyCollector}: its first {@value #SLOW_ANSWERS} answers are held {@value #HOLD_MILLIS} ms (then 503),
 * every later one is 500 at once. Once it has answered {@value #ERROR_ANSWERS} times with 500 it is stopped and the
 * real collector starts on the same port; once the agent reports it reachable the traffic stops, then the agent gets
 * SIGTERM.
 * <p>
 * Throughout, every second of traffic has its JSON line on each uplink (no gap), each written within
 * {@value #LINE_LATENCY_BOUND_MILLIS} ms of the second's end (a capture blocked by a held answer would be late by
 * the hold), libpcap dropped nothing, and the lines add up to the kernel's counters; the store then holds every
 * second exactly once, with per-interface totals equal to the kernel's. Needs root (CI runs as root); elsewhere
 * {@code -Desimmeter.skipPrivileged=true} skips it.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SlowCollectorLiveIT {
    private static final String AGENT = "slow-collector-router";
    private static final int SLOW_ANSWERS = 2;
    private static final long HOLD_MILLIS = 4000;
    private static final int ERROR_ANSWERS = 2;
    /**
     * From the end of a second to its line being seen: the agent seals a second 250 ms after it ends (its seal grace)
     * and polls every 100 ms; the rest is slack for a busy CI machine. Well below {@link #HOLD_MILLIS}.
     */
    private static final long LINE_LATENCY_BOUND_MILLIS = 2000;
    /** The backoff doubles per failed attempt: the fault stretch takes a few of them, each at most 4 s so far. */
    private static final Duration FAULTS_TIMEOUT = Duration.ofSeconds(40);
    private static final Duration RECOVERY_TIMEOUT = Duration.ofSeconds(45);
    private static final Duration AGENT_STOP_TIMEOUT = Duration.ofSeconds(15);
    private static final String RECOVERY_LOGGED = "reachable again after";

    @TempDir
    static Path dir;

    private static LiveRouter router;
    private static Map<String, Counters> kernel;
    private static Map<String, Counters> kernelAfterTraffic;
    private static String faultyLog;
    private static long faultStretchMillis;
    private static LiveRouter.Stopped agentStop;
    private static List<JsonLinesTail.Arrival> arrivals;
    private static LiveRouter.CollectorEnd collectorEnd;

    @BeforeAll
    static void captureWhileTheCollectorMisbehaves() throws Exception {
        router = LiveRouter.build("SlowCollectorLiveIT", dir);
        final LiveRouter.Shipping shipping = router.configureShipping(AGENT);
        final Process faulty = startFaultyCollector();

        final long fromSecond = System.currentTimeMillis() / 1000;
        router.awaitQuiet();
        final Process agent = router.startAgent();
        final Map<String, Counters> before = router.awaitQuiet();
        try (JsonLinesTail tail = JsonLinesTail.follow(router.jsonLinesFile())) {
            final BackgroundTraffic traffic = BackgroundTraffic.start(router);
            final long faultsFromNs = System.nanoTime();
            LiveNetwork.await(SLOW_ANSWERS + " held answers and " + ERROR_ANSWERS + " 500s", FAULTS_TIMEOUT,
                () -> count(faultyLog(), FaultyCollector.SLOW_ANSWER) >= SLOW_ANSWERS &&
                    count(faultyLog(), FaultyCollector.ERROR_ANSWER) >= ERROR_ANSWERS,
                () -> faultyLog() + router.agentLog());
            LiveNetwork.signal(faulty, "TERM");
            router.network.awaitExit(faulty, "faulty-collector", AGENT_STOP_TIMEOUT);
            faultyLog = faultyLog();
            final CollectorProcess collector = router.startCollector(shipping.collectorConfig());
            LiveNetwork.await("the agent to reach the real collector", RECOVERY_TIMEOUT,
                () -> router.agentLog().contains(RECOVERY_LOGGED), router::agentLog);
            faultStretchMillis = (System.nanoTime() - faultsFromNs) / 1_000_000;
            traffic.stop();
            final Map<String, Counters> after = router.awaitQuiet();
            kernel = LiveRouter.delta(before, after);
            kernelAfterTraffic = after;

            agentStop = router.stopAgent(agent, "TERM", AGENT_STOP_TIMEOUT);
            collectorEnd = router.stopCollector(collector, fromSecond);
            arrivals = tail.stop();
        }

        // For the report.
        System.out.print(faultyLog);
        System.out.printf("fault stretch (traffic start to the agent reaching the real collector): %d ms; " +
            "%d lines, latest line %d ms after its second ended; agent SIGTERM -> exit %d after %d ms%n",
            faultStretchMillis, agentStop.lines().size(), maxLatencyMillis(), agentStop.exitStatus(),
            agentStop.millis());
        kernel.forEach((iface, counters) -> System.out.printf("%s: kernel delta %s%n", iface, counters));
        agentStop.printShipping("with backoff up to", RECOVERY_LOGGED);
    }

    private static Process startFaultyCollector() throws URISyntaxException {
        final Path classes = Path.of(FaultyCollector.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        final Process faulty = router.network.start("faulty-collector", router.network.router, java, "-cp",
            classes.toString(), FaultyCollector.class.getName(), String.valueOf(LiveRouter.COLLECTOR_PORT),
            String.valueOf(SLOW_ANSWERS), String.valueOf(HOLD_MILLIS));
        LiveNetwork.await("the faulty collector to listen", Duration.ofSeconds(20),
            () -> faultyLog().contains(FaultyCollector.LISTENING) || !faulty.isAlive(),
            () -> faultyLog() + router.network.read(router.network.err("faulty-collector")));
        assertTrue(faulty.isAlive(), "the faulty collector exited: " +
            router.network.read(router.network.err("faulty-collector")));
        return faulty;
    }

    private static String faultyLog() {
        return router.network.read(router.network.out("faulty-collector"));
    }

    @AfterAll
    static void tearDown() {
        if (router != null) {
            router.close();
        }
    }

    // ---------------------------------------------------------------------------------------------- the fault

    @Test
    void theAgentMetHeldAnswersAnd500sAndRetriedThem() {
        assertTrue(count(faultyLog, FaultyCollector.SLOW_ANSWER) >= SLOW_ANSWERS, faultyLog);
        assertTrue(count(faultyLog, FaultyCollector.ERROR_ANSWER) >= ERROR_ANSWERS, faultyLog);
        final ShipSummary last = ShipSummary.last(agentStop.log());
        assertTrue(last.failedAttempts() >= SLOW_ANSWERS + ERROR_ANSWERS, "failed attempts: " + last.line());
    }

    // ---------------------------------------------------------------------------------------------- capture

    @Test
    void everySecondOfTrafficHasItsLineOnEachUplinkWithoutAGap() {
        for (final String iface : LiveUplinks.INTERFACES) {
            final List<Long> seconds = agentStop.lines().stream().filter(line -> iface.equals(line.path("interface")
                .asText())).map(line -> line.path("t").asLong()).distinct().sorted().toList();
            assertTrue(seconds.size() * 1000L >= faultStretchMillis, iface + " : " + seconds.size() + " seconds " +
                "with a line, over a fault stretch of " + faultStretchMillis + " ms");
            assertEquals(seconds.get(seconds.size() - 1) - seconds.get(0) + 1, seconds.size(),
                iface + " : seconds with a line are not consecutive: " + seconds);
        }
    }

    @Test
    void everyLineWasWrittenOnTimeWhileTheCollectorHeldItsAnswers() {
        assertEquals(agentStop.lines().size(), arrivals.size(), "lines the tail saw vs lines in the file");
        for (final JsonLinesTail.Arrival arrival : arrivals) {
            final long lateMillis = arrival.seenAtMillis() - (arrival.second() + 1) * 1000;
            assertTrue(lateMillis <= LINE_LATENCY_BOUND_MILLIS, arrival.iface() + " : second " + arrival.second() +
                " written " + lateMillis + " ms after it ended (bound " + LINE_LATENCY_BOUND_MILLIS + " ms)");
        }
    }

    @Test
    void libpcapDroppedNothingInAnyLine() {
        StoredUsage.assertNoPcapDrops(agentStop.lines());
    }

    @Test
    void jsonLinesAddUpToTheKernelCounters() {
        agentStop.assertUplinksQuietSince(kernelAfterTraffic);
        assertEquals(kernel, StoredUsage.linesAsKernel(agentStop.lines()), "JSON lines (down as rx, up as tx) vs " +
            "kernel counters");
    }

    // ---------------------------------------------------------------------------------------------- the store

    @Test
    void agentStopsOnSigtermWithEverySecondAcknowledged() {
        assertEquals(0, agentStop.exitStatus(), "agent exit status after SIGTERM; stderr: " + agentStop.log());
        agentStop.assertEverySecondAcknowledged();
        assertEquals(0, collectorEnd.exitStatus(), "collector exit status after SIGTERM; log:\n" + collectorEnd.log());
    }

    @Test
    void storeHoldsEverySecondOnceWithTotalsEqualToTheKernel() {
        collectorEnd.stored().assertInterfacesEqualKernel(AGENT, LiveRouter.PROFILES, kernel, 100,
            "the background traffic did not cross this link both ways");
        collectorEnd.stored().assertSecondsEqualJsonLines(AGENT, agentStop.lines(), (int) (faultStretchMillis / 1000));
    }

    private static long maxLatencyMillis() {
        return arrivals.stream().mapToLong(arrival -> arrival.seenAtMillis() - (arrival.second() + 1) * 1000)
            .max().orElse(-1);
    }

    private static int count(final String text, final String part) {
        return text.split(Pattern.quote(part), -1).length - 1;
    }
}
