package org.esimmeter.agent.meter;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.esimmeter.wire.Direction;
import org.esimmeter.wire.TrafficCounters;

/** A copy of a {@link SecondRecord}, which is only a view valid during {@link SecondSink#onSecond}. */
final class SecondSnapshot {
    final String interfaceName;
    final String profile;
    final long epochSecond;
    final long[][] total;
    final long[][] nonIp;
    final long[][] unparsed;
    final long[][] overflow;
    final long[][] uncaptured;
    final Map<Flow, long[]> flows = new LinkedHashMap<>();

    private SecondSnapshot(final SecondRecord record) {
        interfaceName = record.interfaceName();
        profile = record.profile();
        epochSecond = record.epochSecond();
        total = copy(record.total());
        nonIp = copy(record.nonIp());
        unparsed = copy(record.unparsed());
        overflow = copy(record.flows().overflow());
        uncaptured = copy(record.uncaptured());
        final FlowTable table = record.flows();
        for (int i = 0; i < table.size(); i++) {
            final long meta = table.meta(i);
            final Flow flow = new Flow(FlowMeta.direction(meta), FlowMeta.ipVersion(meta), FlowMeta.protocol(meta),
                table.srcHi(i), table.srcLo(i), FlowMeta.srcPort(meta), table.dstHi(i), table.dstLo(i),
                FlowMeta.dstPort(meta));
            if (flows.put(flow, new long[] {table.packets(i), table.wireBytes(i), table.ipBytes(i)}) != null) {
                throw new AssertionError("flow listed twice in one second: " + flow);
            }
        }
    }

    static SecondSnapshot of(final SecondRecord record) {
        return new SecondSnapshot(record);
    }

    /** Sum over the flows of one direction: packets, wire bytes, IP bytes. */
    long[] flowSum(final int direction) {
        final long[] sum = new long[TrafficCounters.METRICS];
        for (final Map.Entry<Flow, long[]> flow : flows.entrySet()) {
            if (flow.getKey().direction == direction) {
                for (int metric = 0; metric < TrafficCounters.METRICS; metric++) {
                    sum[metric] += flow.getValue()[metric];
                }
            }
        }
        return sum;
    }

    long[] flow(final Flow flow) {
        return flows.get(flow);
    }

    private static long[][] copy(final TrafficCounters counters) {
        final long[][] copy = new long[Direction.COUNT][TrafficCounters.METRICS];
        for (int direction = 0; direction < Direction.COUNT; direction++) {
            for (int metric = 0; metric < TrafficCounters.METRICS; metric++) {
                copy[direction][metric] = counters.get(direction, metric);
            }
        }
        return copy;
    }

    /** A unidirectional flow of one direction, addresses as the decoder stores them (IPv4 as ::ffff:a.b.c.d). */
    record Flow(int direction, int ipVersion, int protocol, long srcHi, long srcLo, int srcPort, long dstHi,
                long dstLo, int dstPort) {

        static Flow of(final int direction, final int protocol, final String src, final int srcPort,
            final String dst, final int dstPort) {
            final long[] s = address(src);
            final long[] d = address(dst);
            return new Flow(direction, src.contains(":") ? 6 : 4, protocol, s[0], s[1], srcPort, d[0], d[1], dstPort);
        }

        private static long[] address(final String text) {
            final byte[] bytes;
            try {
                bytes = InetAddress.getByName(text).getAddress();
            } catch (final UnknownHostException e) {
                throw new IllegalArgumentException(text, e);
            }
            if (bytes.length == 4) {
                long v4 = 0;
                for (final byte b : bytes) {
                    v4 = (v4 << 8) | (b & 0xFF);
                }
                return new long[] {0, 0x0000_FFFF_0000_0000L | v4};
            }
            long hi = 0;
            long lo = 0;
            for (int i = 0; i < 8; i++) {
                hi = (hi << 8) | (bytes[i] & 0xFF);
                lo = (lo << 8) | (bytes[8 + i] & 0xFF);
            }
            return new long[] {hi, lo};
        }
    }
}
