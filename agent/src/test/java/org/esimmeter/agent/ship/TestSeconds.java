package org.esimmeter.agent.ship;

import java.util.ArrayList;
import java.util.List;
import org.esimmeter.agent.meter.FlowMeta;
import org.esimmeter.agent.meter.FlowTable;
import org.esimmeter.agent.meter.SecondRecord;
import org.esimmeter.wire.Addresses;
import org.esimmeter.wire.Batch;
import org.esimmeter.wire.Direction;
import org.esimmeter.wire.FlowUsage;
import org.esimmeter.wire.SecondUsage;
import org.esimmeter.wire.TrafficCounters;

/**
 * Seconds to feed a sink, built from plain numbers (not by the meter), and the canonical text of what they say,
 * so that what the receiver decoded can be compared with what was fed.
 */
final class TestSeconds {
    private TestSeconds() {
    }

    /** A sealed second as the meter hands it over: a view over tables (here our own). */
    record Second(String interfaceName, String profile, long epochSecond, TrafficCounters total,
        TrafficCounters nonIp, TrafficCounters unparsed, FlowTable flows, long pcapReceived, long pcapDropped)
        implements SecondRecord {
    }

    /**
     * Second number {@code i}: {@code i % 7} IPv4 flows up, one IPv6 flow down, ARP up, one unparsed frame down,
     * and beyond {@code i % 5 == 4} an overflow; counters grow with {@code i} so varint lengths vary.
     */
    static Second second(final String interfaceName, final long epochSecond, final int i) {
        final FlowTable flows = new FlowTable(16, 64);
        final TrafficCounters total = new TrafficCounters();
        for (int f = 0; f < i % 7; f++) {
            final long packets = 1 + f + i;
            final long wire = packets * (60 + 100L * f);
            final long ip = wire - 14 * packets;
            flows.add(0, Addresses.IPV4_MAPPED_PREFIX | 0x0A00_0002L, 0, Addresses.IPV4_MAPPED_PREFIX | (0x0808_0800L + f),
                FlowMeta.pack(4, 6, 40_000 + f, 443, Direction.UP), packets, wire, ip);
            total.add(Direction.UP, packets, wire, ip);
        }
        final long v6Packets = 2 + i * 3L;
        flows.add(0x2001_0DB8_0000_0000L, 0x1, 0x2001_0DB8_0000_0000L, 0x2, FlowMeta.pack(6, 17, 53, 5353, Direction.DOWN),
            v6Packets, v6Packets * 1514, v6Packets * 1500);
        total.add(Direction.DOWN, v6Packets, v6Packets * 1514, v6Packets * 1500);
        final TrafficCounters nonIp = new TrafficCounters();
        nonIp.add(Direction.UP, 1, 60, 0);
        final TrafficCounters unparsed = new TrafficCounters();
        unparsed.add(Direction.DOWN, 1, 33, 0);
        if (i % 5 == 4) {
            flows.overflow().add(Direction.UNKNOWN, 10L * i, 1000L * i, 980L * i);
        }
        total.add(nonIp);
        total.add(unparsed);
        total.add(flows.overflow());
        return new Second(interfaceName, "profile-é", epochSecond, total, nonIp, unparsed, flows, 1000L + i, i % 3);
    }

    static List<Second> seconds(final int count, final long firstEpochSecond) {
        final List<Second> seconds = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            seconds.add(second(i % 2 == 0 ? "wwan0" : "wwan1", firstEpochSecond + i / 2, i));
        }
        return seconds;
    }

    static String describe(final SecondRecord second) {
        final StringBuilder text = new StringBuilder();
        text.append(second.interfaceName()).append('/').append(second.profile()).append(" @").append(second.epochSecond())
            .append(" pcap ").append(second.pcapReceived()).append('/').append(second.pcapDropped());
        counters(text, "total", second.total());
        counters(text, "nonIp", second.nonIp());
        counters(text, "unparsed", second.unparsed());
        counters(text, "overflow", second.flows().overflow());
        final FlowTable flows = second.flows();
        final List<String> lines = new ArrayList<>();
        for (int f = 0; f < flows.size(); f++) {
            final long meta = flows.meta(f);
            final int version = FlowMeta.ipVersion(meta);
            lines.add(flow(FlowMeta.direction(meta), FlowMeta.protocol(meta),
                Addresses.format(version, flows.srcHi(f), flows.srcLo(f)), FlowMeta.srcPort(meta),
                Addresses.format(version, flows.dstHi(f), flows.dstLo(f)), FlowMeta.dstPort(meta),
                flows.packets(f), flows.wireBytes(f), flows.ipBytes(f)));
        }
        lines.sort(null);
        lines.forEach(line -> text.append("\n  ").append(line));
        return text.toString();
    }

    static String describe(final SecondUsage second) {
        final StringBuilder text = new StringBuilder();
        text.append(second.interfaceName()).append('/').append(second.profile()).append(" @").append(second.epochSecond())
            .append(second.spanSeconds() == 1 ? "" : " span " + second.spanSeconds()).append(" pcap ").append(second.pcapReceived()).append('/').append(second.pcapDropped());
        counters(text, "total", second.total());
        counters(text, "nonIp", second.nonIp());
        counters(text, "unparsed", second.unparsed());
        counters(text, "overflow", second.overflow());
        final List<String> lines = new ArrayList<>();
        for (final FlowUsage flow : second.flows()) {
            lines.add(flow(flow.direction(), flow.protocol(), flow.src(), flow.srcPort(), flow.dst(), flow.dstPort(),
                flow.packets(), flow.wireBytes(), flow.ipBytes()));
        }
        lines.sort(null);
        lines.forEach(line -> text.append("\n  ").append(line));
        return text.toString();
    }

    static List<String> describeFed(final List<? extends SecondRecord> seconds) {
        return seconds.stream().map(TestSeconds::describe).toList();
    }

    static List<String> describeReceived(final List<Batch> batches) {
        return batches.stream().flatMap(batch -> batch.seconds().stream()).map(TestSeconds::describe).toList();
    }

    /** Received records as the meter's views again, so that {@link #describeMerged} can sum them too. */
    static List<Second> asRecords(final List<Batch> batches) {
        final List<Second> records = new ArrayList<>();
        for (final Batch batch : batches) {
            for (final SecondUsage second : batch.seconds()) {
                final FlowTable flows = new FlowTable(16, Math.max(64, second.flows().size() * 2));
                for (final FlowUsage flow : second.flows()) {
                    flows.add(flow.srcHi(), flow.srcLo(), flow.dstHi(), flow.dstLo(), FlowMeta.pack(flow.ipVersion(),
                        flow.protocol(), flow.srcPort(), flow.dstPort(), flow.direction()), flow.packets(),
                        flow.wireBytes(), flow.ipBytes());
                }
                flows.overflow().add(second.overflow());
                records.add(new Second(second.interfaceName(), second.profile(), second.epochSecond(), second.total(),
                    second.nonIp(), second.unparsed(), flows, second.pcapReceived(), second.pcapDropped()));
            }
        }
        return records;
    }

    /**
     * What merging {@code seconds} into records of {@code spanSeconds} must give, summed here by hand: one record per
     * (interface, profile, span start), counters and pcap figures added, flows added by key; without flows, their
     * bytes in the overflow. In order of each record's first second.
     */
    static List<String> describeMerged(final List<? extends SecondRecord> seconds, final int spanSeconds,
        final boolean keepFlows) {
        final java.util.Map<String, Object[]> records = new java.util.LinkedHashMap<>();
        for (final SecondRecord second : seconds) {
            final long start = Math.floorDiv(second.epochSecond(), spanSeconds) * spanSeconds;
            final Object[] sum = records.computeIfAbsent(second.interfaceName() + '/' + second.profile() + " @" +
                start + (spanSeconds == 1 ? "" : " span " + spanSeconds), key -> new Object[] {new TrafficCounters(),
                new TrafficCounters(), new TrafficCounters(), new TrafficCounters(), new long[2],
                new java.util.TreeMap<String, long[]>()});
            ((TrafficCounters) sum[0]).add(second.total());
            ((TrafficCounters) sum[1]).add(second.nonIp());
            ((TrafficCounters) sum[2]).add(second.unparsed());
            ((TrafficCounters) sum[3]).add(second.flows().overflow());
            ((long[]) sum[4])[0] += second.pcapReceived();
            ((long[]) sum[4])[1] += second.pcapDropped();
            @SuppressWarnings("unchecked")
            final java.util.Map<String, long[]> flows = (java.util.Map<String, long[]>) sum[5];
            final FlowTable table = second.flows();
            for (int f = 0; f < table.size(); f++) {
                final long meta = table.meta(f);
                if (!keepFlows) {
                    ((TrafficCounters) sum[3]).add(FlowMeta.direction(meta), table.packets(f), table.wireBytes(f),
                        table.ipBytes(f));
                    continue;
                }
                final int version = FlowMeta.ipVersion(meta);
                final long[] counts = flows.computeIfAbsent(flow(FlowMeta.direction(meta), FlowMeta.protocol(meta),
                    Addresses.format(version, table.srcHi(f), table.srcLo(f)), FlowMeta.srcPort(meta),
                    Addresses.format(version, table.dstHi(f), table.dstLo(f)), FlowMeta.dstPort(meta), 0, 0, 0),
                    key -> new long[3]);
                counts[0] += table.packets(f);
                counts[1] += table.wireBytes(f);
                counts[2] += table.ipBytes(f);
            }
        }
        final List<String> texts = new ArrayList<>();
        for (final java.util.Map.Entry<String, Object[]> record : records.entrySet()) {
            final Object[] sum = record.getValue();
            final StringBuilder text = new StringBuilder(record.getKey());
            text.append(" pcap ").append(((long[]) sum[4])[0]).append('/').append(((long[]) sum[4])[1]);
            counters(text, "total", (TrafficCounters) sum[0]);
            counters(text, "nonIp", (TrafficCounters) sum[1]);
            counters(text, "unparsed", (TrafficCounters) sum[2]);
            counters(text, "overflow", (TrafficCounters) sum[3]);
            final List<String> lines = new ArrayList<>();
            @SuppressWarnings("unchecked")
            final java.util.Map<String, long[]> flows = (java.util.Map<String, long[]>) sum[5];
            flows.forEach((key, counts) -> lines.add(key.substring(0, key.length() - " 0/0/0".length()) + " " +
                counts[0] + "/" + counts[1] + "/" + counts[2]));
            lines.sort(null);
            lines.forEach(line -> text.append("\n  ").append(line));
            texts.add(text.toString());
        }
        return texts;
    }

    private static String flow(final int direction, final int protocol, final String src, final int srcPort,
        final String dst, final int dstPort, final long packets, final long wireBytes, final long ipBytes) {
        return Direction.name(direction) + " " + protocol + " " + src + ":" + srcPort + " > " + dst + ":" + dstPort +
            " " + packets + "/" + wireBytes + "/" + ipBytes;
    }

    private static void counters(final StringBuilder text, final String name, final TrafficCounters counters) {
        text.append(' ').append(name);
        for (int direction = 0; direction < Direction.COUNT; direction++) {
            for (int metric = 0; metric < TrafficCounters.METRICS; metric++) {
                text.append(metric == 0 ? " " : "/").append(counters.get(direction, metric));
            }
        }
    }
}
