package org.esimmeter.agent.meter;

import io.netty.util.internal.PlatformDependent;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Frames laid out in one block of direct memory, as libpcap's buffer holds them, so the decoder reads them at raw
 * addresses exactly as in the hot loop. Per frame: link type, address, captured length and original (wire) length,
 * in primitive arrays so that iterating allocates nothing.
 */
public final class NativeFrames {
    private final ByteBuffer memory;
    private final int[] linkTypes;
    private final long[] addresses;
    private final int[] capturedLengths;
    private final int[] wireLengths;

    private NativeFrames(final List<int[]> meta, final List<byte[]> frames) {
        int total = 0;
        for (final byte[] frame : frames) {
            total += frame.length + 8;
        }
        memory = ByteBuffer.allocateDirect(Math.max(total, 8));
        final long base = PlatformDependent.directBufferAddress(memory);
        linkTypes = new int[frames.size()];
        addresses = new long[frames.size()];
        capturedLengths = new int[frames.size()];
        wireLengths = new int[frames.size()];
        int offset = 0;
        for (int i = 0; i < frames.size(); i++) {
            final byte[] frame = frames.get(i);
            memory.position(offset);
            memory.put(frame);
            linkTypes[i] = meta.get(i)[0];
            wireLengths[i] = meta.get(i)[1];
            addresses[i] = base + offset;
            capturedLengths[i] = frame.length;
            // Keep frames 8-byte aligned, as libpcap's buffer does.
            offset += (frame.length + 7) & ~7;
        }
    }

    public int count() {
        return addresses.length;
    }

    public int linkType(final int index) {
        return linkTypes[index];
    }

    public long address(final int index) {
        return addresses[index];
    }

    public int capturedLength(final int index) {
        return capturedLengths[index];
    }

    public int wireLength(final int index) {
        return wireLengths[index];
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private final List<int[]> meta = new ArrayList<>();
        private final List<byte[]> frames = new ArrayList<>();

        /** A frame captured whole: wire length == captured length. */
        public Builder add(final int linkType, final byte[] frame) {
            return add(linkType, frame, frame.length);
        }

        /** A frame of which only {@code frame.length} bytes were captured (snaplen) out of {@code wireLength}. */
        public Builder add(final int linkType, final byte[] frame, final int wireLength) {
            meta.add(new int[] {linkType, wireLength});
            frames.add(frame);
            return this;
        }

        public NativeFrames build() {
            return new NativeFrames(meta, frames);
        }
    }
}
