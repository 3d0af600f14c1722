package org.esimmeter.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/** Request bodies of 1..N frames back to back: all read, or the first bad one named by its index. */
class ReadAllTest {
    private final BatchReader reader = new BatchReader(WireFormat.DEFAULT_MAX_FRAME_BYTES);

    private List<Batch> readAll(final byte[] body, final int maxFrames) throws WireFormatException {
        final ByteBuf buffer = ByteBufAllocator.DEFAULT.buffer(body.length);
        try {
            buffer.writeBytes(body);
            final List<Batch> batches = reader.readAll(buffer, maxFrames);
            assertFalse(buffer.isReadable(), "reader index at the end of the body");
            return batches;
        } finally {
            buffer.release();
        }
    }

    private String refusal(final byte[] body, final int maxFrames) {
        final String message = assertThrows(WireFormatException.class, () -> readAll(body, maxFrames)).getMessage();
        assertFalse(message.contains("\n"), message);
        return message;
    }

    /** An empty batch of agent "a" with this sequence: 30 bytes, hand-framed. */
    private static byte[] small(final int sequence) {
        return WireBytes.frame(WireBytes.cat(WireBytes.hex("01 61"), ByteBuffer.allocate(8).putLong(sequence).array(),
            WireBytes.hex("00 00 00 00")));
    }

    private static byte[] frames(final int count) {
        final List<byte[]> parts = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            parts.add(small(i));
        }
        return WireBytes.cat(parts.toArray(new byte[0][]));
    }

    @Test
    void shouldReadOneFrame() throws WireFormatException {
        assertEquals(WireBytes.describe(List.of(GoldenBatch.batch())),
            WireBytes.describe(readAll(GoldenBatch.frame(), WireFormat.MAX_FRAMES_PER_REQUEST)));
    }

    @Test
    void shouldReadThreeFramesOfEveryKindInOrder() throws WireFormatException {
        final byte[] body = WireBytes.cat(GoldenBatch.frame(), GoldenExtensions.mergedFrame(),
            GoldenExtensions.clockFrame());
        assertEquals(173 + 171 + 157, body.length);
        assertEquals(WireBytes.describe(List.of(GoldenBatch.batch(), GoldenExtensions.merged(),
            GoldenExtensions.clockSteps())), WireBytes.describe(readAll(body, WireFormat.MAX_FRAMES_PER_REQUEST)));
    }

    @Test
    void shouldReadUpToTheBoundAndRefuseOneMore() throws WireFormatException {
        final List<Batch> batches = readAll(frames(256), WireFormat.MAX_FRAMES_PER_REQUEST);
        assertEquals(256, batches.size());
        assertEquals(255, batches.get(255).sequence());
        assertEquals(256, WireFormat.MAX_FRAMES_PER_REQUEST);
        assertEquals("frames : more than 256 in one body (expected: 1..256)",
            refusal(frames(257), WireFormat.MAX_FRAMES_PER_REQUEST));
        assertEquals("frames : more than 2 in one body (expected: 1..2)", refusal(frames(3), 2));
        assertEquals("maxFrames : 0 (expected: >= 1)",
            assertThrows(IllegalArgumentException.class, () -> readAll(frames(1), 0)).getMessage());
    }

    @Test
    void shouldNameTheBadFrameInTheMiddle() {
        final byte[] bad = small(3);
        bad[bad.length - 1] ^= 1;
        final CRC32C crc = new CRC32C();
        crc.update(bad, 0, bad.length - 4);
        final int actual = (int) crc.getValue();
        final byte[] body = WireBytes.cat(frames(3), bad, small(4));
        assertEquals(String.format("frame[3] : checksum : 0x%08x (frame says 0x%08x)", actual, actual ^ 1),
            refusal(body, WireFormat.MAX_FRAMES_PER_REQUEST));
        final byte[] unknownFlags = small(1);
        unknownFlags[WireFormat.FLAGS_OFFSET] = 0x10;
        assertEquals("frame[1] : flags : 0x10 (unknown bits 0x10)", refusal(WireBytes.cat(small(0),
            WireBytes.recrc(unknownFlags), small(2)), WireFormat.MAX_FRAMES_PER_REQUEST));
    }

    @Test
    void shouldRefuseEmptyTruncatedAndOversizedFrames() {
        assertEquals("body : empty (expected: 1..256 frames)", refusal(new byte[0], 256));
        final byte[] three = frames(3);
        // The last frame cut short: its length field says 14 body bytes, 13 are there (and no checksum).
        assertEquals("frame[2] : body length : 14 (frame has 9 body bytes)",
            refusal(Arrays.copyOf(three, three.length - 5), 256));
        // Fewer bytes than a header after two good frames.
        assertEquals("frame[2] : truncated at 5 bytes (expected: >= 16)",
            refusal(Arrays.copyOf(three, 60 + 5), 256));
        // Garbage after the frames.
        assertEquals("frame[3] : magic : 0x47455420 (expected: 0x45534d42, \"ESMB\")",
            refusal(WireBytes.cat(three, "GET / HTTP/1.1\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII)),
                256));
        // A frame whose length field declares more than one frame may hold: refused on the bound, not read.
        final byte[] huge = small(1);
        ByteBuffer.wrap(huge).putInt(WireFormat.BODY_LENGTH_OFFSET, 16 << 20);
        assertEquals("frame[1] : " + ((16 << 20) + 16) + " bytes (expected: <= " + (16 << 20) + ")",
            refusal(WireBytes.cat(small(0), huge), 256));
    }
}
