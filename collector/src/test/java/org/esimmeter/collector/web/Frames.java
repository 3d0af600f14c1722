package org.esimmeter.collector.web;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.esimmeter.wire.Addresses;
import org.esimmeter.wire.BatchWriter;
import org.esimmeter.wire.Device;
import org.esimmeter.wire.TrafficCounters;
import org.esimmeter.wire.WireFormat;

/**
 * Builds batch frames for tests with the wire module's own writer. A second's total is the sum of its flows and
 * non-IP bytes, as an agent seals it (the reader refuses anything else). A batch with a merged record (span > 1)
 * is begun with {@code beginMerged}; clock steps follow the last second. A batch with a serving network, uncaptured
 * bytes or a labelled flow is written with the CONTEXT flag.
 */
public final class Frames {
    private final String agentId;
    private final long sequence;
    private final List<Second> seconds = new ArrayList<>();
    private final List<long[]> clockSteps = new ArrayList<>();

    private Frames(final String agentId, final long sequence) {
        this.agentId = agentId;
        this.sequence = sequence;
    }

    public static Frames batch(final String agentId, final long sequence) {
        return new Frames(agentId, sequence);
    }

    public Frames second(final String interfaceName, final String profile, final long epochSecond) {
        return merged(interfaceName, profile, epochSecond, 1);
    }

    /** A record covering [epochSecond, epochSecond + spanSeconds), as the agent's spool merges at its cap. */
    public Frames merged(final String interfaceName, final String profile, final long epochSecond,
        final int spanSeconds) {
        seconds.add(new Second(interfaceName, profile, epochSecond, spanSeconds));
        return this;
    }

    public Frames clockStep(final long detectedAtMillis, final long stepMillis, final long fromSecond,
        final long toSecond) {
        clockSteps.add(new long[] {detectedAtMillis, stepMillis, fromSecond, toSecond});
        return this;
    }

    /** An IPv4 flow of the last second. */
    public Frames flow(final int direction, final int protocol, final String src, final int srcPort, final String dst,
        final int dstPort, final long packets, final long wireBytes, final long ipBytes) {
        last().flows.add(new long[] {direction, protocol, ipv4(src), srcPort, ipv4(dst), dstPort, packets, wireBytes,
            ipBytes});
        return this;
    }

    /** An IPv4 flow of the last second with the device (null: none) and service (null: none) it is attributed to. */
    public Frames flow(final int direction, final int protocol, final String src, final int srcPort, final String dst,
        final int dstPort, final long packets, final long wireBytes, final long ipBytes, final Device device,
        final boolean approximate, final String service) {
        flow(direction, protocol, src, srcPort, dst, dstPort, packets, wireBytes, ipBytes);
        last().labels.put(last().flows.size() - 1, new Label(device, approximate, service));
        return this;
    }

    /** The serving network (MCC+MNC) of the last second. */
    public Frames network(final String network) {
        last().network = network;
        return this;
    }

    /** Bytes the kernel counted on the last second's interface that no capture saw (outside its total). */
    public Frames uncaptured(final int direction, final long packets, final long wireBytes, final long ipBytes) {
        last().uncaptured.add(direction, packets, wireBytes, ipBytes);
        return this;
    }

    /** Non-IP frames of the last second (no flow; counted in the interface total). */
    public Frames nonIp(final int direction, final long packets, final long wireBytes) {
        last().nonIp.add(direction, packets, wireBytes, 0);
        return this;
    }

    public byte[] encode() {
        final ByteBuf out = Unpooled.buffer();
        try {
            final boolean merged = seconds.stream().anyMatch(second -> second.spanSeconds > 1);
            final int flags = (merged ? WireFormat.FLAG_SPANS : 0) |
                (seconds.stream().anyMatch(Second::hasContext) ? WireFormat.FLAG_CONTEXT : 0);
            final BatchWriter writer = new BatchWriter().begin(out, agentId, sequence, flags);
            for (final Second second : seconds) {
                final TrafficCounters total = new TrafficCounters();
                total.add(second.nonIp);
                for (final long[] flow : second.flows) {
                    total.add((int) flow[0], flow[6], flow[7], flow[8]);
                }
                writer.second(second.interfaceName, second.profile, second.epochSecond, second.spanSeconds,
                    second.network, total, second.nonIp, new TrafficCounters(), new TrafficCounters(),
                    second.uncaptured, 0, 0, second.flows.size());
                for (int i = 0; i < second.flows.size(); i++) {
                    final long[] flow = second.flows.get(i);
                    final Label label = second.labels.getOrDefault(i, new Label(null, false, null));
                    writer.flow((int) flow[0], 4, (int) flow[1], 0, flow[2], (int) flow[3], 0, flow[4], (int) flow[5],
                        flow[6], flow[7], flow[8], label.device, label.approximate, label.service);
                }
            }
            for (final long[] step : clockSteps) {
                writer.clockStep(step[0], step[1], step[2], step[3]);
            }
            writer.end();
            return ByteBufUtil.getBytes(out);
        } finally {
            out.release();
        }
    }

    private Second last() {
        return seconds.get(seconds.size() - 1);
    }

    private static long ipv4(final String text) {
        try {
            final byte[] bytes = InetAddress.getByName(text).getAddress();
            return Addresses.IPV4_MAPPED_PREFIX | ((bytes[0] & 0xFFL) << 24 | (bytes[1] & 0xFFL) << 16 |
                (bytes[2] & 0xFFL) << 8 | (bytes[3] & 0xFFL));
        } catch (final UnknownHostException e) {
            throw new IllegalArgumentException(text, e);
        }
    }

    private record Label(Device device, boolean approximate, String service) {
    }

    private static final class Second {
        final String interfaceName;
        final String profile;
        final long epochSecond;
        final int spanSeconds;
        final TrafficCounters nonIp = new TrafficCounters();
        final List<long[]> flows = new ArrayList<>();
        final Map<Integer, Label> labels = new HashMap<>();
        final TrafficCounters uncaptured = new TrafficCounters();
        String network = "";

        Second(final String interfaceName, final String profile, final long epochSecond, final int spanSeconds) {
            this.interfaceName = interfaceName;
            this.profile = profile;
            this.epochSecond = epochSecond;
            this.spanSeconds = spanSeconds;
        }

        boolean hasContext() {
            return !network.isEmpty() || !uncaptured.isEmpty() || !labels.isEmpty();
        }
    }
}
