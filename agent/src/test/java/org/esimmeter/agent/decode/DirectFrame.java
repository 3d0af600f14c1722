package org.esimmeter.agent.decode;

import io.netty.util.internal.PlatformDependent;

import java.nio.ByteBuffer;

/**
 * Test-only stand-in for libpcap's buffer: frame bytes in direct memory, at a raw address the decoder reads in
 * place. The region is larger than any frame put into it, so the bytes after {@code capturedLength} can be set to
 * chosen values and a test can prove that the decoder's answer does not depend on them.
 */
final class DirectFrame {
    private final ByteBuffer buffer;
    private final long address;

    DirectFrame(final int capacity) {
        buffer = ByteBuffer.allocateDirect(capacity);
        address = PlatformDependent.directBufferAddress(buffer);
    }

    long address() {
        return address;
    }

    int capacity() {
        return buffer.capacity();
    }

    /** Copies {@code frame} to the start of the region and fills the rest of the region with {@code filler}. */
    DirectFrame put(final byte[] frame, final int filler) {
        return put(frame, frame.length, filler);
    }

    /** Copies the first {@code length} bytes of {@code frame} and fills everything after them with {@code filler}. */
    DirectFrame put(final byte[] frame, final int length, final int filler) {
        if (length > buffer.capacity()) {
            throw new IllegalArgumentException("length : " + length + " (expected: <= " + buffer.capacity() + ")");
        }
        buffer.put(0, frame, 0, length);
        PlatformDependent.setMemory(address + length, buffer.capacity() - length, (byte) filler);
        return this;
    }
}
