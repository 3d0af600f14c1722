package org.esimmeter.wire;

import io.netty.buffer.ByteBuf;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Decodes one batch frame ({@link WireFormat}) and checks everything a sender could get wrong or an attacker could
 * exploit: magic, version, declared length against the bytes present, size bound, checksum, unknown flags, string
 * lengths and UTF-8, counts bounded by the bytes left (no allocation driven by a forged count), varint overflow,
 * direction values, span and clock-step ranges, trailing bytes, and the sum invariant of every second. Never reads
 * past the frame; throws {@link WireFormatException} with a one-line reason instead.
 */
public final class BatchReader {
    private final int maxFrameBytes;
    private final CRC32C crc = new CRC32C();

    public BatchReader(final int maxFrameBytes) {
        if (maxFrameBytes < WireFormat.HEADER_LENGTH + WireFormat.CHECKSUM_LENGTH) {
            throw new IllegalArgumentException("maxFrameBytes : " + maxFrameBytes + " (expected: >= " +
                (WireFormat.HEADER_LENGTH + WireFormat.CHECKSUM_LENGTH) + ")");
        }
        this.maxFrameBytes = maxFrameBytes;
    }

    /**
     * Reads 1..{@code maxFrames} frames that lie back to back in {@code body}'s readable bytes, each delimited by its
     * own body length field: an agent catching up after an outage sends its backlog in one request. All or nothing:
     * the first bad frame throws, its reason prefixed with its index ({@code frame[3] : checksum ...}).
     */
    public List<Batch> readAll(final ByteBuf body, final int maxFrames) throws WireFormatException {
        if (maxFrames < 1) {
            throw new IllegalArgumentException("maxFrames : " + maxFrames + " (expected: >= 1)");
        }
        if (!body.isReadable()) {
            throw new WireFormatException("body : empty (expected: 1.." + maxFrames + " frames)");
        }
        final List<Batch> batches = new ArrayList<>();
        while (body.isReadable()) {
            final int index = batches.size();
            if (index == maxFrames) {
                throw new WireFormatException("frames : more than " + maxFrames + " in one body (expected: 1.." +
                    maxFrames + ")");
            }
            final int start = body.readerIndex();
            final int available = body.readableBytes();
            int length = available;
            // Only a frame's own length field delimits it; without the magic there is none, and read() says so.
            if (available >= WireFormat.HEADER_LENGTH &&
                body.getInt(start + WireFormat.MAGIC_OFFSET) == WireFormat.MAGIC) {
                final long declared = WireFormat.HEADER_LENGTH +
                    body.getUnsignedInt(start + WireFormat.BODY_LENGTH_OFFSET) + WireFormat.CHECKSUM_LENGTH;
                if (declared > maxFrameBytes) {
                    throw new WireFormatException("frame[" + index + "] : " + declared + " bytes (expected: <= " +
                        maxFrameBytes + ")");
                }
                // A frame that declares more than is left is given the rest, and read() says it is truncated.
                length = (int) Math.min(declared, available);
            }
            try {
                batches.add(read(body.slice(start, length)));
            } catch (final WireFormatException e) {
                final String reason = e.getMessage();
                throw new WireFormatException("frame[" + index + "] : " +
                    (reason.startsWith("frame : ") ? reason.substring("frame : ".length()) : reason));
            }
            body.readerIndex(start + length);
        }
        return batches;
    }

    /** Reads the single frame that fills {@code frame}'s readable bytes; moves its reader index to the end. */
    public Batch read(final ByteBuf frame) throws WireFormatException {
        final int start = frame.readerIndex();
        final int available = frame.readableBytes();
        if (available > maxFrameBytes) {
            throw new WireFormatException("frame : " + available + " bytes (expected: <= " + maxFrameBytes + ")");
        }
        if (available < WireFormat.HEADER_LENGTH + WireFormat.CHECKSUM_LENGTH) {
            throw new WireFormatException("frame : truncated at " + available + " bytes (expected: >= " +
                (WireFormat.HEADER_LENGTH + WireFormat.CHECKSUM_LENGTH) + ")");
        }
        final int magic = frame.getInt(start + WireFormat.MAGIC_OFFSET);
        if (magic != WireFormat.MAGIC) {
            throw new WireFormatException(String.format("magic : 0x%08x (expected: 0x%08x, \"ESMB\")", magic,
                WireFormat.MAGIC));
        }
        final int version = frame.getUnsignedByte(start + WireFormat.VERSION_OFFSET);
        if (version != WireFormat.VERSION) {
            throw new WireFormatException("version : " + version + " (expected: " + WireFormat.VERSION + ")");
        }
        final long bodyLength = frame.getUnsignedInt(start + WireFormat.BODY_LENGTH_OFFSET);
        final long declared = WireFormat.HEADER_LENGTH + bodyLength + WireFormat.CHECKSUM_LENGTH;
        if (declared != available) {
            throw new WireFormatException("body length : " + bodyLength + " (frame has " +
                (available - WireFormat.HEADER_LENGTH - WireFormat.CHECKSUM_LENGTH) + " body bytes)");
        }
        final int checked = WireFormat.HEADER_LENGTH + (int) bodyLength;
        crc.reset();
        crc.update(frame.nioBuffer(start, checked));
        final int expectedCrc = frame.getInt(start + checked);
        if ((int) crc.getValue() != expectedCrc) {
            throw new WireFormatException(String.format("checksum : 0x%08x (frame says 0x%08x)",
                (int) crc.getValue(), expectedCrc));
        }
        // After the checksum: a flipped bit reads as corruption, an intact unknown flag as a sender that is newer.
        final int flags = frame.getUnsignedByte(start + WireFormat.FLAGS_OFFSET);
        if ((flags & ~WireFormat.KNOWN_FLAGS) != 0) {
            throw new WireFormatException(String.format("flags : 0x%02x (unknown bits 0x%02x)", flags,
                flags & ~WireFormat.KNOWN_FLAGS));
        }
        final boolean spans = (flags & WireFormat.FLAG_SPANS) != 0;
        final boolean context = (flags & WireFormat.FLAG_CONTEXT) != 0;

        final ByteBuf body = frame.slice(start + WireFormat.HEADER_LENGTH, (int) bodyLength);
        frame.readerIndex(start + available);
        final String agentId = readString(body, "agentId");
        final long sequence = readFixed(body, 8, "sequence") ? body.readLong() : 0;
        Labels labels = null;
        ByteBuf secondsPart = body;
        if (context) {
            readFixed(body, 4, "labels offset");
            final long labelsOffset = body.readUnsignedInt();
            if (labelsOffset < body.readerIndex() + 4 || labelsOffset > body.writerIndex()) {
                throw new WireFormatException("labels offset : " + labelsOffset + " (expected: " +
                    (body.readerIndex() + 4) + ".." + body.writerIndex() + ")");
            }
            labels = Labels.read(body.slice((int) labelsOffset, body.writerIndex() - (int) labelsOffset));
            secondsPart = body.slice(body.readerIndex(), (int) labelsOffset - body.readerIndex());
        }
        final long secondCount = readFixed(secondsPart, 4, "second count") ? secondsPart.readUnsignedInt() : 0;
        final int minSecondBytes = WireFormat.MIN_SECOND_BYTES + (spans ? 1 : 0) +
            (context ? WireFormat.MIN_CONTEXT_SECOND_BYTES : 0);
        if (secondCount * minSecondBytes > secondsPart.readableBytes()) {
            throw new WireFormatException("second count : " + secondCount + " does not fit in " +
                secondsPart.readableBytes() + " bytes");
        }
        final List<SecondUsage> seconds = new ArrayList<>((int) secondCount);
        // Under CONTEXT the label tables were read first (see labelsOffset above): flows name them as they are read.
        for (int i = 0; i < secondCount; i++) {
            seconds.add(readSecond(secondsPart, i, spans, labels));
        }
        final List<ClockStep> clockSteps = (flags & WireFormat.FLAG_CLOCK_STEPS) != 0 ?
            readClockSteps(secondsPart) : List.of();
        if (secondsPart.isReadable()) {
            throw new WireFormatException("body : " + secondsPart.readableBytes() + " bytes after the last " +
                (clockSteps.isEmpty() ? "second" : "clock step") + (labels == null ? "" : ", before the labels"));
        }
        return new Batch(agentId, sequence, seconds, clockSteps);
    }

    /** A CONTEXT batch's device and service tables, which its flows name by 1-based index (0: none). */
    private record Labels(List<Device> devices, List<String> services) {
        static Labels read(final ByteBuf tables) throws WireFormatException {
            final Labels labels = new Labels(readDevices(tables), readServices(tables));
            if (tables.isReadable()) {
                throw new WireFormatException("body : " + tables.readableBytes() + " bytes after the last label");
            }
            return labels;
        }

        Device device(final long ref, final String where) throws WireFormatException {
            return label(devices, ref, where);
        }

        String service(final long ref, final String where) throws WireFormatException {
            return label(services, ref, where);
        }

        private static <T> T label(final List<T> table, final long ref, final String where)
            throws WireFormatException {
            if (ref > table.size()) {
                throw new WireFormatException(where + " : " + ref + " (expected: 0.." + table.size() + ")");
            }
            return ref == 0 ? null : table.get((int) ref - 1);
        }
    }

    private static List<Device> readDevices(final ByteBuf body) throws WireFormatException {
        readFixed(body, 4, "device count");
        final long count = body.readUnsignedInt();
        // Smallest device: a one-byte key and two absent strings.
        if (count * 4 > body.readableBytes()) {
            throw new WireFormatException("device count : " + count + " does not fit in " + body.readableBytes() +
                " bytes");
        }
        final List<Device> devices = new ArrayList<>((int) count);
        for (int i = 0; i < count; i++) {
            final String where = "device[" + i + "]";
            final String key = readString(body, where + ".key");
            final String address = readOptionalString(body, where + ".address");
            final String hostname = readOptionalString(body, where + ".hostname");
            devices.add(new Device(key, address, hostname));
        }
        return devices;
    }

    private static List<String> readServices(final ByteBuf body) throws WireFormatException {
        readFixed(body, 4, "service count");
        final long count = body.readUnsignedInt();
        if (count * 2 > body.readableBytes()) {
            throw new WireFormatException("service count : " + count + " does not fit in " + body.readableBytes() +
                " bytes");
        }
        final List<String> services = new ArrayList<>((int) count);
        for (int i = 0; i < count; i++) {
            services.add(readString(body, "service[" + i + "]"));
        }
        return services;
    }

    private static List<ClockStep> readClockSteps(final ByteBuf body) throws WireFormatException {
        readFixed(body, 4, "clock step count");
        final long stepCount = body.readUnsignedInt();
        if (stepCount == 0) {
            throw new WireFormatException("clock step count : 0 (expected: >= 1 when flag 0x02 is set)");
        }
        if (stepCount * WireFormat.CLOCK_STEP_BYTES > body.readableBytes()) {
            throw new WireFormatException("clock step count : " + stepCount + " does not fit in " +
                body.readableBytes() + " bytes");
        }
        final List<ClockStep> steps = new ArrayList<>((int) stepCount);
        for (int i = 0; i < stepCount; i++) {
            final String where = "clockStep[" + i + "]";
            final long detectedAtMillis = body.readLong();
            final long stepMillis = body.readLong();
            final long from = body.readLong();
            final long to = body.readLong();
            if (stepMillis == 0) {
                throw new WireFormatException(where + ".stepMillis : 0 (expected: != 0)");
            }
            if (from > to) {
                throw new WireFormatException(where + ".affectedFromSecond : " + from + " (expected: <= " +
                    "affectedToSecond " + to + ")");
            }
            steps.add(new ClockStep(detectedAtMillis, stepMillis, from, to));
        }
        return steps;
    }

    private static SecondUsage readSecond(final ByteBuf body, final int index, final boolean spans,
        final Labels labels) throws WireFormatException {
        final String where = "second[" + index + "]";
        final String interfaceName = readString(body, where + ".interface");
        final String profile = readString(body, where + ".profile");
        readFixed(body, 8, where + ".epochSecond");
        final long epochSecond = body.readLong();
        final int spanSeconds;
        if (spans) {
            final long span = readVarint(body, where + ".spanSeconds");
            if (span < 1 || span > WireFormat.MAX_SPAN_SECONDS) {
                throw new WireFormatException(where + ".spanSeconds : " + span + " (expected: 1.." +
                    WireFormat.MAX_SPAN_SECONDS + ")");
            }
            spanSeconds = (int) span;
        } else {
            spanSeconds = 1;
        }
        final TrafficCounters total = readCounters(body, where + ".total");
        final TrafficCounters nonIp = readCounters(body, where + ".nonIp");
        final TrafficCounters unparsed = readCounters(body, where + ".unparsed");
        final TrafficCounters overflow = readCounters(body, where + ".overflow");
        final long pcapReceived = readVarint(body, where + ".pcapReceived");
        final long pcapDropped = readVarint(body, where + ".pcapDropped");
        final String network = labels == null ? "" : readOptionalString(body, where + ".network");
        final TrafficCounters uncaptured = labels == null ? new TrafficCounters() :
            readCounters(body, where + ".uncaptured");
        readFixed(body, 4, where + ".flow count");
        final long flowCount = body.readUnsignedInt();
        final int minFlowBytes = WireFormat.MIN_FLOW_BYTES + (labels == null ? 0 :
            WireFormat.MIN_CONTEXT_FLOW_BYTES);
        if (flowCount * minFlowBytes > body.readableBytes()) {
            throw new WireFormatException(where + ".flow count : " + flowCount + " does not fit in " +
                body.readableBytes() + " bytes");
        }
        final List<FlowUsage> flows = new ArrayList<>((int) flowCount);
        // Exact sums: parts that wrap around 2^64 onto the total must not pass for a match.
        final long[] parts = new long[WireFormat.COUNTER_VALUES];
        for (int i = 0; i < flowCount; i++) {
            final FlowUsage flow = readFlow(body, where + ".flow[" + i + "]", labels);
            final int base = flow.direction() * TrafficCounters.METRICS;
            addExact(parts, base + TrafficCounters.PACKETS, flow.packets(), where);
            addExact(parts, base + TrafficCounters.WIRE_BYTES, flow.wireBytes(), where);
            addExact(parts, base + TrafficCounters.IP_BYTES, flow.ipBytes(), where);
            flows.add(flow);
        }
        for (int direction = 0; direction < Direction.COUNT; direction++) {
            for (int metric = 0; metric < TrafficCounters.METRICS; metric++) {
                final int at = direction * TrafficCounters.METRICS + metric;
                addExact(parts, at, overflow.get(direction, metric), where);
                addExact(parts, at, nonIp.get(direction, metric), where);
                addExact(parts, at, unparsed.get(direction, metric), where);
                if (parts[at] != total.get(direction, metric)) {
                    throw new WireFormatException(where + " : flows + overflow + nonIp + unparsed = " +
                        parts[at] + " but total = " + total.get(direction, metric) + " (" +
                        Direction.name(direction) + ", " + TrafficCounters.metricName(metric) + ")");
                }
            }
        }
        return new SecondUsage(interfaceName, profile, epochSecond, total, nonIp, unparsed, overflow, pcapReceived,
            pcapDropped, flows, spanSeconds, network, uncaptured);
    }

    private static void addExact(final long[] sums, final int index, final long value, final String where)
        throws WireFormatException {
        final long sum = sums[index] + value;
        // Both operands are >= 0 (varints), so overflow shows as a negative sum.
        if (sum < 0) {
            throw new WireFormatException(where + " : flows + overflow + nonIp + unparsed exceed " + Long.MAX_VALUE +
                " (" + Direction.name(index / TrafficCounters.METRICS) + ", " +
                TrafficCounters.metricName(index % TrafficCounters.METRICS) + ")");
        }
        sums[index] = sum;
    }

    private static FlowUsage readFlow(final ByteBuf body, final String where, final Labels labels)
        throws WireFormatException {
        readFixed(body, 6, where);
        final int flags = body.readUnsignedByte();
        final int direction = flags & WireFormat.FLAG_DIRECTION_MASK;
        final int allowed = WireFormat.FLAG_DIRECTION_MASK | WireFormat.FLAG_IPV6 |
            (labels == null ? 0 : WireFormat.FLAG_DEVICE_APPROXIMATE);
        if (direction >= Direction.COUNT || (flags & ~allowed) != 0) {
            throw new WireFormatException(where + ".flags : 0x" + Integer.toHexString(flags) +
                " (expected: direction 0..2, bit 2 for IPv6" + (labels == null ? "" : ", bit 3 device approximate") +
                ")");
        }
        final boolean ipv6 = (flags & WireFormat.FLAG_IPV6) != 0;
        final int protocol = body.readUnsignedByte();
        final int srcPort = body.readUnsignedShort();
        final int dstPort = body.readUnsignedShort();
        final long srcHi;
        final long srcLo;
        final long dstHi;
        final long dstLo;
        if (ipv6) {
            readFixed(body, 32, where + ".addresses");
            srcHi = body.readLong();
            srcLo = body.readLong();
            dstHi = body.readLong();
            dstLo = body.readLong();
        } else {
            readFixed(body, 8, where + ".addresses");
            srcHi = 0;
            srcLo = Addresses.IPV4_MAPPED_PREFIX | body.readUnsignedInt();
            dstHi = 0;
            dstLo = Addresses.IPV4_MAPPED_PREFIX | body.readUnsignedInt();
        }
        final long packets = readVarint(body, where + ".packets");
        final long wireBytes = readVarint(body, where + ".wireBytes");
        final long ipBytes = readVarint(body, where + ".ipBytes");
        if (labels == null) {
            return new FlowUsage(direction, ipv6 ? 6 : 4, protocol, srcHi, srcLo, srcPort, dstHi, dstLo, dstPort,
                packets, wireBytes, ipBytes);
        }
        final Device device = labels.device(readVarint(body, where + ".device"), where + ".device");
        final String service = labels.service(readVarint(body, where + ".service"), where + ".service");
        final boolean approximate = (flags & WireFormat.FLAG_DEVICE_APPROXIMATE) != 0;
        if (approximate && device == null) {
            throw new WireFormatException(where + ".flags : device approximate without a device");
        }
        return new FlowUsage(direction, ipv6 ? 6 : 4, protocol, srcHi, srcLo, srcPort, dstHi, dstLo, dstPort, packets,
            wireBytes, ipBytes, device, approximate, service);
    }

    private static String readOptionalString(final ByteBuf body, final String where) throws WireFormatException {
        readFixed(body, 1, where);
        if (body.getUnsignedByte(body.readerIndex()) == 0) {
            body.skipBytes(1);
            return "";
        }
        return readString(body, where);
    }

    private static TrafficCounters readCounters(final ByteBuf body, final String where) throws WireFormatException {
        final TrafficCounters counters = new TrafficCounters();
        for (int direction = 0; direction < Direction.COUNT; direction++) {
            final long packets = readVarint(body, where);
            final long wireBytes = readVarint(body, where);
            final long ipBytes = readVarint(body, where);
            counters.add(direction, packets, wireBytes, ipBytes);
        }
        return counters;
    }

    private static boolean readFixed(final ByteBuf body, final int length, final String where)
        throws WireFormatException {
        if (body.readableBytes() < length) {
            throw new WireFormatException(where + " : truncated (" + body.readableBytes() + " of " + length +
                " bytes)");
        }
        return true;
    }

    private static String readString(final ByteBuf body, final String where) throws WireFormatException {
        readFixed(body, 1, where);
        final int length = body.readUnsignedByte();
        if (length == 0) {
            throw new WireFormatException(where + " : empty (expected: 1.." + WireFormat.MAX_STRING_BYTES +
                " UTF-8 bytes)");
        }
        readFixed(body, length, where);
        try {
            final String value = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(body.nioBuffer(body.readerIndex(), length))
                .toString();
            body.skipBytes(length);
            return value;
        } catch (final CharacterCodingException e) {
            throw new WireFormatException(where + " : not valid UTF-8");
        }
    }

    private static long readVarint(final ByteBuf body, final String where) throws WireFormatException {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (!body.isReadable()) {
                throw new WireFormatException(where + " : truncated varint");
            }
            final int b = body.readUnsignedByte();
            if (shift == 63 && b > 0) {
                if ((b & 0x80) != 0) {
                    throw new WireFormatException(where + " : varint longer than 10 bytes");
                }
                // The tenth byte may only carry bit 63, and counters never need it: refuse rather than wrap.
                throw new WireFormatException(where + " : varint exceeds " + Long.MAX_VALUE);
            }
            value |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        throw new IllegalStateException("unreachable: the tenth byte either ends the varint or is refused");
    }
}
