package org.esimmeter.collector.store.sqlite;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import org.esimmeter.collector.store.GroupBy;
import org.esimmeter.collector.store.Resolution;
import org.esimmeter.collector.store.RetentionPolicy;
import org.esimmeter.collector.store.UsageQuery;
import org.esimmeter.wire.Addresses;
import org.esimmeter.wire.Batch;
import org.esimmeter.wire.Direction;
import org.esimmeter.wire.FlowUsage;
import org.esimmeter.wire.SecondUsage;
import org.esimmeter.wire.TrafficCounters;

/**
 * Not a test: a store-level load run (no HTTP, no wire decoding). {@code agents} threads each ingest {@code seconds}
 * seconds of one interface with {@code flows} flows per second, {@code batchSeconds} seconds per batch, then a
 * 30-day per-profile usage query (step 1d, unaligned edges) is timed {@code queries} times.
 * <pre>
 * java -cp "$(cat cp.txt):collector/target/classes:collector/target/test-classes" \
 *   -Dagents=50 -Dseconds=600 -Dflows=100 -DbatchSeconds=10 org.esimmeter.collector.store.sqlite.IngestBenchmark
 * </pre>
 */
public final class IngestBenchmark {
    private IngestBenchmark() {
    }

    public static void main(final String[] args) throws Exception {
        final int agents = Integer.getInteger("agents", 50);
        final int seconds = Integer.getInteger("seconds", 600);
        final int flows = Integer.getInteger("flows", 100);
        final int batchSeconds = Integer.getInteger("batchSeconds", 10);
        final int queries = Integer.getInteger("queries", 2000);
        final Path directory = Files.createTempDirectory("store-bench");
        final long start = 1_700_000_000L - 1_700_000_000L % 86_400 + 3 * 86_400 + 1234;
        final Histogram latencyUs = new ConcurrentHistogram(3);
        final AtomicLong records = new AtomicLong();
        try (SqliteUsageStore store = SqliteUsageStore.open(directory, RetentionPolicy.DEFAULT)) {
            final ExecutorService pool = Executors.newFixedThreadPool(agents);
            final long t0 = System.nanoTime();
            final List<Future<?>> done = new ArrayList<>();
            for (int a = 0; a < agents; a++) {
                final int agent = a;
                done.add(pool.submit(() -> {
                    long sequence = 1;
                    for (int s = 0; s < seconds; s += batchSeconds) {
                        final Batch batch = batch(agent, sequence++, start + s, batchSeconds, flows);
                        final long before = System.nanoTime();
                        store.ingest(batch);
                        latencyUs.recordValue((System.nanoTime() - before) / 1000);
                        records.addAndGet((long) batchSeconds * flows);
                    }
                    return null;
                }));
            }
            for (final Future<?> future : done) {
                future.get();
            }
            final double elapsedS = (System.nanoTime() - t0) / 1e9;
            pool.shutdown();
            System.out.printf("ingest: %d flow-second records in %.2f s = %.0f records/s; batch latency p50 %d us, "
                + "p99 %d us, max %d us; db %d MiB%n", records.get(), elapsedS, records.get() / elapsedS,
                latencyUs.getValueAtPercentile(50), latencyUs.getValueAtPercentile(99), latencyUs.getMaxValue(),
                (Files.size(store.file()) + Files.size(Path.of(store.file() + "-wal"))) >> 20);

            final Histogram queryUs = new Histogram(3);
            final long to = start + seconds + 17;
            final long from = to - 30 * 86_400;
            for (int i = 0; i < queries; i++) {
                final long before = System.nanoTime();
                store.usage(new UsageQuery(from, to, Resolution.DAY, GroupBy.PROFILE, null, null, "profile-" + i % 5));
                queryUs.recordValue((System.nanoTime() - before) / 1000);
            }
            System.out.printf("30-day usage by profile (step 1d): p50 %d us, p99 %d us, max %d us%n",
                queryUs.getValueAtPercentile(50), queryUs.getValueAtPercentile(99), queryUs.getMaxValue());
            queryUs.reset();
            for (int i = 0; i < Math.min(queries, 200); i++) {
                final long before = System.nanoTime();
                store.top(new UsageQuery(from, to, Resolution.DAY, GroupBy.DST, null, null, "profile-" + i % 5), 10);
                queryUs.recordValue((System.nanoTime() - before) / 1000);
            }
            System.out.printf("30-day top 10 dst by profile: p50 %d us, p99 %d us%n",
                queryUs.getValueAtPercentile(50), queryUs.getValueAtPercentile(99));
        }
        try (var files = Files.list(directory)) {
            for (final Path file : (Iterable<Path>) files::iterator) {
                Files.delete(file);
            }
        }
        Files.delete(directory);
    }

    private static Batch batch(final int agent, final long sequence, final long firstSecond, final int seconds,
        final int flows) {
        final List<SecondUsage> list = new ArrayList<>(seconds);
        for (int i = 0; i < seconds; i++) {
            final TrafficCounters total = new TrafficCounters();
            final List<FlowUsage> flowList = new ArrayList<>(flows);
            for (int f = 0; f < flows; f++) {
                final int direction = f % 2 == 0 ? Direction.UP : Direction.DOWN;
                final long bytes = 60 + (f * 37 + i) % 1400;
                flowList.add(new FlowUsage(direction, 4, 6, 0, Addresses.IPV4_MAPPED_PREFIX | 0x0A000000L | agent,
                    30_000 + f, 0, Addresses.IPV4_MAPPED_PREFIX | 0x5DB80000L | f, 443, 1, bytes, bytes - 14));
                total.add(direction, 1, bytes, bytes - 14);
            }
            list.add(new SecondUsage("wwan0", "profile-" + agent % 5, firstSecond + i, total, new TrafficCounters(),
                new TrafficCounters(), new TrafficCounters(), 0, 0, flowList));
        }
        return new Batch("agent-" + agent, sequence, list);
    }
}
