package org.esimmeter.collector.store.sqlite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.esimmeter.collector.store.GroupBy;
import org.esimmeter.collector.store.GroupUsage;
import org.esimmeter.collector.store.IngestOutcome;
import org.esimmeter.collector.store.Resolution;
import org.esimmeter.collector.store.RetentionPolicy;
import org.esimmeter.collector.store.UsagePoint;
import org.esimmeter.collector.store.UsageQuery;
import org.esimmeter.wire.TrafficCounters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acknowledged means durable: a child JVM ingests from several threads and prints each acknowledged batch; it is
 * killed with SIGKILL mid-stream; the database reopened here holds every acknowledged batch exactly once, and every
 * batch it holds is whole (all seconds, all flows, rollups agreeing with per-second rows).
 */
class SqliteUsageStoreCrashTest {
    private static final int ACKS_BEFORE_KILL = 400;

    @TempDir
    Path directory;

    @Test
    void shouldKeepEveryAcknowledgedBatchWholeAfterKillMinus9() throws Exception {
        final Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp", System.getProperty("java.class.path"), CrashChild.class.getName(), directory.toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
        final Map<Integer, Set<Long>> acknowledged = new HashMap<>();
        final CountDownLatch enough = new CountDownLatch(ACKS_BEFORE_KILL);
        final Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.US_ASCII))) {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    if (line.startsWith("ACK ")) {
                        final String[] parts = line.split(" ");
                        synchronized (acknowledged) {
                            acknowledged.computeIfAbsent(Integer.parseInt(parts[1]), k -> new HashSet<>())
                                .add(Long.parseLong(parts[2]));
                        }
                        enough.countDown();
                    }
                }
            } catch (final java.io.IOException e) {
                // the child's pipe closed when it was killed
            }
        });
        reader.start();
        try {
            assertTrue(enough.await(60, TimeUnit.SECONDS), "child acknowledged " + (ACKS_BEFORE_KILL -
                enough.getCount()) + " batches in 60 s");
        } finally {
            child.destroyForcibly(); // SIGKILL: no shutdown hooks, no close()
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
            reader.join(10_000);
        }
        assertEquals(137, child.exitValue(), "killed by SIGKILL");

        try (SqliteUsageStore store = SqliteUsageStore.open(directory, new RetentionPolicy(Map.of()))) {
            int stored = 0;
            for (int agent = 0; agent < CrashChild.AGENTS; agent++) {
                final Set<Long> acks = acknowledged.getOrDefault(agent, Set.of());
                final long maxAck = acks.stream().mapToLong(Long::longValue).max().orElse(0);
                // Per second: each second belongs to one batch, so its bytes tell whether that batch is there once.
                final long from = CrashChild.BASE;
                final long to = CrashChild.BASE + CrashChild.SECONDS * (maxAck + 1000);
                final Map<Long, Long> bytesBySecond = new HashMap<>();
                for (final UsagePoint point : store.usage(new UsageQuery(from, to, Resolution.SECOND, GroupBy.AGENT,
                    CrashChild.agent(agent), null, null))) {
                    bytesBySecond.put(point.bucketStart(), point.usage().sum(TrafficCounters.WIRE_BYTES));
                }
                final Map<Long, Long> flowBytesBySecond = new HashMap<>();
                for (final UsagePoint point : store.usage(new UsageQuery(from, to, Resolution.SECOND,
                    GroupBy.PROTOCOL, CrashChild.agent(agent), null, null))) {
                    flowBytesBySecond.put(point.bucketStart(), point.usage().sum(TrafficCounters.WIRE_BYTES));
                }
                final Set<Long> present = new HashSet<>();
                long expectedTotal = 0;
                for (long sequence = 1; sequence <= maxAck + 1000; sequence++) {
                    int seconds = 0;
                    for (int i = 0; i < CrashChild.SECONDS; i++) {
                        final long second = CrashChild.BASE + CrashChild.SECONDS * sequence + i;
                        if (!bytesBySecond.containsKey(second)) {
                            continue;
                        }
                        seconds++;
                        long expected = 0;
                        for (int f = 0; f < CrashChild.FLOWS; f++) {
                            expected += CrashChild.wireBytes(agent, sequence, i, f);
                        }
                        assertEquals(expected, bytesBySecond.get(second), "agent " + agent + " second " + second);
                        assertEquals(expected, flowBytesBySecond.get(second), "flows, agent " + agent + " s " + second);
                        expectedTotal += expected;
                    }
                    assertTrue(seconds == 0 || seconds == CrashChild.SECONDS,
                        "agent " + agent + " batch " + sequence + " half there: " + seconds + " seconds");
                    if (seconds > 0) {
                        present.add(sequence);
                    }
                }
                assertTrue(present.containsAll(acks), "agent " + agent + " lost acknowledged batches");
                // Rollups were committed with the seconds: the coarsest answer agrees.
                final List<GroupUsage> daily = store.totals(new UsageQuery(Resolution.DAY.bucketStart(from),
                    Resolution.DAY.bucketStart(to) + 86_400, Resolution.DAY, GroupBy.AGENT, CrashChild.agent(agent),
                    null, null));
                assertEquals(expectedTotal, daily.isEmpty() ? 0 : daily.get(0).usage().sum(TrafficCounters.WIRE_BYTES));
                // And the dedup rows: every acknowledged batch sent again is a duplicate.
                for (final long sequence : acks) {
                    assertEquals(IngestOutcome.DUPLICATE, store.ingest(CrashChild.batch(agent, sequence)));
                }
                stored += present.size();
            }
            assertTrue(stored >= ACKS_BEFORE_KILL, "stored " + stored);
        }
    }
}
