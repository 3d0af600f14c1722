package org.esimmeter.collector.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.esimmeter.wire.Addresses;
import org.esimmeter.wire.Batch;
import org.esimmeter.wire.ClockStep;
import org.esimmeter.wire.Device;
import org.esimmeter.wire.Direction;
import org.esimmeter.wire.FlowUsage;
import org.esimmeter.wire.SecondUsage;
import org.esimmeter.wire.TrafficCounters;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every {@link UsageStore} must do, written against the interface only. An implementation's test extends this
 * class and says how to open a store over a directory. Expected values are computed by {@link UsageModel} from the
 * generated input, never by store code.
 */
public abstract class UsageStoreContract {
    /** 2023-11-14T00:00:00Z, a UTC day boundary. */
    protected static final long DAY0 = 19_675L * 86_400;
    private static final long DAY = 86_400;
    private static final long HOUR = 3_600;

    @TempDir
    protected Path directory;
    private final List<UsageStore> opened = new ArrayList<>();

    /** Opens the store persisted under {@code directory} (empty the first time), with {@code retention}. */
    protected abstract UsageStore open(Path directory, RetentionPolicy retention) throws Exception;

    /**
     * Makes the store fail, part-way through writing a batch, any batch with a FLOW of a second on interface
     * {@code interfaceName} — after some of that batch's rows were written (e.g. a trigger that aborts on its flow
     * rollup rows). {@link #healWrites} undoes it.
     */
    protected abstract void breakWritesMidway(UsageStore store, Path directory, String interfaceName)
        throws Exception;

    protected abstract void healWrites(UsageStore store, Path directory) throws Exception;

    private UsageStore store;

    @BeforeEach
    void openStore() throws Exception {
        store = track(open(directory, new RetentionPolicy(Map.of())));
    }

    @AfterEach
    void closeStores() throws Exception {
        for (final UsageStore s : opened) {
            s.close();
        }
    }

    private UsageStore track(final UsageStore s) {
        opened.add(s);
        return s;
    }

    private static UsageQuery query(final long from, final long to, final Resolution step, final GroupBy by) {
        return new UsageQuery(from, to, step, by, null, null, null);
    }

    /** Three days of two agents (interface wwan0 switching eSIM profile mid-day, wlan0), sparse and dense parts. */
    private static Map<String, List<SecondUsage>> threeDays(final Random random) {
        final List<FlowUsage> pool = UsageModel.flowPool(random, 40);
        final Map<String, List<SecondUsage>> byAgent = new HashMap<>();
        for (final String agent : List.of("alpha", "beta")) {
            final List<SecondUsage> seconds = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                final long t = DAY0 - DAY + random.nextInt((int) (3 * DAY));
                final String profile = t < DAY0 + 7 * HOUR + 1234 ? "travel-eu" : "travel-us";
                seconds.add(UsageModel.second(random, pool, "wwan0", profile, t));
                if (random.nextInt(4) == 0) {
                    seconds.add(UsageModel.second(random, pool, "wlan0", "home", t + random.nextInt(90)));
                }
            }
            // Dense: every second of 3 minutes around the day boundary, and the minutes around an hour boundary.
            for (long t = DAY0 - 90; t < DAY0 + 90; t++) {
                seconds.add(UsageModel.second(random, pool, "wwan0", "travel-eu", t));
            }
            for (long t = DAY0 + 5 * HOUR - 150; t < DAY0 + 5 * HOUR + 150; t += 7) {
                seconds.add(UsageModel.second(random, pool, "wlan0", "home", t));
            }
            // The same interface-seconds sealed again (after a restart of the agent's meter): they add up.
            for (int i = 0; i < 20; i++) {
                final SecondUsage earlier = seconds.get(random.nextInt(seconds.size()));
                seconds.add(UsageModel.second(random, pool, earlier.interfaceName(), earlier.profile(),
                    earlier.epochSecond()));
            }
            Collections.shuffle(seconds, random);
            byAgent.put(agent, seconds);
        }
        return byAgent;
    }

    private UsageModel ingestThreeDays(final long seed) throws StoreException {
        final Random random = new Random(seed);
        final UsageModel model = new UsageModel();
        threeDays(random).forEach((agent, seconds) -> {
            for (final Batch batch : UsageModel.batches(random, agent, seconds, 25)) {
                try {
                    assertEquals(IngestOutcome.STORED, store.ingest(batch));
                } catch (final StoreException e) {
                    throw new AssertionError(e);
                }
                model.stored(batch);
            }
        });
        return model;
    }

    private void assertAnswers(final UsageModel model, final UsageQuery query) throws StoreException {
        final String what = "from=" + query.fromSecond() + " to=" + query.toSecond() + " step=" +
            query.step().label() + " by=" + query.groupBy().label();
        assertEquals(model.usage(query), UsageModel.points(store.usage(query)), "usage " + what);
        final List<UsageModel.Point> totals = UsageModel.totalPoints(store.totals(query));
        assertEquals(model.totals(query), totals, "totals " + what);
        // Each series sums to the total, from the store's own answers too.
        final Map<GroupKey, long[]> sums = new HashMap<>();
        for (final UsagePoint point : store.usage(query)) {
            assertEquals(query.step().bucketStart(point.bucketStart()), point.bucketStart(), "aligned " + what);
            assertTrue(point.bucketStart() + query.step().seconds() > query.fromSecond() &&
                point.bucketStart() < query.toSecond(), "bucket in range " + what);
            final long[] sum = sums.computeIfAbsent(point.group(), k -> new long[27]);
            final long[] values = UsageModel.values(UsageModel.points(List.of(point)).get(0));
            for (int i = 0; i < 27; i++) {
                sum[i] += values[i];
            }
        }
        final List<UsageModel.Point> summed = new ArrayList<>();
        new java.util.TreeMap<>(sums).forEach((group, sum) -> summed.add(UsageModel.point(0, group, sum)));
        assertEquals(totals, summed, "series sum to totals " + what);
    }

    @Test
    void shouldAnswerExactlyWhateverTheStepForAlignedAndUnalignedRanges() throws Exception {
        final UsageModel model = ingestThreeDays(42);
        final Random random = new Random(7);
        final List<long[]> ranges = new ArrayList<>(List.of(
            new long[] {DAY0 - 3 * DAY, DAY0 + 3 * DAY},                  // everything
            new long[] {DAY0 - DAY, DAY0 + DAY},                          // day-aligned
            new long[] {DAY0 - DAY - HOUR - 61, DAY0 + 5 * HOUR + 183},   // edges at every resolution
            new long[] {DAY0 - 89, DAY0 + 61},                            // inside the dense part, across midnight
            new long[] {DAY0 + 5 * HOUR - 100, DAY0 + 5 * HOUR + 3}));
        for (int i = 0; i < 3; i++) {
            final long from = DAY0 - DAY + random.nextInt((int) (3 * DAY));
            ranges.add(new long[] {from, from + 1 + random.nextInt((int) DAY)});
        }
        for (final long[] range : ranges) {
            for (final Resolution step : Resolution.values()) {
                for (final GroupBy by : GroupBy.values()) {
                    assertAnswers(model, query(range[0], range[1], step, by));
                }
            }
        }
        // The totals of a range are one answer whatever the step asked.
        final long from = DAY0 - DAY - HOUR - 61;
        final long to = DAY0 + 5 * HOUR + 183;
        final List<GroupUsage> reference = store.totals(query(from, to, Resolution.SECOND, GroupBy.INTERFACE));
        for (final Resolution step : Resolution.values()) {
            assertEquals(UsageModel.totalPoints(reference),
                UsageModel.totalPoints(store.totals(query(from, to, step, GroupBy.INTERFACE))));
        }
    }

    @Test
    void shouldKeepNonIpBytesInInterfaceTotalsButNotInFlows() throws Exception {
        final List<FlowUsage> pool = UsageModel.flowPool(new Random(1), 1);
        final FlowUsage f = pool.get(0);
        final FlowUsage flow = new FlowUsage(Direction.DOWN, f.ipVersion(), f.protocol(), f.srcHi(), f.srcLo(),
            f.srcPort(), f.dstHi(), f.dstLo(), f.dstPort(), 3, 3000, 2958);
        final TrafficCounters total = new TrafficCounters();
        total.add(Direction.DOWN, 3, 3000, 2958);
        total.add(Direction.UP, 2, 120, 0);
        final TrafficCounters nonIp = new TrafficCounters();
        nonIp.add(Direction.UP, 2, 120, 0);
        store.ingest(new Batch("a", 1, List.of(new SecondUsage("wwan0", "p", DAY0, total, nonIp,
            new TrafficCounters(), new TrafficCounters(), 0, 0, List.of(flow)))));

        final List<GroupUsage> interfaces = store.totals(query(DAY0, DAY0 + 1, Resolution.SECOND, GroupBy.AGENT));
        assertEquals(List.of(List.of(2L, 120L, 0L, 3L, 3000L, 2958L, 0L, 0L, 0L)),
            interfaces.stream().map(g -> UsageModel.list(g.usage())).toList());
        final List<GroupUsage> flows = store.totals(query(DAY0, DAY0 + 1, Resolution.SECOND, GroupBy.FLOW));
        assertEquals(1, flows.size());
        assertEquals(List.of(0L, 0L, 0L, 3L, 3000L, 2958L, 0L, 0L, 0L), UsageModel.list(flows.get(0).usage()));
        assertEquals("down", flows.get(0).group().direction());
        assertEquals(Addresses.format(f.ipVersion(), f.dstHi(), f.dstLo()), flows.get(0).group().dst());
        assertEquals(f.dstPort(), flows.get(0).group().dstPort());
    }

    private static SecondUsage simple(final String interfaceName, final String profile, final long second,
        final long wireBytes) {
        final TrafficCounters total = new TrafficCounters();
        total.add(Direction.UP, 1, wireBytes, wireBytes - 14);
        final FlowUsage flow = new FlowUsage(Direction.UP, 4, 17, 0, Addresses.IPV4_MAPPED_PREFIX | 0x0A000001L,
            5353, 0, Addresses.IPV4_MAPPED_PREFIX | 0x08080808L, 53, 1, wireBytes, wireBytes - 14);
        return new SecondUsage(interfaceName, profile, second, total, new TrafficCounters(), new TrafficCounters(),
            new TrafficCounters(), 0, 0, List.of(flow));
    }

    /** Wire bytes of the range from totals(), checked against the sum of the usage() series with the same step. */
    private long wireBytes(final UsageQuery query) throws StoreException {
        final long total = totalsWireBytes(query);
        assertEquals(total, seriesWireBytes(query), "totals and series sum, step " + query.step().label());
        return total;
    }

    private long totalsWireBytes(final UsageQuery query) throws StoreException {
        long sum = 0;
        for (final GroupUsage g : store.totals(query)) {
            sum += g.usage().sum(TrafficCounters.WIRE_BYTES);
        }
        return sum;
    }

    private long seriesWireBytes(final UsageQuery query) throws StoreException {
        long sum = 0;
        for (final UsagePoint point : store.usage(query)) {
            sum += point.usage().sum(TrafficCounters.WIRE_BYTES);
        }
        return sum;
    }

    @Test
    void shouldTreatRangesAsHalfOpenIncludingBefore1970() throws Exception {
        final long t = DAY0 + 2 * DAY;
        final long[] seconds = {t - 1, t, t + 1, -DAY - 1, -DAY, -1, 0};
        final long[] bytes = {100, 200, 400, 1_000, 2_000, 4_000, 8_000};
        final List<SecondUsage> list = new ArrayList<>();
        for (int i = 0; i < seconds.length; i++) {
            list.add(simple("wwan0", "p", seconds[i], bytes[i]));
        }
        store.ingest(new Batch("a", 1, list));
        for (final Resolution step : Resolution.values()) {
            for (final GroupBy by : List.of(GroupBy.AGENT, GroupBy.FLOW)) {
                assertEquals(200, wireBytes(query(t, t + 1, step, by)), "[t, t+1) " + step);
                assertEquals(100, wireBytes(query(t - 1, t, step, by)), "[t-1, t) " + step);
                assertEquals(700, wireBytes(query(t - 1, t + 2, step, by)), "[t-1, t+2) " + step);
                assertEquals(600, wireBytes(query(t, t + DAY, step, by)), "[t, t+1d) " + step);
                assertEquals(4_000, wireBytes(query(-1, 0, step, by)), "[-1, 0) " + step);
                assertEquals(3_000, wireBytes(query(-DAY - 1, -1, step, by)), "[-1d-1, -1) " + step);
                assertEquals(15_000, wireBytes(query(-2 * DAY, DAY, step, by)), "1969..1970 " + step);
            }
        }
        // Buckets before 1970 start at the floor: -1 is in the day starting at -86400, -86401 in the one before.
        final List<UsagePoint> days = store.usage(query(-2 * DAY, DAY, Resolution.DAY, GroupBy.AGENT));
        assertEquals(List.of(-2 * DAY, -DAY, 0L), days.stream().map(UsagePoint::bucketStart).toList());
        assertEquals(List.of(1_000L, 6_000L, 8_000L),
            days.stream().map(p -> p.usage().sum(TrafficCounters.WIRE_BYTES)).toList());
    }

    @Test
    void shouldNarrowByEveryFilter() throws Exception {
        final UsageModel model = ingestThreeDays(3);
        final long from = DAY0 - HOUR - 59;
        final long to = DAY0 + 9 * HOUR + 7;
        final String[][] filters = {
            {"alpha", null, null}, {null, "wlan0", null}, {null, null, "travel-us"}, {"beta", "wwan0", null},
            {"beta", "wwan0", "travel-eu"}, {"alpha", null, "home"}, {"nobody", null, null},
            {null, "wwan0", "home"}};
        for (final String[] filter : filters) {
            for (final GroupBy by : GroupBy.values()) {
                for (final Resolution step : List.of(Resolution.MINUTE, Resolution.DAY)) {
                    final UsageQuery query = new UsageQuery(from, to, step, by, filter[0], filter[1], filter[2]);
                    assertAnswers(model, query);
                }
            }
        }
        assertEquals(List.of(), store.totals(new UsageQuery(from, to, Resolution.HOUR, GroupBy.AGENT, "nobody",
            null, null)));
        // Context filters: the serving network narrows series, the device and the service narrow flows.
        final String[][] labels = {
            {"23415", null, null}, {"", null, null}, {"99999", null, null}, {null, "aa:bb:cc:00:00:01", null},
            {null, null, "video.example.com"}, {"26201", "192.168.8.14", "dns.example.net"},
            {null, "ff:ff:ff:ff:ff:ff", null}, {null, null, "never.example"}};
        for (final String[] filter : labels) {
            for (final GroupBy by : GroupBy.values()) {
                if (!by.isFlowDimension() && (filter[1] != null || filter[2] != null)) {
                    continue;
                }
                final UsageQuery query = new UsageQuery(from, to, Resolution.MINUTE, by, null, null, null, filter[0],
                    filter[1], filter[2]);
                assertAnswers(model, query);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> new UsageQuery(from, to, Resolution.HOUR,
            GroupBy.INTERFACE, null, null, null, null, "aa:bb:cc:00:00:01", null));
        assertTrue(wireBytes(new UsageQuery(from, to, Resolution.HOUR, GroupBy.AGENT, "alpha", null, null)) > 0);
    }

    @Test
    void shouldRankTopGroupsByWireBytesAndHonourTheLimit() throws Exception {
        final UsageModel model = ingestThreeDays(11);
        final long from = DAY0 - DAY + 17;
        final long to = DAY0 + DAY - 17;
        for (final GroupBy by : GroupBy.values()) {
            final UsageQuery query = query(from, to, Resolution.HOUR, by);
            final Map<String, Long> expected = UsageModel.wireBytesByGroup(model.totals(query));
            final List<Long> sortedBytes = new ArrayList<>(expected.values());
            sortedBytes.sort(Collections.reverseOrder());
            final int limit = Math.max(1, expected.size() / 2);
            final List<GroupUsage> top = store.top(query, limit);
            assertEquals(limit, top.size(), by.label());
            for (int i = 0; i < top.size(); i++) {
                final GroupUsage g = top.get(i);
                assertEquals(expected.get(g.group().toString()), g.usage().sum(TrafficCounters.WIRE_BYTES),
                    by.label() + " #" + i);
                assertEquals(sortedBytes.get(i), g.usage().sum(TrafficCounters.WIRE_BYTES), by.label() + " #" + i);
            }
            assertEquals(expected.size(), store.top(query, expected.size() + 10).size(), by.label());
        }
    }

    @Test
    void shouldDeleteOnlyExpiredResolutionsAndStillAnswerFromCoarserRollups() throws Exception {
        store.close();
        store = track(open(directory, new RetentionPolicy(Map.of(
            Resolution.SECOND, 2 * DAY, Resolution.MINUTE, 3 * DAY))));
        final long now = DAY0 + 10 * DAY + 5 * HOUR;
        final long old = DAY0 + 2 * DAY + HOUR;      // beyond 1 s and 1 min retention
        final long middle = DAY0 + 7 * DAY + 6 * HOUR; // beyond 1 s retention only
        final long recent = now - HOUR;
        final long[] starts = {old, middle, recent};
        final long[] bytesPerSecond = {10, 100, 1000};
        final List<SecondUsage> seconds = new ArrayList<>();
        for (int i = 0; i < starts.length; i++) {
            for (long t = starts[i]; t < starts[i] + 120; t++) {
                seconds.add(simple("wwan0", "p", t, bytesPerSecond[i]));
            }
        }
        store.ingest(new Batch("a", 1, seconds));
        // The last second exactly at the cutoff (now - 2 d) is kept; its predecessor is not.
        store.ingest(new Batch("a", 2, List.of(simple("wwan0", "p", now - 2 * DAY, 7),
            simple("wwan0", "p", now - 2 * DAY - 1, 3))));

        assertTrue(store.applyRetention(now) > 0);

        for (final GroupBy by : List.of(GroupBy.AGENT, GroupBy.FLOW)) {
            for (int i = 0; i < starts.length; i++) {
                final long from = starts[i];
                final long to = starts[i] + 120; // aligned to minutes (starts are whole hours)
                final long expected = 120 * bytesPerSecond[i];
                // A time series with step S reads rows no coarser than S, so each step shows its own resolution.
                assertEquals(i == 2 ? expected : 0, seriesWireBytes(query(from, to, Resolution.SECOND, by)),
                    "1 s rows " + i + " " + by);
                assertEquals(i == 0 ? 0 : expected, seriesWireBytes(query(from, to, Resolution.MINUTE, by)),
                    "1 min rows " + i + " " + by);
                // The whole hour and day: from hour and day rows, which are kept forever.
                assertEquals(expected, seriesWireBytes(query(from, from + HOUR, Resolution.HOUR, by)), "1 h " + i);
                final long day = Resolution.DAY.bucketStart(from);
                assertEquals(expected, seriesWireBytes(query(day, day + DAY, Resolution.DAY, by)), "1 d " + i);
                // Totals use the coarsest rows that fit: the minute-aligned range still answers from minute rows.
                assertEquals(i == 0 ? 0 : expected, totalsWireBytes(query(from, to, Resolution.SECOND, by)),
                    "totals " + i + " " + by);
            }
            assertEquals(7, seriesWireBytes(query(now - 2 * DAY, now - 2 * DAY + 1, Resolution.SECOND, by)));
            assertEquals(0, seriesWireBytes(query(now - 2 * DAY - 1, now - 2 * DAY, Resolution.SECOND, by)));
        }
        // Applying again deletes nothing more.
        assertEquals(0, store.applyRetention(now));
    }

    @Test
    void shouldStoreTheSameBatchOnceAndTellSequencesOfOtherAgentsApart() throws Exception {
        final Batch batch = new Batch("a", 5, List.of(simple("wwan0", "p", DAY0, 1500)));
        assertEquals(IngestOutcome.STORED, store.ingest(batch));
        assertEquals(IngestOutcome.DUPLICATE, store.ingest(batch));
        // Same sequence, different content: still the same batch to the store.
        assertEquals(IngestOutcome.DUPLICATE, store.ingest(new Batch("a", 5, List.of(simple("wwan0", "p", DAY0,
            9)))));
        assertEquals(IngestOutcome.STORED, store.ingest(new Batch("b", 5, List.of(simple("wwan0", "p", DAY0,
            700)))));
        assertEquals(IngestOutcome.STORED, store.ingest(new Batch("a", 4, List.of(simple("wwan0", "p", DAY0,
            30)))));
        for (final Resolution step : Resolution.values()) {
            assertEquals(2230, wireBytes(query(DAY0, DAY0 + 1, step, GroupBy.AGENT)));
            assertEquals(2230, wireBytes(query(DAY0 - DAY, DAY0 + DAY, step, GroupBy.FLOW)));
        }
    }

    @Test
    void shouldStoreOneOfManyConcurrentCopiesOfABatch() throws Exception {
        final ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            final List<Callable<IngestOutcome>> copies = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                copies.add(() -> store.ingest(new Batch("a", 1, List.of(simple("wwan0", "p", DAY0, 1000)))));
            }
            int stored = 0;
            for (final Future<IngestOutcome> outcome : pool.invokeAll(copies)) {
                stored += outcome.get() == IngestOutcome.STORED ? 1 : 0;
            }
            assertEquals(1, stored);
        } finally {
            pool.shutdown();
        }
        assertEquals(1000, wireBytes(query(DAY0, DAY0 + 1, Resolution.SECOND, GroupBy.AGENT)));
    }

    @Test
    void shouldAddUpConcurrentIngestsFromManyAgents() throws Exception {
        final Random random = new Random(5);
        final List<FlowUsage> flowPool = UsageModel.flowPool(random, 30);
        final List<Batch> batches = new ArrayList<>();
        for (int agent = 0; agent < 12; agent++) {
            final List<SecondUsage> seconds = new ArrayList<>();
            for (long t = DAY0 - 200; t < DAY0 + 200; t++) {
                seconds.add(UsageModel.second(random, flowPool, "wwan0", "p" + (agent % 3), t));
            }
            batches.addAll(UsageModel.batches(random, "agent-" + agent, seconds, 5));
        }
        final UsageModel model = new UsageModel();
        batches.forEach(model::stored);
        final ExecutorService pool = Executors.newFixedThreadPool(12);
        try {
            final List<Callable<IngestOutcome>> ingests = new ArrayList<>();
            for (final Batch batch : batches) {
                ingests.add(() -> store.ingest(batch));
            }
            for (final Future<IngestOutcome> outcome : pool.invokeAll(ingests)) {
                assertEquals(IngestOutcome.STORED, outcome.get());
            }
        } finally {
            pool.shutdown();
        }
        for (final GroupBy by : List.of(GroupBy.PROFILE, GroupBy.FLOW)) {
            for (final Resolution step : Resolution.values()) {
                assertAnswers(model, query(DAY0 - 201, DAY0 + 150, step, by));
            }
        }
    }

    @Test
    void shouldLeaveNothingOfABatchThatFailsMidway() throws Exception {
        final Batch good = new Batch("a", 1, List.of(simple("wwan0", "p", DAY0, 100)));
        final Batch doomed = new Batch("a", 2, List.of(simple("wwan0", "p", DAY0, 1_000),
            simple("poison", "q", DAY0 + 1, 10_000)));
        assertEquals(IngestOutcome.STORED, store.ingest(good));
        breakWritesMidway(store, directory, "poison");
        assertThrows(StoreException.class, () -> store.ingest(doomed));
        // Concurrent ingests that shared the failed batch's group commit are stored regardless.
        final ExecutorService pool = Executors.newFixedThreadPool(6);
        final List<Callable<IngestOutcome>> ingests = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            final Batch batch = i == 15 ? new Batch("b", 99, List.of(simple("poison", "q", DAY0, 50_000)))
                : new Batch("b", i, List.of(simple("wwan0", "p", DAY0 + i, 10)));
            ingests.add(() -> store.ingest(batch));
        }
        int failed = 0;
        try {
            for (final Future<IngestOutcome> outcome : pool.invokeAll(ingests)) {
                try {
                    assertEquals(IngestOutcome.STORED, outcome.get());
                } catch (final java.util.concurrent.ExecutionException e) {
                    assertTrue(e.getCause() instanceof StoreException, e.toString());
                    failed++;
                }
            }
        } finally {
            pool.shutdown();
        }
        assertEquals(1, failed);
        for (final Resolution step : Resolution.values()) {
            for (final GroupBy by : List.of(GroupBy.INTERFACE, GroupBy.FLOW)) {
                assertEquals(100 + 29 * 10, wireBytes(query(DAY0 - DAY, DAY0 + DAY, step, by)), step + " " + by);
            }
        }
        assertEquals(List.of("wwan0"), store.agents().stream().filter(a -> a.agentId().equals("a"))
            .flatMap(a -> a.interfaces().stream()).map(AgentInfo.InterfaceInfo::name).toList());

        // The failed batch left no dedup row either: sent again once the fault is gone, it is stored.
        healWrites(store, directory);
        assertEquals(IngestOutcome.STORED, store.ingest(doomed));
        assertEquals(100 + 290 + 11_000, wireBytes(query(DAY0 - DAY, DAY0 + DAY, Resolution.MINUTE,
            GroupBy.AGENT)));
    }

    @Test
    void shouldRefuseIngestAndQueriesAfterClose() throws Exception {
        store.close();
        assertThrows(StoreException.class, () -> store.ingest(new Batch("a", 1, List.of(simple("w", "p", 0, 1)))));
        assertThrows(StoreException.class, () -> store.totals(query(0, 1, Resolution.SECOND, GroupBy.AGENT)));
        store.close(); // idempotent
    }

    @Test
    void shouldAddUpTheSameInterfaceSecondFromDifferentBatches() throws Exception {
        store.ingest(new Batch("a", 1, List.of(simple("wwan0", "p", DAY0 + 30, 1000))));
        store.ingest(new Batch("a", 2, List.of(simple("wwan0", "p", DAY0 + 30, 234))));
        store.ingest(new Batch("a", 3, List.of(simple("wwan0", "p", DAY0 + 30, 1), simple("wwan0", "p",
            DAY0 + 30, 10))));
        for (final Resolution step : Resolution.values()) {
            final List<UsagePoint> points = store.usage(query(DAY0, DAY0 + DAY, step, GroupBy.FLOW));
            assertEquals(1, points.size(), step.label());
            assertEquals(step.bucketStart(DAY0 + 30), points.get(0).bucketStart());
            assertEquals(List.of(4L, 1245L, 1245L - 4 * 14, 0L, 0L, 0L, 0L, 0L, 0L),
                UsageModel.list(points.get(0).usage()));
            assertEquals(1245, wireBytes(query(DAY0 + 30, DAY0 + 31, step, GroupBy.INTERFACE)));
        }
    }

    @Test
    void shouldKeepEverythingAcrossReopening() throws Exception {
        final UsageModel model = ingestThreeDays(99);
        final List<AgentInfo> agents = store.agents();
        store.close();
        store = track(open(directory, new RetentionPolicy(Map.of())));
        for (final GroupBy by : GroupBy.values()) {
            assertAnswers(model, query(DAY0 - DAY - 7, DAY0 + DAY + 7, Resolution.HOUR, by));
        }
        assertEquals(agents, store.agents());
        // Dedup survives too: alpha's first batch is still known.
        assertEquals(IngestOutcome.DUPLICATE, store.ingest(new Batch("alpha", 1, List.of())));
        assertEquals(IngestOutcome.STORED, store.ingest(new Batch("alpha", 10_000, List.of(simple("new0", "p",
            DAY0, 5)))));
    }

    @Test
    void shouldListAgentsWithInterfacesProfilesAndLastSeen() throws Exception {
        assertEquals(List.of(), store.agents());
        final long before = System.currentTimeMillis() / 1000;
        store.ingest(new Batch("router-1", 7, List.of(simple("wwan0", "eu", DAY0 + 10, 1),
            simple("wlan0", "home", DAY0 + 3, 1))));
        store.ingest(new Batch("router-1", 8, List.of(simple("wwan0", "us", DAY0 + 20, 1))));
        // A late batch (lower sequence, older seconds, old profile) changes neither the profile nor lastSecond.
        store.ingest(new Batch("router-1", 6, List.of(simple("wwan0", "eu", DAY0 + 1, 1))));
        store.ingest(new Batch("router-0", 1, List.of()));
        final long after = System.currentTimeMillis() / 1000;

        final List<AgentInfo> agents = store.agents();
        assertEquals(List.of("router-0", "router-1"), agents.stream().map(AgentInfo::agentId).toList());
        assertEquals(List.of(), agents.get(0).interfaces());
        assertEquals(1, agents.get(0).lastSequence());
        final AgentInfo router = agents.get(1);
        assertEquals(8, router.lastSequence());
        for (final AgentInfo agent : agents) {
            assertTrue(agent.lastSeenEpochSecond() >= before && agent.lastSeenEpochSecond() <= after,
                agent.toString());
        }
        assertEquals(List.of(new AgentInfo.InterfaceInfo("wlan0", "home", DAY0 + 3),
            new AgentInfo.InterfaceInfo("wwan0", "us", DAY0 + 20)), router.interfaces());
    }

    private static SecondUsage merged(final String interfaceName, final String profile, final long second,
        final int spanSeconds, final long wireBytes) {
        final SecondUsage one = simple(interfaceName, profile, second, wireBytes);
        return new SecondUsage(interfaceName, profile, second, one.total(), one.nonIp(), one.unparsed(),
            one.overflow(), 0, 0, one.flows(), spanSeconds);
    }

    @Test
    void shouldStoreTheBatchesOfOneCallEachOnceInOrder() throws Exception {
        assertEquals(List.of(), store.ingestAll(List.of()));
        assertEquals(List.of(IngestOutcome.STORED, IngestOutcome.STORED, IngestOutcome.STORED), store.ingestAll(List.of(
            new Batch("a", 1, List.of(simple("wwan0", "p", DAY0, 100))),
            new Batch("a", 2, List.of(simple("wwan0", "p", DAY0 + 1, 20))),
            new Batch("b", 1, List.of(simple("wwan0", "p", DAY0 + 2, 3))))));
        assertEquals(123, wireBytes(query(DAY0, DAY0 + DAY, Resolution.SECOND, GroupBy.AGENT)));
        // A resend overlapping what is stored, and the same batch twice in one call: each stored once.
        assertEquals(List.of(IngestOutcome.DUPLICATE, IngestOutcome.STORED, IngestOutcome.DUPLICATE),
            store.ingestAll(List.of(
                new Batch("a", 2, List.of(simple("wwan0", "p", DAY0 + 1, 999))),
                new Batch("a", 3, List.of(simple("wwan0", "p", DAY0 + 3, 4))),
                new Batch("a", 3, List.of(simple("wwan0", "p", DAY0 + 3, 5))))));
        for (final Resolution step : Resolution.values()) {
            assertEquals(127, wireBytes(query(DAY0, DAY0 + DAY, step, GroupBy.INTERFACE)), step.label());
        }
        assertEquals(3, store.agents().stream().filter(a -> a.agentId().equals("a")).findFirst().orElseThrow()
            .lastSequence());
    }

    @Test
    void shouldStoreNoneOfTheBatchesOfACallThatFailsMidway() throws Exception {
        final List<Batch> batches = List.of(new Batch("a", 1, List.of(simple("wwan0", "p", DAY0, 100))),
            new Batch("a", 2, List.of(simple("wwan0", "p", DAY0 + 1, 1_000), simple("poison", "q", DAY0 + 2, 10))),
            new Batch("a", 3, List.of(simple("wwan0", "p", DAY0 + 3, 7))));
        breakWritesMidway(store, directory, "poison");
        assertThrows(StoreException.class, () -> store.ingestAll(batches));
        assertEquals(0, wireBytes(query(DAY0 - DAY, DAY0 + DAY, Resolution.SECOND, GroupBy.AGENT)));
        assertEquals(List.of(), store.agents());

        healWrites(store, directory);
        assertEquals(List.of(IngestOutcome.STORED, IngestOutcome.STORED, IngestOutcome.STORED),
            store.ingestAll(batches));
        assertEquals(1_117, wireBytes(query(DAY0 - DAY, DAY0 + DAY, Resolution.MINUTE, GroupBy.AGENT)));
    }

    @Test
    void shouldCountAMergedRecordAtItsFirstSecondInEveryRollupAndSayWhereItIs() throws Exception {
        final Batch batch = new Batch("a", 1, List.of(simple("wwan0", "p", DAY0 + 59, 1),
            merged("wwan0", "p", DAY0 + 60, 60, 600), merged("wwan0", "p", DAY0 + HOUR, 3600, 36_000)));
        assertEquals(IngestOutcome.STORED, store.ingest(batch));
        assertEquals(IngestOutcome.DUPLICATE, store.ingest(batch));

        for (final Resolution step : Resolution.values()) {
            assertEquals(36_601, wireBytes(query(DAY0, DAY0 + DAY, step, GroupBy.INTERFACE)), step.label());
            assertEquals(36_601, wireBytes(query(DAY0, DAY0 + DAY, step, GroupBy.FLOW)), step.label());
        }
        final List<UsagePoint> minute = store.usage(query(DAY0 + 60, DAY0 + 120, Resolution.SECOND,
            GroupBy.INTERFACE));
        assertEquals(List.of(DAY0 + 60), minute.stream().map(UsagePoint::bucketStart).toList());
        assertEquals(600, minute.get(0).usage().sum(TrafficCounters.WIRE_BYTES));

        final MergedRecord minuteRecord = new MergedRecord("a", "wwan0", "p", DAY0 + 60, 60);
        final MergedRecord hourRecord = new MergedRecord("a", "wwan0", "p", DAY0 + HOUR, 3600);
        final UsageQuery day = query(DAY0, DAY0 + DAY, Resolution.SECOND, GroupBy.INTERFACE);
        assertEquals(List.of(minuteRecord, hourRecord), store.mergedRecords(day, 1, 100));
        assertEquals(List.of(minuteRecord), store.mergedRecords(day, 1, 1));
        assertEquals(List.of(hourRecord), store.mergedRecords(day, 60, 100));
        assertEquals(List.of(), store.mergedRecords(day, 3600, 100));
        // Totals (no buckets inside the range): only a record that the range's start or end cuts through.
        assertEquals(List.of(), store.mergedRecords(day, Long.MAX_VALUE, 100));
        assertEquals(List.of(minuteRecord), store.mergedRecords(query(DAY0 + 119, DAY0 + DAY, Resolution.SECOND,
            GroupBy.INTERFACE), Long.MAX_VALUE, 100));
        assertEquals(List.of(), store.mergedRecords(query(DAY0 + 120, DAY0 + DAY, Resolution.SECOND,
            GroupBy.INTERFACE), Long.MAX_VALUE, 100));
        assertEquals(List.of(hourRecord), store.mergedRecords(query(DAY0, DAY0 + HOUR + 1, Resolution.SECOND,
            GroupBy.INTERFACE), Long.MAX_VALUE, 100));
        assertEquals(List.of(), store.mergedRecords(query(DAY0, DAY0 + HOUR, Resolution.SECOND,
            GroupBy.INTERFACE), Long.MAX_VALUE, 100));
        // Filters narrow as for usage.
        assertEquals(List.of(), store.mergedRecords(new UsageQuery(DAY0, DAY0 + DAY, Resolution.SECOND,
            GroupBy.INTERFACE, null, "wlan0", null), 1, 100));
        assertEquals(List.of(), store.mergedRecords(new UsageQuery(DAY0, DAY0 + DAY, Resolution.SECOND,
            GroupBy.INTERFACE, "b", null, null), 1, 100));

        final AgentInfo agent = store.agents().get(0);
        assertEquals(2, agent.mergedRecords());
        assertEquals(3660, agent.mergedSeconds());
        assertEquals(DAY0 + HOUR + 3599, agent.interfaces().get(0).lastSecond());
    }

    @Test
    void shouldStoreClockStepsOnceAndFindThemByTheSecondsTheyAffect() throws Exception {
        final ClockStep boot = new ClockStep(DAY0 * 1000 + 500, DAY0 * 1000 - 120_500, 0, 120);
        final ClockStep back = new ClockStep(DAY0 * 1000 + 900_000, -2_500, DAY0 + 800, DAY0 + 899);
        final Batch batch = new Batch("a", 1, List.of(simple("wwan0", "p", 120, 50)), List.of(boot, back));
        assertEquals(IngestOutcome.STORED, store.ingest(batch));
        assertEquals(IngestOutcome.DUPLICATE, store.ingest(batch));
        // A later batch that repeats a step does not store it twice.
        assertEquals(IngestOutcome.STORED, store.ingest(new Batch("a", 2, List.of(), List.of(boot))));

        final AgentInfo agent = store.agents().get(0);
        assertEquals(2, agent.clockSteps());
        assertEquals(back, agent.lastClockStep());
        assertEquals(List.of(new AgentClockStep("a", boot)), store.clockSteps(query(0, HOUR, Resolution.SECOND,
            GroupBy.INTERFACE), 100));
        assertEquals(List.of(new AgentClockStep("a", boot)), store.clockSteps(query(120, 121, Resolution.SECOND,
            GroupBy.INTERFACE), 100));
        assertEquals(List.of(), store.clockSteps(query(121, HOUR, Resolution.SECOND, GroupBy.INTERFACE), 100));
        assertEquals(List.of(new AgentClockStep("a", boot), new AgentClockStep("a", back)),
            store.clockSteps(query(-DAY, DAY0 + DAY, Resolution.DAY, GroupBy.INTERFACE), 100));
        assertEquals(List.of(new AgentClockStep("a", boot)),
            store.clockSteps(query(-DAY, DAY0 + DAY, Resolution.DAY, GroupBy.INTERFACE), 1));
        assertEquals(List.of(new AgentClockStep("a", back)), store.clockSteps(query(DAY0 + 899, DAY0 + 900,
            Resolution.SECOND, GroupBy.INTERFACE), 100));
        // Scope: the agent filter, or the agents with a matching series.
        assertEquals(List.of(), store.clockSteps(new UsageQuery(0, HOUR, Resolution.SECOND, GroupBy.INTERFACE, "b",
            null, null), 100));
        assertEquals(List.of(new AgentClockStep("a", boot)), store.clockSteps(new UsageQuery(0, HOUR,
            Resolution.SECOND, GroupBy.INTERFACE, null, "wwan0", null), 100));
        assertEquals(List.of(), store.clockSteps(new UsageQuery(0, HOUR, Resolution.SECOND, GroupBy.INTERFACE, null,
            "wlan0", null), 100));
        // The seconds stamped with the old clock are stored where they were stamped.
        assertEquals(50, wireBytes(query(0, DAY, Resolution.HOUR, GroupBy.AGENT)));
    }

    @Test
    void shouldCountImplausiblyStampedSecondsPerAgentAndStoreThemAsStamped() throws Exception {
        final long now = System.currentTimeMillis() / 1000;
        store.ingest(new Batch("a", 1, List.of(simple("wwan0", "p", 120, 10),
            simple("wwan0", "p", Timestamps.EARLIEST_PLAUSIBLE_SECOND - 1, 20),
            simple("wwan0", "p", Timestamps.EARLIEST_PLAUSIBLE_SECOND, 40),
            simple("wwan0", "p", now + HOUR, 80),
            simple("wwan0", "p", now + 2 * DAY, 160))));
        store.ingest(new Batch("b", 1, List.of(simple("wwan0", "p", DAY0, 1))));
        assertEquals(List.of(3L, 0L), store.agents().stream().map(AgentInfo::implausibleSeconds).toList());
        assertEquals(10, wireBytes(query(0, DAY, Resolution.SECOND, GroupBy.AGENT)));
        assertEquals(160, wireBytes(query(now + 2 * DAY, now + 2 * DAY + 1, Resolution.SECOND, GroupBy.AGENT)));
    }

    private static final Device PHONE = new Device("aa:bb:cc:00:00:01", "192.168.8.11", "phone");
    private static final Device LAPTOP = new Device("aa:bb:cc:00:00:02", "192.168.8.12", null);

    /** A flow of the hand-written context batches: 10.0.0.x:port -> 93.184.216.34:443 TCP. */
    private static FlowUsage labelled(final int direction, final int srcPort, final long packets, final long ipBytes,
        final Device device, final boolean approximate, final String service) {
        return new FlowUsage(direction, 4, 6, 0, Addresses.IPV4_MAPPED_PREFIX | 0x0A000002L, srcPort, 0,
            Addresses.IPV4_MAPPED_PREFIX | 0x5DB8D822L, 443, packets, ipBytes + 14 * packets, ipBytes, device,
            approximate, service);
    }

    /** A second whose total is its flows plus {@code nonIpWire} non-IP bytes up, with its network and uncaptured. */
    private static SecondUsage context(final long second, final int span, final String network,
        final long uncapturedDownIp, final long nonIpWire, final FlowUsage... flows) {
        final TrafficCounters total = new TrafficCounters();
        final TrafficCounters nonIp = new TrafficCounters();
        if (nonIpWire > 0) {
            nonIp.add(Direction.UP, 1, nonIpWire, 0);
            total.add(nonIp);
        }
        for (final FlowUsage flow : flows) {
            total.add(flow.direction(), flow.packets(), flow.wireBytes(), flow.ipBytes());
        }
        final TrafficCounters uncaptured = new TrafficCounters();
        if (uncapturedDownIp > 0) {
            uncaptured.add(Direction.DOWN, uncapturedDownIp / 1000, uncapturedDownIp + 14 * (uncapturedDownIp / 1000),
                uncapturedDownIp);
        }
        return new SecondUsage("wwan0", "esim-eu", second, total, nonIp, new TrafficCounters(),
            new TrafficCounters(), 0, 0, List.of(flows), span, network, uncaptured);
    }

    private long ipBytes(final UsageQuery query, final GroupKey group) throws StoreException {
        for (final GroupUsage g : store.totals(query)) {
            if (g.group().equals(group)) {
                return g.usage().sum(TrafficCounters.IP_BYTES);
            }
        }
        return 0;
    }

    /**
     * Network, uncaptured bytes and labels stored exactly, at every resolution, also for a merged record; the same
     * batch twice stores nothing twice; the parts (devices + unlabelled flows + non-IP) add up to the interface.
     * <pre>
     * DAY0+10  23415  up phone 1000 ip video, down phone 9000 ip video, down laptop~ 3000 ip (no service),
     *                 up no-device 500 ip dns; non-IP 60 wire; uncaptured down 4000 ip
     * DAY0+11  26201  down phone 2000 ip video; uncaptured down 6000 ip
     * DAY0+60  ""     merged 60 s: down laptop 700 ip cdn; uncaptured down 1000 ip
     * flows 16200 ip = phone 12000 + laptop 3700 (3000 approximate) + none 500; uncaptured 11000;
     * interface: 16200 ip + 60 wire non-IP; 23415: 13500 + 4000, 26201: 2000 + 6000, unknown: 700 + 1000
     * </pre>
     */
    @Test
    void shouldStoreNetworkUncapturedAndLabelsExactly() throws Exception {
        final Batch batch = new Batch("a", 1, List.of(
            context(DAY0 + 10, 1, "23415", 4000, 60,
                labelled(Direction.UP, 40000, 2, 1000, PHONE, false, "video.example.com"),
                labelled(Direction.DOWN, 40000, 9, 9000, PHONE, false, "video.example.com"),
                labelled(Direction.DOWN, 40001, 3, 3000, LAPTOP, true, null),
                labelled(Direction.UP, 40002, 1, 500, null, false, "dns.example.net")),
            context(DAY0 + 11, 1, "26201", 6000, 0,
                labelled(Direction.DOWN, 40000, 2, 2000, PHONE, false, "video.example.com")),
            context(DAY0 + 60, 60, "", 1000, 0,
                labelled(Direction.DOWN, 40003, 1, 700, LAPTOP, false, "cdn.example.org"))));
        assertEquals(IngestOutcome.STORED, store.ingest(batch));
        assertEquals(IngestOutcome.DUPLICATE, store.ingest(batch));

        final long phone = 1000 + 9000 + 2000;
        final long laptop = 3000 + 700;
        final long flows = phone + laptop + 500;
        for (final Resolution step : Resolution.values()) {
            final UsageQuery day = query(DAY0, DAY0 + DAY, step, GroupBy.INTERFACE);
            final List<GroupUsage> interfaces = store.totals(day);
            assertEquals(1, interfaces.size());
            assertEquals(flows, interfaces.get(0).usage().sum(TrafficCounters.IP_BYTES), step.label());
            assertEquals(flows + 60 + 14 * (2 + 9 + 3 + 1 + 2 + 1),
                interfaces.get(0).usage().sum(TrafficCounters.WIRE_BYTES), step.label());
            assertEquals(List.of(0L, 0L, 0L, 11L, 11_000L + 14 * 11, 11_000L, 0L, 0L, 0L),
                UsageModel.list(interfaces.get(0).uncaptured()), step.label());
            // The series of the step sums to the same.
            long uncaptured = 0;
            for (final UsagePoint point : store.usage(day)) {
                uncaptured += point.uncaptured().sum(TrafficCounters.IP_BYTES);
            }
            assertEquals(11_000, uncaptured, step.label());

            final UsageQuery networks = day.by(GroupBy.NETWORK);
            assertEquals(List.of("0 700 1000", "23415 13500 4000", "26201 2000 6000"), store.totals(networks)
                .stream().map(g -> (g.group().network().isEmpty() ? "0" : g.group().network()) + " " +
                    g.usage().sum(TrafficCounters.IP_BYTES) + " " + g.uncaptured().sum(TrafficCounters.IP_BYTES))
                .toList(), step.label());

            final UsageQuery devices = day.by(GroupBy.DEVICE);
            assertEquals(phone, ipBytes(devices, GroupKey.ofDevice(PHONE.key(), "192.168.8.11", "phone")));
            assertEquals(laptop, ipBytes(devices, GroupKey.ofDevice(LAPTOP.key(), "192.168.8.12", null)));
            assertEquals(500, ipBytes(devices, GroupKey.ofDevice(null, null, null)));
            long parts = 0;
            for (final GroupUsage g : store.totals(devices)) {
                parts += g.usage().sum(TrafficCounters.IP_BYTES);
                assertEquals(g.group().device() != null && g.group().device().equals(LAPTOP.key()) ? 3000 : 0,
                    g.approximate().sum(TrafficCounters.IP_BYTES), g.group().toString());
                assertTrue(g.uncaptured().isEmpty());
            }
            assertEquals(interfaces.get(0).usage().sum(TrafficCounters.IP_BYTES), parts, "devices add up");

            final UsageQuery services = day.by(GroupBy.SERVICE);
            assertEquals(List.of("cdn.example.org 700", "dns.example.net 500", "null 3000",
                "video.example.com 12000"), store.totals(services).stream().map(g -> g.group().service() + " " +
                g.usage().sum(TrafficCounters.IP_BYTES)).toList(), step.label());
            // Filters: a network narrows series, a device or a service narrows flows.
            assertEquals(9000 + 3000 + 1000 + 500, ipBytes(new UsageQuery(DAY0, DAY0 + DAY, step,
                GroupBy.PROTOCOL, null, null, null, "23415", null, null),
                new GroupKey(null, null, null, null, 6, null, 0, null, 0)));
            assertEquals(12_000, ipBytes(new UsageQuery(DAY0, DAY0 + DAY, step, GroupBy.SERVICE, null, null, null,
                null, PHONE.key(), null), GroupKey.ofService("video.example.com")));
            assertEquals(700, ipBytes(new UsageQuery(DAY0, DAY0 + DAY, step, GroupBy.DEVICE, null, null, null,
                "", null, "cdn.example.org"), GroupKey.ofDevice(LAPTOP.key(), "192.168.8.12", null)));
            assertEquals(List.of(), store.totals(new UsageQuery(DAY0, DAY0 + DAY, step, GroupBy.DEVICE, null, null,
                null, "26201", LAPTOP.key(), null)));
        }
        assertEquals(List.of(new MergedRecord("a", "wwan0", "esim-eu", DAY0 + 60, 60)),
            store.mergedRecords(query(DAY0, DAY0 + DAY, Resolution.SECOND, GroupBy.INTERFACE), 1, 10));
        // The interface's current network is that of its newest second: the merged record's, unknown.
        assertEquals("", store.agents().get(0).interfaces().get(0).network());
    }

    @Test
    void shouldNameADeviceAfterTheNewestSecondThatNamedIt() throws Exception {
        final Device renamed = new Device(PHONE.key(), "192.168.8.21", "phone-2");
        final Device keyOnly = new Device(PHONE.key(), null, null);
        store.ingest(new Batch("a", 1, List.of(context(DAY0 + 100, 1, "", 0, 0,
            labelled(Direction.DOWN, 1, 1, 100, PHONE, false, null)))));
        // Newer, and says less: what it does not say is kept.
        store.ingest(new Batch("a", 2, List.of(context(DAY0 + 200, 1, "", 0, 0,
            labelled(Direction.DOWN, 1, 1, 10, keyOnly, false, null)))));
        final UsageQuery day = query(DAY0, DAY0 + DAY, Resolution.HOUR, GroupBy.DEVICE);
        assertEquals(List.of(GroupKey.ofDevice(PHONE.key(), "192.168.8.11", "phone")),
            store.totals(day).stream().map(GroupUsage::group).toList());
        // Newer, with new names: they win, for all of the device's bytes.
        store.ingest(new Batch("a", 3, List.of(context(DAY0 + 300, 1, "", 0, 0,
            labelled(Direction.DOWN, 1, 1, 1, renamed, false, null)))));
        // Older (a late resend of the spool): it changes nothing.
        store.ingest(new Batch("a", 4, List.of(context(DAY0 + 50, 1, "", 0, 0,
            labelled(Direction.DOWN, 1, 1, 1000, PHONE, false, null)))));
        final List<GroupUsage> devices = store.totals(day);
        assertEquals(List.of(GroupKey.ofDevice(PHONE.key(), "192.168.8.21", "phone-2")),
            devices.stream().map(GroupUsage::group).toList());
        assertEquals(1111, devices.get(0).usage().sum(TrafficCounters.IP_BYTES));
    }
}
