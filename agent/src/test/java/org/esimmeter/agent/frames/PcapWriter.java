package org.esimmeter.agent.frames;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Test-only pcap savefile (the classic libpcap format, version 2.4, snap length 65535), written byte by byte from
 * the format description and never through libpcap, so that a test knows every record it hands the agent. Either
 * byte order, microsecond or nanosecond timestamps; {@link #raw} appends bytes as they are, for files cut or broken
 * on purpose. The one pcap writer of the test suites (the agent's and, through its test-jar, the end-to-end tests).
 */
public final class PcapWriter {
    /** LINKTYPE_ETHERNET. */
    public static final int ETHERNET = 1;

    private final ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
    private final boolean nanoseconds;

    public PcapWriter(final ByteOrder order, final boolean nanoseconds, final int linkType) {
        this.nanoseconds = nanoseconds;
        buffer.order(order);
        buffer.putInt(nanoseconds ? 0xA1B23C4D : 0xA1B2C3D4);
        buffer.putShort((short) 2).putShort((short) 4);
        buffer.putInt(0).putInt(0);
        buffer.putInt(65535);
        buffer.putInt(linkType);
    }

    /** Little-endian with microsecond timestamps, as libpcap writes on x86 and ARM. */
    public PcapWriter(final int linkType) {
        this(ByteOrder.LITTLE_ENDIAN, false, linkType);
    }

    /**
     * One record of which {@code captured} was kept out of {@code wireLength} bytes on the wire.
     *
     * @param micros microseconds past {@code seconds}, written as ns in a nanosecond file
     */
    public PcapWriter record(final long seconds, final int micros, final byte[] captured, final int wireLength) {
        buffer.putInt((int) seconds);
        buffer.putInt(nanoseconds ? micros * 1000 : micros);
        buffer.putInt(captured.length);
        buffer.putInt(wireLength);
        buffer.put(captured);
        return this;
    }

    /** One record captured whole. */
    public PcapWriter record(final long seconds, final int micros, final byte[] frame) {
        return record(seconds, micros, frame, frame.length);
    }

    public PcapWriter raw(final byte[] bytes) {
        buffer.put(bytes);
        return this;
    }

    public byte[] bytes() {
        return Arrays.copyOf(buffer.array(), buffer.position());
    }

    public Path write(final Path file) throws IOException {
        return Files.write(file, bytes());
    }
}
