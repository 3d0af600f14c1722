package org.esimmeter.collector.store;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.esimmeter.wire.Addresses;
import org.esimmeter.wire.Batch;
import org.esimmeter.wire.Direction;
import org.esimmeter.wire.FlowUsage;
import org.esimmeter.wire.SecondUsage;
import org.esimmeter.wire.TrafficCounters;

/**
 * Test data and the expected answers, computed here by brute force over the generated input — never by the
 * store's code. Every counter is compared as a 9-long list (direction-major: up, down, unknown × packets,
 * wireBytes, ipBytes).
 */
final class UsageModel {
    /** What a query answer looks like, in comparable form. */
    record Point(long bucket, GroupKey group, List<Long> counters) {
    }

    private record Row(String agent, SecondUsage second) {
    }

    private final List<Row> rows = new ArrayList<>();

    /** Remembers every second of a batch the store acknowledged as STORED. */
    void stored(final Batch batch) {
        for (final SecondUsage second : batch.seconds()) {
            rows.add(new Row(batch.agentId(), second));
        }
    }

    List<Point> usage(final UsageQuery query) {
        final TreeMap<Long, TreeMap<GroupKey, long[]>> sums = new TreeMap<>();
        for (final Row row : rows) {
            final SecondUsage second = row.second();
            final long t = second.epochSecond();
            if (t < query.fromSecond() || t >= query.toSecond() || !matches(query, row)) {
                continue;
            }
            final long bucket = Math.floorDiv(t, query.step().seconds()) * query.step().seconds();
            final TreeMap<GroupKey, long[]> groups = sums.computeIfAbsent(bucket, k -> new TreeMap<>());
            if (query.groupBy().isFlowDimension()) {
                for (final FlowUsage flow : second.flows()) {
                    final long[] sum = groups.computeIfAbsent(flowGroup(query.groupBy(), flow), k -> new long[9]);
                    sum[flow.direction() * 3] += flow.packets();
                    sum[flow.direction() * 3 + 1] += flow.wireBytes();
                    sum[flow.direction() * 3 + 2] += flow.ipBytes();
                }
            } else {
                final long[] sum = groups.computeIfAbsent(interfaceGroup(query.groupBy(), row), k -> new long[9]);
                for (int d = 0; d < 3; d++) {
                    for (int m = 0; m < 3; m++) {
                        sum[d * 3 + m] += second.total().get(d, m);
                    }
                }
            }
        }
        final List<Point> points = new ArrayList<>();
        sums.forEach((bucket, groups) -> groups.forEach((group, sum) -> {
            if (!isZero(sum)) {
                points.add(new Point(bucket, group, list(sum)));
            }
        }));
        return points;
    }

    List<Point> totals(final UsageQuery query) {
        final Map<GroupKey, long[]> sums = new TreeMap<>();
        for (final Point point : usage(query)) {
            final long[] sum = sums.computeIfAbsent(point.group(), k -> new long[9]);
            for (int i = 0; i < 9; i++) {
                sum[i] += point.counters().get(i);
            }
        }
        final List<Point> totals = new ArrayList<>();
        sums.forEach((group, sum) -> totals.add(new Point(0, group, list(sum))));
        return totals;
    }

    private static boolean matches(final UsageQuery query, final Row row) {
        return (query.agent() == null || query.agent().equals(row.agent())) &&
            (query.interfaceName() == null || query.interfaceName().equals(row.second().interfaceName())) &&
            (query.profile() == null || query.profile().equals(row.second().profile()));
    }

    private static GroupKey interfaceGroup(final GroupBy groupBy, final Row row) {
        switch (groupBy) {
            case AGENT: return GroupKey.ofAgent(row.agent());
            case INTERFACE: return GroupKey.ofInterface(row.agent(), row.second().interfaceName(),
                row.second().profile());
            case PROFILE: return GroupKey.ofProfile(row.second().profile());
            default: throw new IllegalArgumentException(groupBy.label());
        }
    }

    static GroupKey flowGroup(final GroupBy groupBy, final FlowUsage flow) {
        final String src = Addresses.format(flow.ipVersion(), flow.srcHi(), flow.srcLo());
        final String dst = Addresses.format(flow.ipVersion(), flow.dstHi(), flow.dstLo());
        switch (groupBy) {
            case FLOW: return new GroupKey(null, null, null, Direction.name(flow.direction()), flow.protocol(), src,
                flow.srcPort(), dst, flow.dstPort());
            case DST: return new GroupKey(null, null, null, null, 0, null, 0, dst, 0);
            case SRC: return new GroupKey(null, null, null, null, 0, src, 0, null, 0);
            case PROTOCOL: return new GroupKey(null, null, null, null, flow.protocol(), null, 0, null, 0);
            default: throw new IllegalArgumentException(groupBy.label());
        }
    }

    static List<Long> list(final long[] sum) {
        final List<Long> values = new ArrayList<>(9);
        for (final long value : sum) {
            values.add(value);
        }
        return values;
    }

    static List<Long> list(final TrafficCounters counters) {
        final long[] values = new long[9];
        for (int d = 0; d < 3; d++) {
            for (int m = 0; m < 3; m++) {
                values[d * 3 + m] = counters.get(d, m);
            }
        }
        return list(values);
    }

    private static boolean isZero(final long[] sum) {
        for (final long value : sum) {
            if (value != 0) {
                return false;
            }
        }
        return true;
    }

    static List<Point> points(final List<UsagePoint> usage) {
        final List<Point> points = new ArrayList<>();
        for (final UsagePoint point : usage) {
            points.add(new Point(point.bucketStart(), point.group(), list(point.usage())));
        }
        return points;
    }

    static List<Point> totalPoints(final List<GroupUsage> totals) {
        final List<Point> points = new ArrayList<>();
        for (final GroupUsage total : totals) {
            points.add(new Point(0, total.group(), list(total.usage())));
        }
        return points;
    }

    // ---- generation ----

    /** A flow pool shared by all seconds, so flows recur across seconds and agents (as real ones do). */
    static List<FlowUsage> flowPool(final Random random, final int size) {
        final List<FlowUsage> pool = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            final boolean v6 = random.nextInt(4) == 0;
            final int direction = random.nextInt(3);
            final long srcHi = v6 ? 0x2001_0db8_0000_0000L | random.nextInt(16) : 0;
            final long srcLo = v6 ? random.nextInt(1 << 16) : Addresses.IPV4_MAPPED_PREFIX | 0x0A00_0000L |
                random.nextInt(8);
            final long dstHi = v6 ? 0x2a00_1450_0000_0000L | random.nextInt(4) : 0;
            final long dstLo = v6 ? random.nextInt(1 << 16) : Addresses.IPV4_MAPPED_PREFIX | 0x8E00_0000L |
                random.nextInt(6);
            final int protocol = random.nextBoolean() ? 6 : 17;
            pool.add(new FlowUsage(direction, v6 ? 6 : 4, protocol, srcHi, srcLo, 1024 + random.nextInt(50000),
                dstHi, dstLo, random.nextBoolean() ? 443 : 53, 0, 0, 0));
        }
        return pool;
    }

    /**
     * One interface-second with a few flows from the pool, plus non-IP bytes that only the interface total has.
     * Consistent the way the wire format requires: flows + nonIp == total per direction and metric.
     */
    static SecondUsage second(final Random random, final List<FlowUsage> pool, final String interfaceName,
        final String profile, final long epochSecond) {
        final TrafficCounters total = new TrafficCounters();
        final TrafficCounters nonIp = new TrafficCounters();
        final List<FlowUsage> flows = new ArrayList<>();
        final int flowCount = random.nextInt(4);
        final List<Integer> picked = new ArrayList<>();
        for (int i = 0; i < flowCount; i++) {
            final int index = random.nextInt(pool.size());
            if (picked.contains(index)) {
                continue;
            }
            picked.add(index);
            final FlowUsage f = pool.get(index);
            final long packets = 1 + random.nextInt(40);
            final long ipBytes = packets * (40 + random.nextInt(1400));
            final long wireBytes = ipBytes + packets * 14;
            flows.add(new FlowUsage(f.direction(), f.ipVersion(), f.protocol(), f.srcHi(), f.srcLo(), f.srcPort(),
                f.dstHi(), f.dstLo(), f.dstPort(), packets, wireBytes, ipBytes));
            total.add(f.direction(), packets, wireBytes, ipBytes);
        }
        if (random.nextInt(3) == 0) {
            final int direction = random.nextInt(3);
            final long packets = 1 + random.nextInt(3);
            nonIp.add(direction, packets, packets * 60, 0);
            total.add(direction, packets, packets * 60, 0);
        }
        return new SecondUsage(interfaceName, profile, epochSecond, total, nonIp, new TrafficCounters(),
            new TrafficCounters(), 0, 0, flows);
    }

    /** Groups an agent's seconds into batches of 1..maxSeconds seconds with increasing sequences from 1. */
    static List<Batch> batches(final Random random, final String agent, final List<SecondUsage> seconds,
        final int maxSeconds) {
        final List<Batch> batches = new ArrayList<>();
        long sequence = 1;
        for (int i = 0; i < seconds.size(); ) {
            final int n = Math.min(seconds.size() - i, 1 + random.nextInt(maxSeconds));
            batches.add(new Batch(agent, sequence++, seconds.subList(i, i + n)));
            i += n;
        }
        return batches;
    }

    static Map<String, Long> wireBytesByGroup(final List<Point> totals) {
        final Map<String, Long> bytes = new HashMap<>();
        for (final Point point : totals) {
            bytes.put(point.group().toString(), point.counters().get(1) + point.counters().get(4) +
                point.counters().get(7));
        }
        return bytes;
    }
}
