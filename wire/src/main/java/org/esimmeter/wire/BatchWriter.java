package org.esimmeter.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Encodes one batch frame ({@link WireFormat}) into a caller's {@link ByteBuf}: {@link #begin} (or
 * {@link #beginMerged} for a batch whose records may span more than one second), then per second {@link #second}
 * followed by exactly as many {@link #flow}s as it declared, then any {@link #clockStep}s, then {@link #end}.
 * Reusable; writes nothing but the frame and allocates only the checksum's buffer view (and, under
 * {@link WireFormat#FLAG_CONTEXT}, one table entry per distinct device or service in the batch).
 * <p>
 * Every call validates all its arguments before it writes a byte: a refused call (IllegalArgumentException) leaves
 * the frame and the writer as they were, so the caller can skip one bad second and still end a valid batch.
 */
public final class BatchWriter {
    private final CRC32C crc = new CRC32C();
    private ByteBuf out;
    private int frameStart;
    private int secondCountIndex;
    private int labelsOffsetIndex;
    private int seconds;
    private int flowsExpected;
    private int flags;
    private int stepCountIndex;
    private int clockSteps;
    // Label tables of the open batch, in first-use order: index + 1 is what a flow refers to.
    private final Map<Device, Integer> devices = new LinkedHashMap<>();
    private final Map<String, Integer> services = new LinkedHashMap<>();

    /** A batch of one-second records: flags 0, the frame every agent wrote before merged records existed. */
    public BatchWriter begin(final ByteBuf out, final String agentId, final long sequence) {
        return begin(out, agentId, sequence, 0);
    }

    /** A batch whose records carry their span ({@link WireFormat#FLAG_SPANS}): the spool's merged records. */
    public BatchWriter beginMerged(final ByteBuf out, final String agentId, final long sequence) {
        return begin(out, agentId, sequence, WireFormat.FLAG_SPANS);
    }

    /**
     * A batch with any of {@link WireFormat#FLAG_SPANS} and {@link WireFormat#FLAG_CONTEXT} (serving network,
     * uncaptured bytes and flow labels); {@link WireFormat#FLAG_CLOCK_STEPS} is set by {@link #clockStep}.
     */
    public BatchWriter begin(final ByteBuf out, final String agentId, final long sequence, final int flags) {
        if ((flags & ~(WireFormat.FLAG_SPANS | WireFormat.FLAG_CONTEXT)) != 0) {
            throw new IllegalArgumentException(String.format("flags : 0x%02x (expected: SPANS 0x01 and/or CONTEXT " +
                "0x04)", flags));
        }
        if (this.out != null) {
            throw new IllegalStateException("a batch is already open");
        }
        if (agentId == null || agentId.isEmpty()) {
            throw new IllegalArgumentException("agentId : empty (expected: 1.." + WireFormat.MAX_STRING_BYTES +
                " UTF-8 bytes)");
        }
        requireStringLength("agentId", agentId);
        this.out = out;
        frameStart = out.writerIndex();
        out.writeInt(WireFormat.MAGIC);
        out.writeByte(WireFormat.VERSION);
        out.writeByte(flags); // FLAG_CLOCK_STEPS is patched in by the first clockStep()
        out.writeShort(0);
        out.writeInt(0); // body length, patched by end()
        writeString("agentId", agentId);
        out.writeLong(sequence);
        if ((flags & WireFormat.FLAG_CONTEXT) != 0) {
            labelsOffsetIndex = out.writerIndex();
            out.writeInt(0); // patched by end(): where the label tables start, so a reader has them before the flows
        }
        secondCountIndex = out.writerIndex();
        out.writeInt(0);
        seconds = 0;
        flowsExpected = 0;
        this.flags = flags;
        clockSteps = 0;
        devices.clear();
        services.clear();
        return this;
    }

    /** One second (span 1). */
    public BatchWriter second(final String interfaceName, final String profile, final long epochSecond,
        final TrafficCounters total, final TrafficCounters nonIp, final TrafficCounters unparsed,
        final TrafficCounters overflow, final long pcapReceived, final long pcapDropped, final int flowCount) {
        return second(interfaceName, profile, epochSecond, 1, total, nonIp, unparsed, overflow, pcapReceived,
            pcapDropped, flowCount);
    }

    /**
     * A record covering [epochSecond, epochSecond + spanSeconds); a span other than 1 needs a batch begun with
     * {@link #beginMerged}.
     */
    public BatchWriter second(final String interfaceName, final String profile, final long epochSecond,
        final int spanSeconds, final TrafficCounters total, final TrafficCounters nonIp,
        final TrafficCounters unparsed, final TrafficCounters overflow, final long pcapReceived,
        final long pcapDropped, final int flowCount) {
        return second(interfaceName, profile, epochSecond, spanSeconds, "", total, nonIp, unparsed, overflow, null,
            pcapReceived, pcapDropped, flowCount);
    }

    /**
     * A record with its context: the serving network ("" when unknown) and the bytes the capture never saw (null:
     * none). Either, when present, needs a batch begun with {@link WireFormat#FLAG_CONTEXT}.
     */
    public BatchWriter second(final String interfaceName, final String profile, final long epochSecond,
        final int spanSeconds, final String network, final TrafficCounters total, final TrafficCounters nonIp,
        final TrafficCounters unparsed, final TrafficCounters overflow, final TrafficCounters uncaptured,
        final long pcapReceived, final long pcapDropped, final int flowCount) {
        requireOpen();
        final boolean context = (flags & WireFormat.FLAG_CONTEXT) != 0;
        final boolean hasNetwork = network != null && !network.isEmpty();
        if (!context && (hasNetwork || (uncaptured != null && !uncaptured.isEmpty()))) {
            throw new IllegalArgumentException((hasNetwork ? "network" : "uncaptured") +
                " : needs a batch begun with FLAG_CONTEXT");
        }
        if (hasNetwork) {
            requireStringLength("network", network);
        }
        if (uncaptured != null) {
            requireNotNegative(uncaptured);
        }
        if (flowsExpected != 0) {
            throw new IllegalStateException(flowsExpected + " flows of the previous second are missing");
        }
        if (clockSteps != 0) {
            throw new IllegalStateException("no seconds after a clock step");
        }
        final boolean spans = (flags & WireFormat.FLAG_SPANS) != 0;
        if (!spans && spanSeconds != 1) {
            throw new IllegalArgumentException("spanSeconds : " + spanSeconds +
                " (expected: 1 in a batch begun with begin(); beginMerged() allows 1.." + WireFormat.MAX_SPAN_SECONDS +
                ")");
        }
        if (spanSeconds < 1 || spanSeconds > WireFormat.MAX_SPAN_SECONDS) {
            throw new IllegalArgumentException("spanSeconds : " + spanSeconds + " (expected: 1.." +
                WireFormat.MAX_SPAN_SECONDS + ")");
        }
        if (flowCount < 0) {
            throw new IllegalArgumentException("flowCount : " + flowCount + " (expected: >= 0)");
        }
        requireStringLength("interface", interfaceName);
        requireStringLength("profile", profile);
        requireNotNegative(total);
        requireNotNegative(nonIp);
        requireNotNegative(unparsed);
        requireNotNegative(overflow);
        requireNotNegative(pcapReceived);
        requireNotNegative(pcapDropped);
        writeString("interface", interfaceName);
        writeString("profile", profile);
        out.writeLong(epochSecond);
        if (spans) {
            writeVarint(spanSeconds);
        }
        writeCounters(total);
        writeCounters(nonIp);
        writeCounters(unparsed);
        writeCounters(overflow);
        writeVarint(pcapReceived);
        writeVarint(pcapDropped);
        if (context) {
            writeOptionalString(network);
            if (uncaptured == null) {
                out.writeZero(WireFormat.COUNTER_VALUES); // nine varints of 0
            } else {
                writeCounters(uncaptured);
            }
        }
        out.writeInt(flowCount);
        flowsExpected = flowCount;
        seconds++;
        return this;
    }

    public BatchWriter flow(final int direction, final int ipVersion, final int protocol, final long srcHi,
        final long srcLo, final int srcPort, final long dstHi, final long dstLo, final int dstPort,
        final long packets, final long wireBytes, final long ipBytes) {
        return flow(direction, ipVersion, protocol, srcHi, srcLo, srcPort, dstHi, dstLo, dstPort, packets, wireBytes,
            ipBytes, null, false, null);
    }

    public BatchWriter flow(final FlowUsage flow) {
        return flow(flow.direction(), flow.ipVersion(), flow.protocol(), flow.srcHi(), flow.srcLo(), flow.srcPort(),
            flow.dstHi(), flow.dstLo(), flow.dstPort(), flow.packets(), flow.wireBytes(), flow.ipBytes(),
            flow.device(), flow.approximate(), flow.service());
    }

    /**
     * A flow with the device and service it was attributed to (null: unknown); labels need a batch begun with
     * {@link WireFormat#FLAG_CONTEXT}. {@code approximate} says the device was inferred.
     */
    public BatchWriter flow(final int direction, final int ipVersion, final int protocol, final long srcHi,
        final long srcLo, final int srcPort, final long dstHi, final long dstLo, final int dstPort,
        final long packets, final long wireBytes, final long ipBytes, final Device device,
        final boolean approximate, final String service) {
        requireOpen();
        final boolean context = (flags & WireFormat.FLAG_CONTEXT) != 0;
        final boolean hasService = service != null && !service.isEmpty();
        if (!context && (device != null || hasService)) {
            throw new IllegalArgumentException((device != null ? "device" : "service") +
                " : needs a batch begun with FLAG_CONTEXT");
        }
        if (approximate && device == null) {
            throw new IllegalArgumentException("approximate : true without a device");
        }
        if (device != null) {
            requireStringLength("device.key", device.key());
            requireOptionalStringLength("device.address", device.address());
            requireOptionalStringLength("device.hostname", device.hostname());
        }
        if (hasService) {
            requireStringLength("service", service);
        }
        if (flowsExpected == 0) {
            throw new IllegalStateException("more flows than the second declared");
        }
        if (direction < 0 || direction >= Direction.COUNT) {
            throw new IllegalArgumentException("direction : " + direction + " (expected: 0.." + (Direction.COUNT - 1) +
                ")");
        }
        if (ipVersion != 4 && ipVersion != 6) {
            throw new IllegalArgumentException("ipVersion : " + ipVersion + " (expected: 4 or 6)");
        }
        requireRange("protocol", protocol, 255);
        requireRange("srcPort", srcPort, 65535);
        requireRange("dstPort", dstPort, 65535);
        requireNotNegative(packets);
        requireNotNegative(wireBytes);
        requireNotNegative(ipBytes);
        final boolean ipv6 = ipVersion == 6;
        out.writeByte((direction & WireFormat.FLAG_DIRECTION_MASK) | (ipv6 ? WireFormat.FLAG_IPV6 : 0) |
            (approximate ? WireFormat.FLAG_DEVICE_APPROXIMATE : 0));
        out.writeByte(protocol);
        out.writeShort(srcPort);
        out.writeShort(dstPort);
        writeAddress(ipv6, srcHi, srcLo);
        writeAddress(ipv6, dstHi, dstLo);
        writeVarint(packets);
        writeVarint(wireBytes);
        writeVarint(ipBytes);
        if (context) {
            writeVarint(device == null ? 0 : devices.computeIfAbsent(device, d -> devices.size() + 1));
            writeVarint(hasService ? services.computeIfAbsent(service, s -> services.size() + 1) : 0);
        }
        flowsExpected--;
        return this;
    }

    /**
     * A wall-clock step the agent detected, after the last second's flows (no seconds may follow). Sets
     * {@link WireFormat#FLAG_CLOCK_STEPS} in the header.
     *
     * @param stepMillis new wall clock minus what the old one would show; not 0
     * @param fromSecond first second timestamp stamped with the old clock
     * @param toSecond   last second timestamp stamped with the old clock, >= fromSecond
     */
    public BatchWriter clockStep(final long detectedAtMillis, final long stepMillis, final long fromSecond,
        final long toSecond) {
        requireOpen();
        if (flowsExpected != 0) {
            throw new IllegalStateException(flowsExpected + " flows of the last second are missing");
        }
        if (stepMillis == 0) {
            throw new IllegalArgumentException("stepMillis : 0 (expected: != 0)");
        }
        if (fromSecond > toSecond) {
            throw new IllegalArgumentException("fromSecond : " + fromSecond + " (expected: <= toSecond " + toSecond +
                ")");
        }
        if (clockSteps == 0) {
            flags |= WireFormat.FLAG_CLOCK_STEPS;
            out.setByte(frameStart + WireFormat.FLAGS_OFFSET, flags);
            stepCountIndex = out.writerIndex();
            out.writeInt(0); // patched by end()
        }
        out.writeLong(detectedAtMillis);
        out.writeLong(stepMillis);
        out.writeLong(fromSecond);
        out.writeLong(toSecond);
        clockSteps++;
        return this;
    }

    /** Patches counts and length, appends the checksum. @return the frame's length in bytes */
    public int end() {
        requireOpen();
        if (flowsExpected != 0) {
            throw new IllegalStateException(flowsExpected + " flows of the last second are missing");
        }
        out.setInt(secondCountIndex, seconds);
        if (clockSteps != 0) {
            out.setInt(stepCountIndex, clockSteps);
        }
        if ((flags & WireFormat.FLAG_CONTEXT) != 0) {
            out.setInt(labelsOffsetIndex, out.writerIndex() - frameStart - WireFormat.HEADER_LENGTH);
            out.writeInt(devices.size());
            for (final Device device : devices.keySet()) {
                writeString("device.key", device.key());
                writeOptionalString(device.address());
                writeOptionalString(device.hostname());
            }
            out.writeInt(services.size());
            for (final String service : services.keySet()) {
                writeString("service", service);
            }
            devices.clear();
            services.clear();
        }
        final int bodyLength = out.writerIndex() - frameStart - WireFormat.HEADER_LENGTH;
        out.setInt(frameStart + WireFormat.BODY_LENGTH_OFFSET, bodyLength);
        crc.reset();
        crc.update(out.nioBuffer(frameStart, WireFormat.HEADER_LENGTH + bodyLength));
        out.writeInt((int) crc.getValue());
        final int length = out.writerIndex() - frameStart;
        out = null;
        return length;
    }

    private void requireOpen() {
        if (out == null) {
            throw new IllegalStateException("no batch is open: call begin() first");
        }
    }

    private static int requireStringLength(final String name, final String value) {
        final int length = ByteBufUtil.utf8Bytes(value);
        if (length < 1 || length > WireFormat.MAX_STRING_BYTES) {
            throw new IllegalArgumentException(name + " : " + length + " UTF-8 bytes (expected: 1.." +
                WireFormat.MAX_STRING_BYTES + ")");
        }
        return length;
    }

    private static void requireOptionalStringLength(final String name, final String value) {
        if (value != null && !value.isEmpty()) {
            requireStringLength(name, value);
        }
    }

    private static void requireRange(final String name, final int value, final int max) {
        if (value < 0 || value > max) {
            throw new IllegalArgumentException(name + " : " + value + " (expected: 0.." + max + ")");
        }
    }

    private static void requireNotNegative(final long value) {
        if (value < 0) {
            throw new IllegalArgumentException("counter : " + value + " (expected: >= 0)");
        }
    }

    private static void requireNotNegative(final TrafficCounters counters) {
        for (int direction = 0; direction < Direction.COUNT; direction++) {
            for (int metric = 0; metric < TrafficCounters.METRICS; metric++) {
                requireNotNegative(counters.get(direction, metric));
            }
        }
    }

    private void writeString(final String name, final String value) {
        final int length = requireStringLength(name, value);
        out.writeByte(length);
        ByteBufUtil.writeUtf8(out, value);
    }

    /** str8opt: length 0 for absent. Callers have checked the length. */
    private void writeOptionalString(final String value) {
        if (value == null || value.isEmpty()) {
            out.writeByte(0);
        } else {
            out.writeByte(ByteBufUtil.utf8Bytes(value));
            ByteBufUtil.writeUtf8(out, value);
        }
    }

    private void writeCounters(final TrafficCounters counters) {
        for (int direction = 0; direction < Direction.COUNT; direction++) {
            for (int metric = 0; metric < TrafficCounters.METRICS; metric++) {
                writeVarint(counters.get(direction, metric));
            }
        }
    }

    private void writeAddress(final boolean ipv6, final long hi, final long lo) {
        if (ipv6) {
            out.writeLong(hi);
            out.writeLong(lo);
        } else {
            out.writeInt((int) lo);
        }
    }

    /** Callers have checked {@code value >= 0}. */
    private void writeVarint(final long value) {
        long remaining = value;
        while ((remaining & ~0x7FL) != 0) {
            out.writeByte((int) ((remaining & 0x7F) | 0x80));
            remaining >>>= 7;
        }
        out.writeByte((int) remaining);
    }
}
