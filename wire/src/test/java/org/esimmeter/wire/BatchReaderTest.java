package org.esimmeter.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The decoder gives back the golden values, and refuses every kind of bad frame with its one-line reason. */
class BatchReaderTest {
    // Offsets in the golden body (GoldenBatch.BODY).
    private static final int SECOND_COUNT = 11;
    private static final int INTERFACE = 15;
    private static final int PROFILE = 21;
    private static final int TOTAL = 36;
    private static final int PCAP_RECEIVED = 84;
    private static final int FLOW_COUNT = 88;
    private static final int FLOW0 = 92;
    private static final int FLOW1 = 111;

    private final BatchReader reader = new BatchReader(WireFormat.DEFAULT_MAX_FRAME_BYTES);

    static Batch read(final BatchReader reader, final byte[] frame) throws WireFormatException {
        final ByteBuf buffer = ByteBufAllocator.DEFAULT.buffer(frame.length);
        try {
            buffer.writeBytes(frame);
            final Batch batch = reader.read(buffer);
            assertFalse(buffer.isReadable(), "reader index at the end of the frame");
            return batch;
        } finally {
            buffer.release();
        }
    }

    private String refusal(final byte[] frame) {
        final String message = assertThrows(WireFormatException.class, () -> read(reader, frame)).getMessage();
        assertFalse(message.contains("\n"), message);
        return message;
    }

    private static byte[] golden() {
        return GoldenBatch.frame();
    }

    /** The golden body with bytes [from, to) replaced, reframed with the right length and checksum. */
    private static byte[] splice(final int from, final int to, final String replacement) {
        final byte[] body = WireBytes.body(golden());
        return WireBytes.frame(WireBytes.cat(Arrays.copyOfRange(body, 0, from), WireBytes.hex(replacement),
            Arrays.copyOfRange(body, to, body.length)));
    }

    @Test
    void shouldReadTheGoldenValues() throws WireFormatException {
        assertEquals(WireBytes.describe(GoldenBatch.batch()), WireBytes.describe(read(reader, golden())));
        final FlowUsage v6 = read(reader, golden()).seconds().get(0).flows().get(1);
        assertEquals("2001:db8::1", v6.src());
        assertEquals("2001:db8::2", v6.dst());
        final FlowUsage v4 = read(reader, golden()).seconds().get(0).flows().get(0);
        assertEquals("10.0.0.2", v4.src());
        assertEquals("93.184.216.34", v4.dst());
    }

    @Test
    void shouldReadAFrameThatStartsInsideTheBufferOrSpansComponents() throws WireFormatException {
        final byte[] frame = golden();
        final ByteBuf offset = ByteBufAllocator.DEFAULT.buffer();
        final CompositeByteBuf composite = ByteBufAllocator.DEFAULT.compositeBuffer();
        try {
            offset.writeBytes(new byte[] {1, 2, 3}).writeBytes(frame).readerIndex(3);
            assertEquals(WireBytes.describe(GoldenBatch.batch()), WireBytes.describe(reader.read(offset)));
            assertEquals(3 + frame.length, offset.readerIndex());
            // As an HTTP server aggregates a body: in pieces, the cuts inside strings, addresses and the checksum.
            final int[] cuts = {0, 7, 18, 120, frame.length - 2, frame.length};
            for (int i = 0; i + 1 < cuts.length; i++) {
                composite.addComponent(true, ByteBufAllocator.DEFAULT.buffer()
                    .writeBytes(Arrays.copyOfRange(frame, cuts[i], cuts[i + 1])));
            }
            assertEquals(WireBytes.describe(GoldenBatch.batch()), WireBytes.describe(reader.read(composite)));
        } finally {
            offset.release();
            composite.release();
        }
    }

    @Test
    void shouldRefuseAFrameTruncatedAtEveryLength() {
        final byte[] frame = golden();
        for (int length = 0; length < frame.length; length++) {
            final String expected = length < 16 ?
                "frame : truncated at " + length + " bytes (expected: >= 16)" :
                "body length : 157 (frame has " + (length - 16) + " body bytes)";
            assertEquals(expected, refusal(Arrays.copyOf(frame, length)), "length " + length);
        }
    }

    /** Cut inside the body but framed correctly: every field's own truncation check, never an IndexOutOfBounds. */
    @Test
    void shouldRefuseABodyTruncatedAtEveryLength() {
        final byte[] body = WireBytes.body(golden());
        for (int length = 0; length < body.length; length++) {
            refusal(WireBytes.frame(Arrays.copyOf(body, length)));
        }
        assertEquals("agentId : truncated (0 of 1 bytes)", refusal(WireBytes.frame(new byte[0])));
        assertEquals("agentId : truncated (1 of 2 bytes)", refusal(WireBytes.frame(Arrays.copyOf(body, 2))));
        assertEquals("sequence : truncated (4 of 8 bytes)", refusal(WireBytes.frame(Arrays.copyOf(body, 7))));
        assertEquals("second count : truncated (0 of 4 bytes)", refusal(WireBytes.frame(Arrays.copyOf(body, 11))));
        assertEquals("second count : 1 does not fit in 53 bytes", refusal(WireBytes.frame(Arrays.copyOf(body, 68))));
        assertEquals("second[0].flow count : 2 does not fit in 24 bytes",
            refusal(WireBytes.frame(Arrays.copyOf(body, FLOW1 + 5))));
        assertEquals("second[0].flow[1].addresses : truncated (31 of 32 bytes)",
            refusal(WireBytes.frame(Arrays.copyOf(body, FLOW1 + 6 + 31))));
        assertEquals("second[0].flow[1].ipBytes : truncated varint",
            refusal(WireBytes.frame(Arrays.copyOf(body, body.length - 1))));
    }

    @Test
    void shouldRefuseBadMagicAndVersion() {
        final byte[] magic = golden();
        magic[3] = 0x43;
        assertEquals("magic : 0x45534d43 (expected: 0x45534d42, \"ESMB\")", refusal(magic));
        final byte[] http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        assertEquals("magic : 0x47455420 (expected: 0x45534d42, \"ESMB\")", refusal(http));
        final byte[] version2 = golden();
        version2[4] = 2;
        assertEquals("version : 2 (expected: 1)", refusal(version2));
        final byte[] version0 = golden();
        version0[4] = 0;
        assertEquals("version : 0 (expected: 1)", refusal(version0));
    }

    @Test
    void shouldRefuseABodyLengthThatDisagreesWithTheFrame() {
        assertEquals("body length : 157 (frame has 158 body bytes)", refusal(WireBytes.cat(golden(), new byte[1])));
        final byte[] huge = golden();
        ByteBuffer.wrap(huge).putInt(8, 0xFFFF_FFFF);
        assertEquals("body length : 4294967295 (frame has 157 body bytes)", refusal(huge));
        final byte[] short1 = golden();
        ByteBuffer.wrap(short1).putInt(8, 156);
        assertEquals("body length : 156 (frame has 157 body bytes)", refusal(short1));
    }

    @Test
    void shouldRefuseAFrameLargerThanTheBoundBeforeReadingIt() throws WireFormatException {
        final BatchReader tight = new BatchReader(GoldenBatch.FRAME_LENGTH - 1);
        assertEquals("frame : 173 bytes (expected: <= 172)",
            assertThrows(WireFormatException.class, () -> read(tight, golden())).getMessage());
        // Refused on size even when the rest is garbage: the bound comes first.
        assertEquals("frame : 173 bytes (expected: <= 172)",
            assertThrows(WireFormatException.class, () -> read(tight, new byte[173])).getMessage());
        assertEquals(GoldenBatch.SEQUENCE, read(new BatchReader(GoldenBatch.FRAME_LENGTH), golden()).sequence());
        assertEquals("maxFrameBytes : 15 (expected: >= 16)",
            assertThrows(IllegalArgumentException.class, () -> new BatchReader(15)).getMessage());
    }

    @Test
    void shouldRefuseAWrongChecksum() {
        final byte[] frame = golden();
        final int goldenCrc = ByteBuffer.wrap(frame).getInt(frame.length - 4);
        frame[12 + INTERFACE + 1] = 'W';
        final CRC32C crc = new CRC32C();
        crc.update(frame, 0, frame.length - 4);
        assertEquals(String.format("checksum : 0x%08x (frame says 0x%08x)", (int) crc.getValue(), goldenCrc),
            refusal(frame));
        final byte[] checksumFlipped = golden();
        checksumFlipped[checksumFlipped.length - 1] ^= 1;
        assertEquals(String.format("checksum : 0x%08x (frame says 0x%08x)", goldenCrc, goldenCrc ^ 1),
            refusal(checksumFlipped));
    }

    @Test
    void shouldRefuseEmptyAndOverlongStrings() {
        assertEquals("agentId : empty (expected: 1..255 UTF-8 bytes)", refusal(splice(0, 3, "00")));
        assertEquals("second[0].interface : empty (expected: 1..255 UTF-8 bytes)",
            refusal(splice(INTERFACE, INTERFACE + 6, "00")));
        assertEquals("second[0].profile : empty (expected: 1..255 UTF-8 bytes)",
            refusal(splice(PROFILE, PROFILE + 7, "00")));
        // A length byte that claims more than the body holds.
        assertEquals("agentId : truncated (156 of 255 bytes)", refusal(splice(0, 1, "FF")));
    }

    @ParameterizedTest
    @CsvSource({
        "C3 28, lone lead byte",
        "C0 AF, overlong encoding of '/'",
        "ED A0 80, UTF-16 surrogate",
        "F4 90 80 80, beyond U+10FFFF",
        "FF, never valid"})
    void shouldRefuseInvalidUtf8(final String bytes, final String what) {
        final int length = WireBytes.hex(bytes).length;
        assertEquals("second[0].interface : not valid UTF-8",
            refusal(splice(INTERFACE, INTERFACE + 6, String.format("%02X ", length) + bytes)), what);
        assertEquals("agentId : not valid UTF-8", refusal(splice(0, 3, String.format("%02X ", length) + bytes)),
            what);
    }

    @ParameterizedTest
    @CsvSource({"03, 0x3", "07, 0x7", "08, 0x8", "10, 0x10", "80, 0x80"})
    void shouldRefuseUnknownDirectionsAndFlags(final String flags, final String shown) {
        assertEquals("second[0].flow[0].flags : " + shown + " (expected: direction 0..2, bit 2 for IPv6)",
            refusal(splice(FLOW0, FLOW0 + 1, flags)));
    }

    @Test
    void shouldRefuseForgedCountsBeforeAllocatingForThem() {
        assertEquals("second count : 4294967295 does not fit in 142 bytes",
            refusal(splice(SECOND_COUNT, SECOND_COUNT + 4, "FF FF FF FF")));
        assertEquals("second count : 3 does not fit in 142 bytes",
            refusal(splice(SECOND_COUNT, SECOND_COUNT + 4, "00 00 00 03")));
        // Two 54-byte minimum seconds fit in 142 bytes; the second one is simply not there.
        assertEquals("second[1].interface : truncated (0 of 1 bytes)",
            refusal(splice(SECOND_COUNT, SECOND_COUNT + 4, "00 00 00 02")));
        assertEquals("second[0].flow count : 4294967295 does not fit in 65 bytes",
            refusal(splice(FLOW_COUNT, FLOW_COUNT + 4, "FF FF FF FF")));
        // Three 17-byte minimum flows fit in 65 bytes; the third is simply not there.
        assertEquals("second[0].flow[2] : truncated (0 of 6 bytes)",
            refusal(splice(FLOW_COUNT, FLOW_COUNT + 4, "00 00 00 03")));
    }

    @Test
    void shouldRefuseVarintsLongerThanTenBytesOrAboveLongMax() throws WireFormatException {
        assertEquals("second[0].pcapReceived : varint longer than 10 bytes",
            refusal(splice(PCAP_RECEIVED, PCAP_RECEIVED + 3, "80 80 80 80 80 80 80 80 80 80 00")));
        assertEquals("second[0].pcapReceived : varint exceeds 9223372036854775807",
            refusal(splice(PCAP_RECEIVED, PCAP_RECEIVED + 3, "FF FF FF FF FF FF FF FF FF 01")));
        assertEquals("second[0].pcapReceived : varint exceeds 9223372036854775807",
            refusal(splice(PCAP_RECEIVED, PCAP_RECEIVED + 3, "80 80 80 80 80 80 80 80 80 7F")));
        assertEquals(Long.MAX_VALUE, read(reader, splice(PCAP_RECEIVED, PCAP_RECEIVED + 3,
            "FF FF FF FF FF FF FF FF 7F")).seconds().get(0).pcapReceived());
        // Ten bytes are allowed as long as the value fits (a padded encoding).
        assertEquals(Long.MAX_VALUE, read(reader, splice(PCAP_RECEIVED, PCAP_RECEIVED + 3,
            "FF FF FF FF FF FF FF FF FF 00")).seconds().get(0).pcapReceived());
        assertEquals(0, read(reader, splice(PCAP_RECEIVED, PCAP_RECEIVED + 3,
            "80 80 80 80 80 80 80 80 80 00")).seconds().get(0).pcapReceived());
    }

    @Test
    void shouldRefuseTrailingBytes() {
        final byte[] body = WireBytes.body(golden());
        assertEquals("body : 3 bytes after the last second",
            refusal(WireBytes.frame(WireBytes.cat(body, WireBytes.hex("AA BB CC")))));
    }

    @Test
    void shouldRefuseASecondWhosePartsDoNotAddUpToItsTotal() {
        assertEquals("second[0] : flows + overflow + nonIp + unparsed = 4 but total = 5 (up, packets)",
            refusal(splice(TOTAL, TOTAL + 1, "05")));
        // down ipBytes 17200 -> 17201 (B0 -> B1)
        assertEquals("second[0] : flows + overflow + nonIp + unparsed = 17200 but total = 17201 (down, ipBytes)",
            refusal(splice(TOTAL + 10, TOTAL + 11, "B1")));
        // The IPv6 flow's wire bytes 20000 -> 20001: parts no longer match the total.
        assertEquals("second[0] : flows + overflow + nonIp + unparsed = 20131 but total = 20130 (down, wireBytes)",
            refusal(splice(FLOW1 + 40, FLOW1 + 41, "A1")));
    }

    /** Parts that wrap around 2^64 to the total must not pass for a match. */
    @Test
    void shouldRefuseASecondWhosePartsOverflowALong() {
        final String max = "FF FF FF FF FF FF FF FF 7F";
        final String v4Flow = "00 06 00 01 00 02 0A 00 00 01 0A 00 00 02 ";
        final String body = "01 61" + "00 00 00 00 00 00 00 01" + "00 00 00 01" + "01 69 01 70" +
            "00 00 00 00 00 00 00 00" + "00".repeat(36) + "00 00" + "00 00 00 03" +
            v4Flow + max + " 00 00 " + v4Flow + max + " 00 00 " + v4Flow + "02 00 00";
        assertEquals("second[0] : flows + overflow + nonIp + unparsed exceed 9223372036854775807 (up, packets)",
            refusal(WireBytes.frame(WireBytes.hex(body))));
    }

    @Test
    void shouldAcceptASecondWithoutFlowsAndABatchWithoutSeconds() throws WireFormatException {
        final Batch empty = read(reader, WireBytes.frame(WireBytes.hex("01 61 00 00 00 00 00 00 00 2A 00 00 00 00")));
        assertEquals("a", empty.agentId());
        assertEquals(42, empty.sequence());
        assertTrue(empty.seconds().isEmpty());
        final Batch quiet = read(reader, WireBytes.frame(WireBytes.hex("01 61 FF FF FF FF FF FF FF FF 00 00 00 01" +
            "01 69 01 70" + "FF FF FF FF FF FF FF FF" + "00".repeat(36) + "00 00" + "00 00 00 00")));
        assertEquals(-1, quiet.sequence());
        assertEquals(-1, quiet.seconds().get(0).epochSecond());
        assertTrue(quiet.seconds().get(0).flows().isEmpty());
    }
}
