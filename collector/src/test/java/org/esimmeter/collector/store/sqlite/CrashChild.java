package org.esimmeter.collector.store.sqlite;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.esimmeter.collector.store.IngestOutcome;
import org.esimmeter.collector.store.RetentionPolicy;
import org.esimmeter.wire.Addresses;
import org.esimmeter.wire.Batch;
import org.esimmeter.wire.Direction;
import org.esimmeter.wire.FlowUsage;
import org.esimmeter.wire.SecondUsage;
import org.esimmeter.wire.TrafficCounters;

/**
 * The process {@link SqliteUsageStoreCrashTest} kills: {@value #AGENTS} threads ingest batches for ever, each
 * printing {@code ACK agent sequence} only after ingest returned STORED. Batch (agent, n) holds the seconds
 * {@code BASE + 10 n .. BASE + 10 n + 9}, each with {@value #FLOWS} flows whose bytes are {@link #wireBytes}.
 */
public final class CrashChild {
    static final int AGENTS = 4;
    static final int SECONDS = 10;
    static final int FLOWS = 20;
    static final long BASE = 1_700_000_000L;

    private CrashChild() {
    }

    static String agent(final int index) {
        return "crash-" + index;
    }

    /** Wire bytes of one flow in second {@code i} of batch {@code sequence} of agent {@code agent}. */
    static long wireBytes(final int agent, final long sequence, final int second, final int flow) {
        return 100 + agent * 7 + sequence % 13 + second * 3 + flow;
    }

    static Batch batch(final int agent, final long sequence) {
        final List<SecondUsage> seconds = new ArrayList<>(SECONDS);
        for (int i = 0; i < SECONDS; i++) {
            final TrafficCounters total = new TrafficCounters();
            final List<FlowUsage> flows = new ArrayList<>(FLOWS);
            for (int f = 0; f < FLOWS; f++) {
                final long bytes = wireBytes(agent, sequence, i, f);
                flows.add(new FlowUsage(Direction.DOWN, 4, 6, 0, Addresses.IPV4_MAPPED_PREFIX | 0x0A000000L | f,
                    40_000 + f, 0, Addresses.IPV4_MAPPED_PREFIX | 0x5DB8D822L, 443, 1, bytes, bytes - 14));
                total.add(Direction.DOWN, 1, bytes, bytes - 14);
            }
            seconds.add(new SecondUsage("wwan0", "p", BASE + SECONDS * sequence + i, total, new TrafficCounters(),
                new TrafficCounters(), new TrafficCounters(), 0, 0, flows));
        }
        return new Batch(agent(agent), sequence, seconds);
    }

    public static void main(final String[] args) throws Exception {
        final SqliteUsageStore store = SqliteUsageStore.open(Path.of(args[0]), new RetentionPolicy(Map.of()));
        System.out.println("READY");
        System.out.flush();
        final List<Thread> threads = new ArrayList<>();
        for (int a = 0; a < AGENTS; a++) {
            final int agent = a;
            final Thread thread = new Thread(() -> {
                try {
                    for (long sequence = 1; ; sequence++) {
                        if (store.ingest(batch(agent, sequence)) == IngestOutcome.STORED) {
                            synchronized (System.out) {
                                System.out.println("ACK " + agent + " " + sequence);
                                System.out.flush();
                            }
                        }
                    }
                } catch (final Exception e) {
                    e.printStackTrace();
                }
            });
            thread.start();
            threads.add(thread);
        }
        for (final Thread thread : threads) {
            thread.join();
        }
    }
}
