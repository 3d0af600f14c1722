package org.esimmeter.agent.frames;

import io.netty.util.internal.PlatformDependent;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Test-only stand-in for libpcap's buffer: frames in one block of direct memory, so that the decoder reads them at
 * raw addresses exactly as in the hot loop. Per frame: link type, address, captured length and original (wire)
 * length, in primitive arrays so that iterating allocates nothing.
 * <p>
 * Every frame is followed by slack up to the next frame (or the end of the block), filled with a chosen byte: a
 * test sets it to different values to prove that the decoder's answer depends only on the captured bytes.
 * Two ways to fill the block:
 * <ul>
 * <li>{@link #builder()} lays out many frames once, 8-byte aligned as libpcap's buffer holds them;</li>
 * <li>{@link #slot(int)} holds one frame at a time, rewritten by {@link #put} for every input (fuzzing, savefiles),
 * so that a long run does not allocate direct memory per frame.</li>
 * </ul>
 */
public final class NativeFrames {
    /** The link type of a frame placed by {@link #put}: the caller knows it and passes it to the decoder. */
    public static final int NO_LINK_TYPE = -1;
    private static final int ALIGNMENT = 8;

    private final ByteBuffer memory;
    private final long base;
    private final int[] linkTypes;
    private final long[] addresses;
    private final int[] capturedLengths;
    private final int[] wireLengths;

    private NativeFrames(final int capacity, final int count) {
        memory = ByteBuffer.allocateDirect(capacity);
        base = PlatformDependent.directBufferAddress(memory);
        linkTypes = new int[count];
        addresses = new long[count];
        capturedLengths = new int[count];
        wireLengths = new int[count];
    }

    /** A block of {@code capacity} bytes holding one frame, placed with {@link #put}. */
    public static NativeFrames slot(final int capacity) {
        final NativeFrames slot = new NativeFrames(capacity, 1);
        slot.linkTypes[0] = NO_LINK_TYPE;
        slot.addresses[0] = slot.base;
        return slot;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Places {@code frame} whole as the only frame and fills the rest of the block with {@code filler}. */
    public NativeFrames put(final byte[] frame, final int filler) {
        return put(frame, frame.length, filler);
    }

    /**
     * Places the first {@code capturedLength} bytes of {@code frame} as the only frame (of wire length
     * {@code frame.length}) and fills everything after them with {@code filler}.
     */
    public NativeFrames put(final byte[] frame, final int capturedLength, final int filler) {
        if (addresses.length != 1) {
            throw new IllegalStateException("frames : " + addresses.length + " (expected: 1, a slot)");
        }
        write(0, frame, capturedLength, memory.capacity(), filler);
        capturedLengths[0] = capturedLength;
        wireLengths[0] = frame.length;
        return this;
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

    /** Copies {@code length} bytes of {@code frame} to {@code offset} and fills up to {@code end} with filler. */
    private void write(final int offset, final byte[] frame, final int length, final int end, final int filler) {
        if (length > end - offset) {
            throw new IllegalArgumentException("length : " + length + " (expected: <= " + (end - offset) + ")");
        }
        memory.put(offset, frame, 0, length);
        PlatformDependent.setMemory(base + offset + length, end - offset - length, (byte) filler);
    }

    public static final class Builder {
        private final List<int[]> meta = new ArrayList<>();
        private final List<byte[]> frames = new ArrayList<>();
        private int filler;

        /** The byte after each frame's captured bytes; zero unless set. */
        public Builder filler(final int filler) {
            this.filler = filler;
            return this;
        }

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
            // Each frame starts 8-byte aligned, as in libpcap's buffer, and at least 8 bytes of slack end the block.
            final int[] offsets = new int[frames.size() + 1];
            for (int i = 0; i < frames.size(); i++) {
                offsets[i + 1] = offsets[i] + align(frames.get(i).length);
            }
            final int capacity = offsets[frames.size()] + ALIGNMENT;
            final NativeFrames block = new NativeFrames(capacity, frames.size());
            for (int i = 0; i < frames.size(); i++) {
                final byte[] frame = frames.get(i);
                final int end = i + 1 < frames.size() ? offsets[i + 1] : capacity;
                block.write(offsets[i], frame, frame.length, end, filler);
                block.linkTypes[i] = meta.get(i)[0];
                block.wireLengths[i] = meta.get(i)[1];
                block.addresses[i] = block.base + offsets[i];
                block.capturedLengths[i] = frame.length;
            }
            return block;
        }

        private static int align(final int length) {
            return (length + ALIGNMENT - 1) & -ALIGNMENT;
        }
    }
}
