package org.esimmeter.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
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
 * Spool full (issue 4): the collector is down from the agent's start while many flows cross both uplinks, so the
 * agent's unacknowledged batches outgrow its spool cap within seconds and it merges the oldest into coarser records.
 * Totals must stay exact, and the degradation must be visible in the agent's log, the collector's /metrics,
 * /v1/agents and the notices of a 1 s series. Same network as {@link RunShipLiveIT} ({@link LiveRouter}); the agent
 * runs with the smallest spool the configuration allows ({@code spoolMaxBytes} 64 KiB, {@code batchMaxBytes} 4 KiB,
 * spooled every second) and {@link ManyFlows} sends {@value #PORTS_PER_UPLINK} flows over each uplink, every second:
 * about 4 KB per interface-second on the wire, so the cap is passed some 10 s into the outage. The timeline:
 * <ol>
 * <li>the agent starts on quiet links with no collector; the kernel's counters are read; the flows start;</li>
 * <li>once the agent logs its first merge ("spool at its cap"), the collector starts on the agent's URL;</li>
 * <li>once the agent has it reachable again and its backlog has left the spool, the flows stop; quiet links; the
 * counters again; SIGTERM of the agent (exit 0); /metrics, /v1/agents and a 1 s series read from the collector
 * while it still runs; SIGTERM of the collector, and its database read through the store API.</li>
 * </ol>
 * What is exact: per interface the stored up and down packets and wire bytes equal the kernel's counter deltas, and
 * the agent's JSON lines (its full-detail account of every second) add up to the same; per bucket of the coarsest
 * span the agent merged into, the stored 1 s series equals the JSON lines on all nine counters: merged records are
 * spans aligned to UTC minutes (hours, days) stored at their first second, so every bucket of that size holds
 * exactly its own seconds on both sides. What is not: second by second, the series differs from the JSON lines,
 * and only inside the merged spans the collector's notices name. The store's range starts at the UTC day of the
 * agent's start, since a merged record is stamped at the start of its span, possibly before the test began.
 * <p>
 * Needs root (CI runs as root); elsewhere {@code -Desimmeter.skipPrivileged=true} skips it.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SpoolFullLiveIT {
    private static final String AGENT = "spool-full-router";
    /** The configuration's minimum for both. */
    private static final int SPOOL_MAX_BYTES = 64 << 10;
    private static final int BATCH_MAX_BYTES = 4 << 10;
    private static final int PORTS_PER_UPLINK = 200;
    private static final long DAY = 86_400;
    private static final String MERGE_LOGGED = "spool at its cap";
    private static final String RECOVERY_LOGGED = "reachable again after";
    /** The cap is passed about 10 s into the flows; the agent must say so well within this. */
    private static final Duration MERGE_TIMEOUT = Duration.ofSeconds(30);
    /** The backoff doubles from 0.5 s: ten seconds into an outage the next attempt may be 16 s away. */
    private static final Duration RECOVERY_TIMEOUT = Duration.ofSeconds(45);
    private static final Duration AGENT_STOP_TIMEOUT = Duration.ofSeconds(15);
    /** The agent's WARN line of one merge (CollectorSink.merge). */
    private static final Pattern MERGE_LINE = Pattern.compile("spool at its cap of (\\d+) bytes: merged (\\d+) " +
        "batches \\((\\d+) bytes\\) into (\\d+) (\\w+)-level records \\((\\d+) bytes\\), (\\d+) -> (\\d+) bytes " +
        "unacknowledged; totals stay exact, the detail inside each (\\d+) s span is lost");

    @TempDir
    static Path dir;

    private static LiveRouter router;
    private static int flowsPerSecond;
    private static Map<String, Counters> kernel;
    private static Map<String, Counters> kernelAfterTraffic;
    private static LiveRouter.Stopped agentStop;
    private static Api.Metrics metrics;
    private static JsonNode agentInfo;
    private static JsonNode usage;
    private static LiveRouter.CollectorEnd collectorEnd;

    @BeforeAll
    static void overflowTheSpoolDuringAnOutage() throws Exception {
        final long startNs = System.nanoTime();
        router = LiveRouter.build("SpoolFullLiveIT", dir);
        final LiveRouter.Shipping shipping = router.configureShipping(AGENT, "spoolMaxBytes: " + SPOOL_MAX_BYTES,
            "batchMaxBytes: " + BATCH_MAX_BYTES, "spoolFlushSeconds: 1");
        final long fromSecond = System.currentTimeMillis() / 1000;
        router.awaitQuiet();
        final Process agent = router.startAgent();
        final Map<String, Counters> before = router.awaitQuiet();

        final ManyFlows flows = ManyFlows.start(router, PORTS_PER_UPLINK);
        flowsPerSecond = flows.sockets();
        final long flowsStartNs = System.nanoTime();
        router.awaitAgentLog(MERGE_LOGGED, MERGE_TIMEOUT);
        final long mergedAfterMillis = (System.nanoTime() - flowsStartNs) / 1_000_000;
        final CollectorProcess collector = router.startCollector(shipping.collectorConfig());
        router.awaitAgentLog(RECOVERY_LOGGED, RECOVERY_TIMEOUT);
        LiveNetwork.await("the spool to empty once the collector is back", RECOVERY_TIMEOUT,
            () -> router.spoolSegments().isEmpty(), () -> router.spoolSegments() + router.agentLog());
        final long deliveredAfterMillis = (System.nanoTime() - flowsStartNs) / 1_000_000;
        flows.stop();
        kernelAfterTraffic = router.awaitQuiet();
        kernel = LiveRouter.delta(before, kernelAfterTraffic);
        agentStop = router.stopAgent(agent, "TERM", AGENT_STOP_TIMEOUT);

        // While the collector still runs: its counters live in its memory.
        final long dayStart = Math.floorDiv(fromSecond, DAY) * DAY;
        final long toSecond = System.currentTimeMillis() / 1000 + 1;
        final Api api = router.api();
        metrics = api.metrics();
        agentInfo = agent(api.get("/v1/agents", Map.of()));
        usage = api.get("/v1/usage", Api.params("from", dayStart, "to", toSecond, "step", "1s", "agent", AGENT));
        collectorEnd = router.stopCollector(collector, dayStart);

        // For the report.
        System.out.printf("%d flows per second over both uplinks; first merge %d ms after they started, backlog " +
            "delivered after %d ms%n", flowsPerSecond, mergedAfterMillis, deliveredAfterMillis);
        kernel.forEach((iface, counters) -> System.out.printf("%s: kernel delta %s%n", iface, counters));
        System.out.printf("collector: esim_ingest_merged_records_total %d, esim_ingest_merged_seconds_total %d, " +
                "esim_ingest_seconds_total %d, batches stored %d; /v1/agents mergedRecords %d mergedSeconds %d%n",
            metrics.value("esim_ingest_merged_records_total"), metrics.value("esim_ingest_merged_seconds_total"),
            metrics.value("esim_ingest_seconds_total"),
            metrics.value("esim_ingest_batches_total", "outcome=\"stored\""),
            agentInfo.path("mergedRecords").asLong(), agentInfo.path("mergedSeconds").asLong());
        mergedNotices().forEach(notice -> System.out.println("notice: " + notice.path("message").asText()));
        agentStop.printShipping(MERGE_LOGGED, RECOVERY_LOGGED);
        System.out.printf("agent: %d JSON lines, exit %d after %d ms; whole run %d ms%n", agentStop.lines().size(),
            agentStop.exitStatus(), agentStop.millis(), (System.nanoTime() - startNs) / 1_000_000);
    }

    private static JsonNode agent(final JsonNode agents) {
        for (final JsonNode agent : agents.path("agents")) {
            if (AGENT.equals(agent.path("agent").asText())) {
                return agent;
            }
        }
        throw new AssertionError("no " + AGENT + " in /v1/agents: " + agents);
    }

    @AfterAll
    static void tearDown() {
        if (router != null) {
            router.close();
        }
    }

    // ---------------------------------------------------------------------------------------------- the agent

    @Test
    void agentLoggedEachMergeAtItsCapAndCountsThemInItsSummary() {
        final List<MatchResult> merges = mergeLines();
        assertFalse(merges.isEmpty(), "no merge line in the agent's log: " + agentStop.log());
        // The first merge comes when the backlog passes the cap; the merges go on until it fits in three quarters.
        assertTrue(Long.parseLong(merges.get(0).group(7)) > SPOOL_MAX_BYTES, "first merge below the cap: " +
            merges.get(0).group());
        for (final MatchResult merge : merges) {
            assertEquals(SPOOL_MAX_BYTES, Long.parseLong(merge.group(1)), "cap named: " + merge.group());
            assertTrue(Long.parseLong(merge.group(7)) > SPOOL_MAX_BYTES / 4 * 3, "a merge below three quarters " +
                "of the cap: " + merge.group());
        }
        final ShipSummary last = ShipSummary.last(agentStop.log());
        assertEquals(merges.size(), last.merges(), "merges in the summary vs merge lines logged: " + last.line());
    }

    @Test
    void agentStopsOnSigtermWithStatusZeroEveryRecordAcknowledgedNoneDropped() {
        assertEquals(0, agentStop.exitStatus(), "agent exit status after SIGTERM; stderr: " + agentStop.log());
        final ShipSummary last = agentStop.assertEverySecondAcknowledgedOrMerged();
        assertTrue(last.failedAttempts() > 0, "failed attempts while the collector was down: " + last.line());
        // Every record the agent had acknowledged the collector stored once: the seconds it never merged, and the
        // merged records (the collector counts those it stored, not duplicates).
        final long mergedRecords = metrics.value("esim_ingest_merged_records_total");
        assertEquals(last.secondsEncoded() - last.secondsMerged() + mergedRecords, last.secondsAcknowledged(),
            "records acknowledged vs seconds encoded - seconds merged + merged records stored (" + mergedRecords +
                "): " + last.line());
        assertEquals(last.secondsAcknowledged(), metrics.value("esim_ingest_seconds_total"),
            "records the collector stored vs records the agent had acknowledged: " + last.line());
        assertEquals(last.batchesAcknowledged(), metrics.value("esim_ingest_batches_total", "outcome=\"stored\""),
            "batches the collector stored vs batches the agent had acknowledged: " + last.line());
        assertEquals(0, metrics.value("esim_ingest_batches_total", "outcome=\"duplicate\""), "duplicate batches");
    }

    @Test
    void spoolIsEmptyOnceEveryBatchIsAcknowledged() {
        assertEquals(List.of(), agentStop.spoolSegments(), "segments left in " + router.spool() + " after the agent " +
            "stopped");
    }

    @Test
    void linksWereQuietWhileTheAgentStopped() {
        agentStop.assertUplinksQuietSince(kernelAfterTraffic);
    }

    @Test
    void libpcapDroppedNothingAndEveryFlowWasSeen() {
        StoredUsage.assertNoPcapDrops(agentStop.lines());
        for (final String iface : LiveUplinks.INTERFACES) {
            final int most = agentStop.lines().stream().filter(line -> iface.equals(line.path("interface").asText()))
                .mapToInt(line -> line.path("flows").size()).max().orElse(0);
            assertTrue(most >= PORTS_PER_UPLINK, iface + " : at most " + most + " flows in a second (expected: at " +
                "least the " + PORTS_PER_UPLINK + " sockets to its far end)");
        }
    }

    // ---------------------------------------------------------------------------------------------- the collector

    @Test
    void collectorStopsOnSigtermWithStatusZeroAndLoggedTheMergedRecords() {
        assertEquals(0, collectorEnd.exitStatus(), "collector exit status after SIGTERM; log:\n" + collectorEnd.log());
        assertTrue(collectorEnd.log().contains("agent " + AGENT + " batch ") &&
            collectorEnd.log().contains("(the agent's spool reached its cap): per-second detail lost, totals exact"),
            "no merged-records line in the collector's log:\n" + collectorEnd.log());
    }

    @Test
    void metricsAndAgentsCountTheMergedRecords() {
        final long records = metrics.value("esim_ingest_merged_records_total");
        final long seconds = metrics.value("esim_ingest_merged_seconds_total");
        assertTrue(records > 0, "esim_ingest_merged_records_total: " + records);
        assertEquals(records, agentInfo.path("mergedRecords").asLong(-1), "/v1/agents mergedRecords: " + agentInfo);
        assertEquals(seconds, agentInfo.path("mergedSeconds").asLong(-1), "/v1/agents mergedSeconds: " + agentInfo);
        // Every merged record spans a minute, an hour or a day.
        assertTrue(seconds >= 60 * records && seconds <= DAY * records,
            "merged seconds " + seconds + " for " + records + " records");
    }

    @Test
    void aOneSecondSeriesNamesTheMergedRecordsItSplits() {
        final List<JsonNode> notices = mergedNotices();
        assertFalse(usage.path("noticesTruncated").asBoolean(true), "noticesTruncated: " + usage.path("notices"));
        assertEquals(new TreeSet<>(LiveUplinks.INTERFACES), new TreeSet<>(notices.stream()
            .map(notice -> notice.path("interface").asText()).toList()), "interfaces with merged-records notices");
        for (final JsonNode notice : notices) {
            final long span = notice.path("spanSeconds").asLong();
            assertTrue(span > 1 && notice.path("from").asLong() % span == 0 && notice.path("to").asLong() % span == 0,
                "a merged span not aligned to UTC: " + notice);
        }
        // A notice counts stored spans: merged records of one interface and span start (two merges may each make
        // one) are one row at that second, so the notices hold at most as many records as were stored.
        final long records = notices.stream().mapToLong(notice -> notice.path("records").asLong()).sum();
        assertTrue(records > 0 && records <= metrics.value("esim_ingest_merged_records_total"), "records in the " +
            "notices: " + records + " vs esim_ingest_merged_records_total " +
            metrics.value("esim_ingest_merged_records_total"));
        // The coarsest span stored is the coarsest the agent merged into: nothing got coarser on the way.
        assertEquals(coarsestSpanLogged(), notices.stream().mapToLong(notice -> notice.path("spanSeconds").asLong())
            .max().orElse(0), "coarsest span in the notices vs in the agent's merge lines");
    }

    // ---------------------------------------------------------------------------------------------- exactness

    @Test
    void storedUploadAndDownloadOfEachInterfaceEqualTheKernelCounters() {
        // ICMP port unreachable is the only way back (rate-limited by the far end): a few packets a second.
        collectorEnd.stored().assertInterfacesEqualKernel(AGENT, LiveRouter.PROFILES, kernel, 5,
            "the flows did not cross this link both ways");
    }

    @Test
    void agentsJsonLinesAddUpToTheKernelCounters() {
        assertEquals(kernel, StoredUsage.linesAsKernel(agentStop.lines()),
            "JSON lines (down as rx, up as tx) vs kernel counters");
    }

    @Test
    void oneSecondSeriesEqualsTheJsonLinesPerBucketOfTheCoarsestMergedSpan() {
        final long span = coarsestSpanLogged();
        assertEquals(Usage.text(Usage.byInterfaceBucket(linesBySecond(), span)),
            Usage.text(Usage.byInterfaceBucket(storedBySecond(), span)),
            "per interface and " + span + " s bucket {up, down, unknown} x {packets, wireBytes, ipBytes}: store vs " +
                "JSON lines");
    }

    /**
     * A per-second record goes whole into a merge or not at all (a batch holds whole interface-seconds), and a merged
     * record sits at its span's first second. So, second by second, the 1 s series differs from the JSON lines, yet
     * every interface-second that is not a merged span's first is stored exactly as the agent counted it, or (merged)
     * not at all, and then inside a merged span; and what is missing is what the agent says it merged.
     */
    @Test
    void perSecondDetailIsLostExactlyForTheSecondsTheAgentMerged() {
        final SortedMap<String, long[]> lines = linesBySecond();
        final SortedMap<String, long[]> stored = storedBySecond();
        final Map<String, Long> linesPerKey = new TreeMap<>();
        agentStop.lines().forEach(line -> linesPerKey.merge(line.path("interface").asText() + " " +
            line.path("profile").asText() + " " + line.path("t").asLong(), 1L, Long::sum));
        final List<JsonNode> notices = mergedNotices();
        final TreeSet<String> spanStarts = new TreeSet<>();
        for (final JsonNode notice : notices) {
            final String iface = notice.path("interface").asText();
            for (long start = notice.path("from").asLong(); start < notice.path("to").asLong();
                 start += notice.path("spanSeconds").asLong()) {
                spanStarts.add(iface + " " + LiveRouter.PROFILES.get(iface) + " " + start);
            }
        }
        int absent = 0;
        int startsWithLines = 0;
        for (final Map.Entry<String, long[]> line : lines.entrySet()) {
            final String key = line.getKey();
            if (spanStarts.contains(key)) {
                startsWithLines++;
                continue;
            }
            final long[] point = stored.get(key);
            if (point == null) {
                absent++;
                assertTrue(insideMergedSpan(notices, key), key + " : missing from the 1 s series outside every " +
                    "merged span");
            } else if (linesPerKey.get(key) == 1) {
                assertEquals(Usage.text(Map.of(key, line.getValue())), Usage.text(Map.of(key, point)),
                    "an interface-second stored other than the agent counted it");
            } else {
                // Sealed twice (a late packet): either line may have been merged, the other stored.
                for (int i = 0; i < point.length; i++) {
                    assertTrue(point[i] <= line.getValue()[i], key + " : stored more than its lines: " +
                        Usage.text(Map.of(key, point)) + " vs " + Usage.text(Map.of(key, line.getValue())));
                }
            }
        }
        for (final String key : stored.keySet()) {
            assertTrue(lines.containsKey(key) || spanStarts.contains(key), key + " : in the 1 s series, not in the " +
                "JSON lines nor at a merged span's start");
        }
        final long secondsMerged = ShipSummary.last(agentStop.log()).secondsMerged();
        System.out.printf("interface-seconds: %d in the JSON lines, %d in the 1 s series, %d missing from it, %d at " +
            "a merged span's start; the agent merged %d%n", lines.size(), stored.size(), absent, startsWithLines,
            secondsMerged);
        assertNotEquals(Usage.text(lines), Usage.text(stored), "the 1 s series equals the JSON lines second by second");
        assertTrue(absent > 0, "no interface-second missing from the 1 s series");
        assertTrue(absent <= secondsMerged && secondsMerged <= absent + startsWithLines, "per-second records the " +
            "agent merged (" + secondsMerged + ") vs interface-seconds missing from the 1 s series (" + absent +
            ") and those at a merged span's start (" + startsWithLines + ")");
    }

    private static boolean insideMergedSpan(final List<JsonNode> notices, final String key) {
        final String iface = key.substring(0, key.indexOf(' '));
        final long second = Long.parseLong(key.substring(key.lastIndexOf(' ') + 1));
        return notices.stream().anyMatch(notice -> iface.equals(notice.path("interface").asText()) &&
            second >= notice.path("from").asLong() && second < notice.path("to").asLong());
    }

    // ---------------------------------------------------------------------------------------------- helpers

    private static List<MatchResult> mergeLines() {
        final List<MatchResult> merges = new ArrayList<>();
        final Matcher matcher = MERGE_LINE.matcher(agentStop.log());
        while (matcher.find()) {
            merges.add(matcher.toMatchResult());
        }
        return merges;
    }

    /** The longest span the agent's merge lines name. */
    private static long coarsestSpanLogged() {
        return mergeLines().stream().mapToLong(merge -> Long.parseLong(merge.group(9))).max()
            .orElseThrow(() -> new AssertionError("no merge line in the agent's log: " + agentStop.log()));
    }

    private static List<JsonNode> mergedNotices() {
        final List<JsonNode> merged = new ArrayList<>();
        usage.path("notices").forEach(notice -> {
            if ("merged".equals(notice.path("kind").asText()) && AGENT.equals(notice.path("agent").asText())) {
                merged.add(notice);
            }
        });
        return merged;
    }

    private static SortedMap<String, long[]> linesBySecond() {
        return Usage.linesByInterfaceSecond(agentStop.lines());
    }

    private static SortedMap<String, long[]> storedBySecond() {
        return Usage.storedByInterfaceSecond(collectorEnd.stored().seconds());
    }
}
