package org.esimmeter.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
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
 * The agent's {@code run} capturing live and shipping to a real collector, judged by the kernel. The network is the
 * agent's own live test's ({@link LiveUplinks}: a router namespace with an Ethernet uplink {@code up0} and a raw-IP
 * TUN uplink {@code wwan0}; {@link LiveRouter}); the collector runs in the router namespace too, on its loopback, so
 * the agent reaches it without a byte crossing the metered links. The agent ships and writes JSON lines at once.
 * After bounded traffic, SIGTERM of the agent (it drains, seals and gives its last batches up to 3 s to be
 * acknowledged), then of the collector, the stopped collector's database — opened through the store API — holds,
 * per interface:
 * <ul>
 * <li>upload = the kernel's tx delta and download = its rx delta, in packets and wire bytes, exactly;</li>
 * <li>second by second, exactly what the agent's JSON lines say (every direction and metric).</li>
 * </ul>
 * Needs root (CI runs as root); elsewhere {@code -Desimmeter.skipPrivileged=true} skips it.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RunShipLiveIT {
    private static final String AGENT = "live-router";
    /** Within the agent's own bound: 5 s for the capture to drain, of which 3 s for the last acknowledgements. */
    private static final Duration AGENT_STOP_TIMEOUT = Duration.ofSeconds(15);

    @TempDir
    static Path dir;

    private static LiveRouter router;
    private static LiveUplinks.Transfers transfers;
    /** Kernel counter deltas over the capture window, by interface. */
    private static Map<String, Counters> kernel;
    private static Map<String, Counters> kernelAfterTraffic;
    private static LiveRouter.Stopped agentStop;
    /** The collector's exit and what its store answers after both stopped, over the whole run. */
    private static LiveRouter.CollectorEnd collectorEnd;

    @BeforeAll
    static void shipLiveTrafficToTheCollector() throws Exception {
        router = LiveRouter.build("RunShipLiveIT", dir);
        final LiveRouter.Started started = router.startShipping(AGENT);
        final Map<String, Counters> before = router.awaitQuiet();
        transfers = router.uplinks.generateTraffic();
        final Map<String, Counters> after = router.awaitQuiet();
        kernel = LiveRouter.delta(before, after);

        agentStop = router.stopAgent(started.agent(), "TERM", AGENT_STOP_TIMEOUT);
        // Nothing may have crossed the links between the last reading and the agent stopping.
        kernelAfterTraffic = after;
        collectorEnd = router.stopCollector(started.collector(), started.fromSecond());
        // For the report: what crossed each link and how the shipping went.
        kernel.forEach((iface, counters) -> System.out.printf("%s: kernel delta %s%n", iface, counters));
        agentStop.printShipping();
    }

    @AfterAll
    static void tearDown() {
        if (router != null) {
            router.close();
        }
    }

    // ---------------------------------------------------------------------------------------------- processes

    @Test
    void agentStopsOnSigtermWithStatusZeroAndEverySecondAcknowledged() {
        assertEquals(0, agentStop.exitStatus(), "agent exit status after SIGTERM; stderr: " + agentStop.log());
        agentStop.assertEverySecondAcknowledged();
    }

    @Test
    void collectorStopsOnSigtermWithStatusZero() {
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
        LiveRouter.assertTransfersComplete(List.of(transfers));
        collectorEnd.stored().assertInterfacesEqualKernel(AGENT, LiveRouter.PROFILES, kernel, 40,
            "the traffic did not cross this link both ways");
    }

    @Test
    void storedSecondsEqualTheAgentsJsonLines() {
        collectorEnd.stored().assertSecondsEqualJsonLines(AGENT, agentStop.lines(), 2);
    }
}
