package org.esimmeter.collector.store;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.esimmeter.wire.Addresses;
import org.esimmeter.wire.Batch;
import org.esimmeter.wire.Device;
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
    /**
     * What a query answer looks like, in comparable form: captured counters, uncaptured ones (interface dimensions)
     * and the approximately attributed part (flow dimensions).
     */
    record Point(long bucket, GroupKey group, List<Long> counters, List<Long> uncaptured, List<Long> approximate) {
    }

    /** LAN devices the generated flows are attributed to; one never named itself. */
    static final List<Device> DEVICES = List.of(new Device("aa:bb:cc:00:00:01", "192.168.8.11", "phone"),
        new Device("aa:bb:cc:00:00:02", "192.168.8.12", "laptop"), new Device("aa:bb:cc:00:00:03", null, null),
        new Device("192.168.8.14", "192.168.8.14", "tv"));
    static final List<String> SERVICES = List.of("video.example.com", "dns.example.net", "cdn.example.org",
        "mail.example.com");
    static final List<String> NETWORKS = List.of("", "23415", "26201");

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
            // 27 values: counters, uncaptured, approximate
            final TreeMap<GroupKey, long[]> groups = sums.computeIfAbsent(bucket, k -> new TreeMap<>());
            if (query.groupBy().isFlowDimension()) {
                for (final FlowUsage flow : second.flows()) {
                    if ((query.device() != null && (flow.device() == null ||
                        !query.device().equals(storedKey(row.agent(), flow.device())))) ||
                        (query.service() != null && !query.service().equals(flow.service()))) {
                        continue;
                    }
                    final long[] sum = groups.computeIfAbsent(flowGroup(query.groupBy(), row.agent(), flow),
                        k -> new long[27]);
                    for (final int base : flow.approximate() ? new int[] {0, 18} : new int[] {0}) {
                        sum[base + flow.direction() * 3] += flow.packets();
                        sum[base + flow.direction() * 3 + 1] += flow.wireBytes();
                        sum[base + flow.direction() * 3 + 2] += flow.ipBytes();
                    }
                }
            } else {
                final long[] sum = groups.computeIfAbsent(interfaceGroup(query.groupBy(), row), k -> new long[27]);
                for (int d = 0; d < 3; d++) {
                    for (int m = 0; m < 3; m++) {
                        sum[d * 3 + m] += second.total().get(d, m);
                        sum[9 + d * 3 + m] += second.uncaptured().get(d, m);
                    }
                }
            }
        }
        final List<Point> points = new ArrayList<>();
        sums.forEach((bucket, groups) -> groups.forEach((group, sum) -> {
            if (!isZero(java.util.Arrays.copyOf(sum, 18))) {
                points.add(point(bucket, group, sum));
            }
        }));
        return points;
    }

    /** A point of 27 values: counters, uncaptured, approximate. */
    static Point point(final long bucket, final GroupKey group, final long[] sum) {
        return new Point(bucket, group, list(java.util.Arrays.copyOfRange(sum, 0, 9)),
            list(java.util.Arrays.copyOfRange(sum, 9, 18)), list(java.util.Arrays.copyOfRange(sum, 18, 27)));
    }

    /** The 27 values of a point, to sum points. */
    static long[] values(final Point point) {
        final long[] values = new long[27];
        for (int i = 0; i < 9; i++) {
            values[i] = point.counters().get(i);
            values[9 + i] = point.uncaptured().get(i);
            values[18 + i] = point.approximate().get(i);
        }
        return values;
    }

    /**
     * The device groups as the store names them: a device's address and hostname as last reported. The generated
     * devices never change names, so they are the pool's.
     */
    private static GroupKey deviceGroup(final String agentId, final Device device) {
        return device == null ? GroupKey.ofDevice(null, null, null) :
            GroupKey.ofDevice(storedKey(agentId, device), device.address(), device.hostname());
    }

    /** A MAC names a device everywhere; a LAN address only on its own agent's router: AGENT/ADDRESS. */
    static String storedKey(final String agentId, final Device device) {
        return device.key().matches("[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}") ? device.key() :
            agentId + "/" + device.key();
    }

    List<Point> totals(final UsageQuery query) {
        final Map<GroupKey, long[]> sums = new TreeMap<>();
        for (final Point point : usage(query)) {
            final long[] sum = sums.computeIfAbsent(point.group(), k -> new long[27]);
            final long[] values = values(point);
            for (int i = 0; i < 27; i++) {
                sum[i] += values[i];
            }
        }
        final List<Point> totals = new ArrayList<>();
        sums.forEach((group, sum) -> totals.add(point(0, group, sum)));
        return totals;
    }

    private static boolean matches(final UsageQuery query, final Row row) {
        return (query.agent() == null || query.agent().equals(row.agent())) &&
            (query.interfaceName() == null || query.interfaceName().equals(row.second().interfaceName())) &&
            (query.profile() == null || query.profile().equals(row.second().profile())) &&
            (query.network() == null || query.network().equals(row.second().network()));
    }

    private static GroupKey interfaceGroup(final GroupBy groupBy, final Row row) {
        switch (groupBy) {
            case AGENT: return GroupKey.ofAgent(row.agent());
            case INTERFACE: return GroupKey.ofInterface(row.agent(), row.second().interfaceName(),
                row.second().profile());
            case PROFILE: return GroupKey.ofProfile(row.second().profile());
            case NETWORK: return GroupKey.ofNetwork(row.second().network());
            default: throw new IllegalArgumentException(groupBy.label());
        }
    }

    static GroupKey flowGroup(final GroupBy groupBy, final String agentId, final FlowUsage flow) {
        final String src = Addresses.format(flow.ipVersion(), flow.srcHi(), flow.srcLo());
        final String dst = Addresses.format(flow.ipVersion(), flow.dstHi(), flow.dstLo());
        switch (groupBy) {
            case FLOW: return new GroupKey(null, null, null, Direction.name(flow.direction()), flow.protocol(), src,
                flow.srcPort(), dst, flow.dstPort());
            case DST: return new GroupKey(null, null, null, null, 0, null, 0, dst, 0);
            case SRC: return new GroupKey(null, null, null, null, 0, src, 0, null, 0);
            case PROTOCOL: return new GroupKey(null, null, null, null, flow.protocol(), null, 0, null, 0);
            case DEVICE: return deviceGroup(agentId, flow.device());
            case SERVICE: return GroupKey.ofService(flow.service());
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
            points.add(new Point(point.bucketStart(), point.group(), list(point.usage()), list(point.uncaptured()),
                list(point.approximate())));
        }
        return points;
    }

    static List<Point> totalPoints(final List<GroupUsage> totals) {
        final List<Point> points = new ArrayList<>();
        for (final GroupUsage total : totals) {
            points.add(new Point(0, total.group(), list(total.usage()), list(total.uncaptured()),
                list(total.approximate())));
        }
        return points;
    }

    // ---- generation ----

    /**
     * A flow pool shared by all seconds, so flows recur across seconds and agents (as real ones do). Most flows are
     * attributed to a device (some approximately) and labelled with a service, as an agent with labels on does.
     */
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
            final Device device = random.nextInt(5) == 0 ? null : DEVICES.get(random.nextInt(DEVICES.size()));
            final String service = random.nextInt(4) == 0 ? null : SERVICES.get(random.nextInt(SERVICES.size()));
            pool.add(new FlowUsage(direction, v6 ? 6 : 4, protocol, srcHi, srcLo, 1024 + random.nextInt(50000),
                dstHi, dstLo, random.nextBoolean() ? 443 : 53, 0, 0, 0, device,
                device != null && random.nextInt(3) == 0, service));
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
            // Now and then the same 5-tuple with another label: a different flow key for the store.
            final String service = random.nextInt(10) == 0 ? SERVICES.get(random.nextInt(SERVICES.size())) :
                f.service();
            flows.add(new FlowUsage(f.direction(), f.ipVersion(), f.protocol(), f.srcHi(), f.srcLo(), f.srcPort(),
                f.dstHi(), f.dstLo(), f.dstPort(), packets, wireBytes, ipBytes, f.device(), f.approximate(),
                service));
            total.add(f.direction(), packets, wireBytes, ipBytes);
        }
        if (random.nextInt(3) == 0) {
            final int direction = random.nextInt(3);
            final long packets = 1 + random.nextInt(3);
            nonIp.add(direction, packets, packets * 60, 0);
            total.add(direction, packets, packets * 60, 0);
        }
        // Context: the serving network, and now and then bytes the kernel counted that no capture saw.
        final TrafficCounters uncaptured = new TrafficCounters();
        if (random.nextInt(4) == 0) {
            final long packets = 1 + random.nextInt(20);
            uncaptured.add(random.nextInt(3), packets, packets * 1400, packets * 1386);
        }
        return new SecondUsage(interfaceName, profile, epochSecond, total, nonIp, new TrafficCounters(),
            new TrafficCounters(), 0, 0, flows, 1, NETWORKS.get(random.nextInt(NETWORKS.size())), uncaptured);
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
