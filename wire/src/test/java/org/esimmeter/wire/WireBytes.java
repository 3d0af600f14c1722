package org.esimmeter.wire;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Test-side frame arithmetic, independent of the writer and reader: hex to bytes, header and CRC32C around a body,
 * and a canonical text of a decoded batch (TrafficCounters has identity equality, so records do not compare).
 */
final class WireBytes {
    private WireBytes() {
    }

    static byte[] hex(final String digits) {
        return HexFormat.of().parseHex(digits.replace(" ", ""));
    }

    /** Appends the CRC32C of everything given. */
    static byte[] withCrc(final byte[] headerAndBody) {
        final CRC32C crc = new CRC32C();
        crc.update(headerAndBody);
        return ByteBuffer.allocate(headerAndBody.length + 4).put(headerAndBody).putInt((int) crc.getValue()).array();
    }

    /** A version-1 frame around {@code body}, flags 0, with the right length and checksum. */
    static byte[] frame(final byte[] body) {
        return frame(0, body);
    }

    /** A version-1 frame with these header flags around {@code body}, with the right length and checksum. */
    static byte[] frame(final int flags, final byte[] body) {
        final ByteBuffer header = ByteBuffer.allocate(12).putInt(0x45534D42).put((byte) 1).put((byte) flags)
            .putShort((short) 0).putInt(body.length);
        final byte[] unchecked = Arrays.copyOf(header.array(), 12 + body.length);
        System.arraycopy(body, 0, unchecked, 12, body.length);
        return withCrc(unchecked);
    }

    /** The body of a frame (between header and checksum). */
    static byte[] body(final byte[] frame) {
        return Arrays.copyOfRange(frame, 12, frame.length - 4);
    }

    /** Recomputes the checksum of a frame in place, so a mutation gets past it. */
    static byte[] recrc(final byte[] frame) {
        final CRC32C crc = new CRC32C();
        crc.update(frame, 0, frame.length - 4);
        ByteBuffer.wrap(frame).putInt(frame.length - 4, (int) crc.getValue());
        return frame;
    }

    static byte[] cat(final byte[]... parts) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    static String describe(final Batch batch) {
        final StringBuilder text = new StringBuilder();
        text.append(batch.agentId()).append(" #").append(batch.sequence()).append('\n');
        for (final SecondUsage second : batch.seconds()) {
            text.append(second.interfaceName()).append(" / ").append(second.profile()).append(" @")
                .append(second.epochSecond()).append(" +").append(second.spanSeconds()).append("s pcap ").append(second.pcapReceived()).append('/')
                .append(second.pcapDropped()).append('\n');
            counters(text, "total", second.total());
            counters(text, "nonIp", second.nonIp());
            counters(text, "unparsed", second.unparsed());
            counters(text, "overflow", second.overflow());
            text.append("  network '").append(second.network()).append("'\n");
            counters(text, "uncaptured", second.uncaptured());
            for (final FlowUsage flow : second.flows()) {
                text.append("  ").append(flow).append('\n');
            }
        }
        for (final ClockStep step : batch.clockSteps()) {
            text.append(step).append('\n');
        }
        return text.toString();
    }

    static String describe(final List<Batch> batches) {
        final StringBuilder text = new StringBuilder();
        batches.forEach(batch -> text.append(describe(batch)));
        return text.toString();
    }

    private static void counters(final StringBuilder text, final String name, final TrafficCounters counters) {
        text.append("  ").append(name);
        for (int direction = 0; direction < Direction.COUNT; direction++) {
            text.append(' ').append(Direction.name(direction));
            for (int metric = 0; metric < TrafficCounters.METRICS; metric++) {
                text.append(metric == 0 ? " " : "/").append(counters.get(direction, metric));
            }
        }
        text.append('\n');
    }
}
