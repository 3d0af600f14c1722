package org.esimmeter.wire;

import static org.esimmeter.wire.GoldenExtensions.CLOCK_BODY;
import static org.esimmeter.wire.GoldenExtensions.CLOCK_STEP0;
import static org.esimmeter.wire.GoldenExtensions.CLOCK_STEP_COUNT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The header's flags: merged records (SPANS) and clock steps (CLOCK_STEPS). The writer produces exactly the
 * hand-written golden bytes, the reader gives back exactly their values, and both refuse what the format forbids.
 */
class WireFlagsTest {
    /** Offsets in MERGED_BODY: record 0's span byte (3C), record 1's span varint (90 1C). */
    private static final int SPAN0 = 31;
    private static final int SPAN1 = 111;

    private final BatchWriter writer = new BatchWriter();
    private final BatchReader reader = new BatchReader(WireFormat.DEFAULT_MAX_FRAME_BYTES);
    private final TrafficCounters none = new TrafficCounters();

    private String refusal(final byte[] frame) {
        final String message = assertThrows(WireFormatException.class, () -> BatchReaderTest.read(reader, frame))
            .getMessage();
        assertFalse(message.contains("\n"), message);
        return message;
    }

    private static byte[] mergedBody() {
        return WireBytes.hex(GoldenExtensions.MERGED_BODY);
    }

    private static byte[] clockBody() {
        return WireBytes.hex(CLOCK_BODY);
    }

    /** {@code body} with bytes [from, to) replaced, framed with these flags, the right length and checksum. */
    private static byte[] splice(final int flags, final byte[] body, final int from, final int to,
        final String replacement) {
        return WireBytes.frame(flags, WireBytes.cat(Arrays.copyOfRange(body, 0, from), WireBytes.hex(replacement),
            Arrays.copyOfRange(body, to, body.length)));
    }

    /** Runs {@code calls} (which begin a batch in the given buffer), ends the batch, returns the frame. */
    private byte[] write(final java.util.function.Consumer<ByteBuf> calls) {
        final ByteBuf out = ByteBufAllocator.DEFAULT.buffer();
        try {
            calls.accept(out);
            final int length = writer.end();
            assertEquals(length, out.readableBytes());
            return ByteBufUtil.getBytes(out);
        } finally {
            out.release();
        }
    }

    @Test
    void shouldWriteTheMergedGoldenBytes() {
        final ByteBuf out = ByteBufAllocator.DEFAULT.buffer();
        try {
            writer.beginMerged(out, "r1", 42)
                .second("wwan0", "p", 1_700_000_040L, 60, GoldenBatch.counters(3, 300, 258, 0, 0, 0, 0, 0, 0), none,
                    none, none, 3, 0, 1);
            BatchWriterTest.flow(writer, GoldenExtensions.FLOW_V4);
            final TrafficCounters down = GoldenBatch.counters(0, 0, 0, 1, 100, 80, 0, 0, 0);
            writer.second("wwan0", "p", 1_700_002_800L, 3600, down, none, none, down, 0, 0, 0);
            assertEquals(12 + GoldenExtensions.MERGED_BODY_LENGTH + 4, writer.end());
            assertArrayEquals(GoldenExtensions.mergedFrame(), ByteBufUtil.getBytes(out));
        } finally {
            out.release();
        }
    }

    @Test
    void shouldWriteTheClockStepGoldenBytes() {
        final ByteBuf out = ByteBufAllocator.DEFAULT.buffer();
        try {
            final TrafficCounters oneFrame = GoldenBatch.counters(1, 60, 40, 0, 0, 0, 0, 0, 0);
            writer.begin(out, "r1", 7).second("wwan0", "p", 120, oneFrame, none, none, oneFrame, 1, 0, 0);
            // The flag is in the header as soon as the first step is written, not only after end().
            writer.clockStep(1_700_000_000_500L, 1_699_999_879_500L, 0, 120);
            assertEquals(WireFormat.FLAG_CLOCK_STEPS, out.getByte(WireFormat.FLAGS_OFFSET));
            writer.clockStep(1_700_000_300_000L, -2_500, 1_700_000_200L, 1_700_000_299L);
            assertEquals(12 + GoldenExtensions.CLOCK_BODY_LENGTH + 4, writer.end());
            assertArrayEquals(GoldenExtensions.clockFrame(), ByteBufUtil.getBytes(out));
        } finally {
            out.release();
        }
    }

    @Test
    void shouldReadTheGoldenValues() throws WireFormatException {
        assertEquals(WireBytes.describe(GoldenExtensions.merged()),
            WireBytes.describe(BatchReaderTest.read(reader, GoldenExtensions.mergedFrame())));
        assertEquals(WireBytes.describe(GoldenExtensions.clockSteps()),
            WireBytes.describe(BatchReaderTest.read(reader, GoldenExtensions.clockFrame())));
        final Batch merged = BatchReaderTest.read(reader, GoldenExtensions.mergedFrame());
        assertEquals(60, merged.seconds().get(0).spanSeconds());
        assertEquals(3600, merged.seconds().get(1).spanSeconds());
        assertEquals(new ClockStep(1_700_000_300_000L, -2_500, 1_700_000_200L, 1_700_000_299L),
            BatchReaderTest.read(reader, GoldenExtensions.clockFrame()).clockSteps().get(1));
        // Without the flag every span is 1, and there are no clock steps.
        final Batch plain = BatchReaderTest.read(reader, GoldenBatch.frame());
        assertEquals(1, plain.seconds().get(0).spanSeconds());
        assertEquals(0, plain.clockSteps().size());
    }

    /** begin() and the span overload with span 1 keep writing the flags-0 golden frame, byte for byte. */
    @Test
    void shouldKeepTheFlagsZeroFrameForOneSecondRecords() {
        final byte[] frame = write(out -> {
            writer.begin(out, GoldenBatch.AGENT_ID, GoldenBatch.SEQUENCE).second("wwan0", "ü-€",
                GoldenBatch.EPOCH_SECOND, 1, GoldenBatch.TOTAL, GoldenBatch.NON_IP, GoldenBatch.UNPARSED,
                GoldenBatch.OVERFLOW, 300_000, 7, 2);
            BatchWriterTest.flow(writer, GoldenBatch.FLOW_V4);
            BatchWriterTest.flow(writer, GoldenBatch.FLOW_V6);
        });
        assertArrayEquals(GoldenBatch.frame(), frame);
    }

    @Test
    void shouldWriteSpanOneAsAVarintInAMergedBatch() throws WireFormatException {
        final ByteBuf out = ByteBufAllocator.DEFAULT.buffer();
        try {
            writer.beginMerged(out, "a", 1).second("i", "p", 5, 1, none, none, none, none, 0, 0, 0).end();
            // "a", sequence, count, "i", "p", epochSecond, then the span byte.
            assertEquals(WireFormat.FLAG_SPANS, out.getByte(WireFormat.FLAGS_OFFSET));
            assertEquals(1, out.getByte(12 + 2 + 8 + 4 + 2 + 2 + 8));
            assertEquals(1, reader.read(out).seconds().get(0).spanSeconds());
        } finally {
            out.release();
        }
    }

    @Test
    void shouldWriteClockStepsInABatchWithoutSecondsAndWithSpans() throws WireFormatException {
        final byte[] alone = write(out -> writer.begin(out, "a", 3).clockStep(10_000, 5_000, 1, 9));
        assertEquals(WireFormat.FLAG_CLOCK_STEPS, alone[WireFormat.FLAGS_OFFSET]);
        final Batch read = BatchReaderTest.read(reader, alone);
        assertEquals(0, read.seconds().size());
        assertEquals(java.util.List.of(new ClockStep(10_000, 5_000, 1, 9)), read.clockSteps());
        final byte[] both = write(out -> writer.beginMerged(out, "a", 4)
            .second("i", "p", 60, 60, none, none, none, none, 0, 0, 0).clockStep(1, -1, 5, 5));
        assertEquals(WireFormat.FLAG_SPANS | WireFormat.FLAG_CLOCK_STEPS, both[WireFormat.FLAGS_OFFSET]);
        assertEquals(60, BatchReaderTest.read(reader, both).seconds().get(0).spanSeconds());
        assertEquals(-1, BatchReaderTest.read(reader, both).clockSteps().get(0).stepMillis());
        // The writer is reusable: the next batch starts without the previous one's flags.
        final byte[] next = write(out -> writer.begin(out, "a", 5));
        assertEquals(0, next[WireFormat.FLAGS_OFFSET]);
    }

    @Test
    void shouldRefuseSpansAndClockStepsTheFormatForbids() {
        final ByteBuf out = ByteBufAllocator.DEFAULT.buffer();
        try {
            writer.begin(out, "a", 1);
            assertEquals("spanSeconds : 60 (expected: 1 in a batch begun with begin(); beginMerged() allows 1..86400)",
                assertThrows(IllegalArgumentException.class,
                    () -> writer.second("i", "p", 0, 60, none, none, none, none, 0, 0, 0)).getMessage());
            writer.end();
            out.clear();
            writer.beginMerged(out, "a", 1);
            assertEquals("spanSeconds : 0 (expected: 1..86400)", assertThrows(IllegalArgumentException.class,
                () -> writer.second("i", "p", 0, 0, none, none, none, none, 0, 0, 0)).getMessage());
            assertEquals("spanSeconds : 86401 (expected: 1..86400)", assertThrows(IllegalArgumentException.class,
                () -> writer.second("i", "p", 0, 86_401, none, none, none, none, 0, 0, 0)).getMessage());
            assertEquals("stepMillis : 0 (expected: != 0)", assertThrows(IllegalArgumentException.class,
                () -> writer.clockStep(1, 0, 1, 2)).getMessage());
            assertEquals("fromSecond : 3 (expected: <= toSecond 2)", assertThrows(IllegalArgumentException.class,
                () -> writer.clockStep(1, 1, 3, 2)).getMessage());
            writer.second("i", "p", 0, 60, none, none, none, none, 0, 0, 1);
            assertEquals("1 flows of the last second are missing", assertThrows(IllegalStateException.class,
                () -> writer.clockStep(1, 1, 1, 2)).getMessage());
            writer.flow(0, 4, 6, 0, 0, 1, 0, 0, 2, 0, 0, 0);
            writer.clockStep(1, 1, 1, 2);
            assertEquals("no seconds after a clock step", assertThrows(IllegalStateException.class,
                () -> writer.second("i", "p", 0, 60, none, none, none, none, 0, 0, 0)).getMessage());
            writer.end();
            assertEquals("no batch is open: call begin() first", assertThrows(IllegalStateException.class,
                () -> writer.clockStep(1, 1, 1, 2)).getMessage());
        } finally {
            out.release();
        }
    }

    /** Refused calls leave the frame as it was: the golden bytes still come out around them. */
    @Test
    void shouldLeaveTheBatchIntactWhenASpanOrStepIsRefused() {
        final ByteBuf out = ByteBufAllocator.DEFAULT.buffer();
        try {
            final TrafficCounters oneFrame = GoldenBatch.counters(1, 60, 40, 0, 0, 0, 0, 0, 0);
            writer.begin(out, "r1", 7);
            assertThrows(IllegalArgumentException.class,
                () -> writer.second("wwan0", "p", 120, 2, oneFrame, none, none, oneFrame, 1, 0, 0));
            writer.second("wwan0", "p", 120, oneFrame, none, none, oneFrame, 1, 0, 0);
            assertThrows(IllegalArgumentException.class, () -> writer.clockStep(1, 0, 0, 120));
            assertEquals(0, out.getByte(WireFormat.FLAGS_OFFSET));
            writer.clockStep(1_700_000_000_500L, 1_699_999_879_500L, 0, 120);
            assertThrows(IllegalArgumentException.class, () -> writer.clockStep(1, 1, 121, 120));
            writer.clockStep(1_700_000_300_000L, -2_500, 1_700_000_200L, 1_700_000_299L);
            writer.end();
            assertArrayEquals(GoldenExtensions.clockFrame(), ByteBufUtil.getBytes(out));
        } finally {
            out.release();
        }
    }

    @ParameterizedTest
    @CsvSource({"08, 0x08, 0x08", "0D, 0x0d, 0x08", "80, 0x80, 0x80", "FF, 0xff, 0xf8"})
    void shouldRefuseUnknownFlagBits(final String flags, final String shown, final String unknown) {
        final byte[] frame = GoldenBatch.frame();
        frame[WireFormat.FLAGS_OFFSET] = (byte) Integer.parseInt(flags, 16);
        assertEquals("flags : " + shown + " (unknown bits " + unknown + ")", refusal(WireBytes.recrc(frame)));
    }

    @Test
    void shouldRefuseSpansOutsideOneSecondToOneDay() throws WireFormatException {
        assertEquals("second[0].spanSeconds : 0 (expected: 1..86400)",
            refusal(splice(WireFormat.FLAG_SPANS, mergedBody(), SPAN0, SPAN0 + 1, "00")));
        // 86401 = 0x15181: 81 A3 05
        assertEquals("second[1].spanSeconds : 86401 (expected: 1..86400)",
            refusal(splice(WireFormat.FLAG_SPANS, mergedBody(), SPAN1, SPAN1 + 2, "81 A3 05")));
        assertEquals("second[1].spanSeconds : 9223372036854775807 (expected: 1..86400)",
            refusal(splice(WireFormat.FLAG_SPANS, mergedBody(), SPAN1, SPAN1 + 2, "FF FF FF FF FF FF FF FF 7F")));
        assertEquals("second[1].spanSeconds : varint longer than 10 bytes",
            refusal(splice(WireFormat.FLAG_SPANS, mergedBody(), SPAN1, SPAN1 + 2, "80".repeat(10) + " 00")));
        // 86400 = 0x15180: 80 A3 05, the largest span
        assertEquals(86_400, BatchReaderTest.read(reader, splice(WireFormat.FLAG_SPANS, mergedBody(), SPAN1,
            SPAN1 + 2, "80 A3 05")).seconds().get(1).spanSeconds());
        // Under flags 0 the span byte 3C reads as the total's up packets (60) and everything after shifts by one:
        // the flow count becomes 0, so the parts (0) no longer add up to that total.
        assertEquals("second[0] : flows + overflow + nonIp + unparsed = 0 but total = 60 (up, packets)",
            refusal(WireBytes.frame(0, mergedBody())));
    }

    @Test
    void shouldRefuseClockStepsTheFormatForbids() {
        final byte[] beforeSteps = Arrays.copyOf(clockBody(), CLOCK_STEP_COUNT);
        final int flag = WireFormat.FLAG_CLOCK_STEPS;
        assertEquals("clock step count : truncated (0 of 4 bytes)", refusal(WireBytes.frame(flag, beforeSteps)));
        assertEquals("clock step count : truncated (0 of 4 bytes)",
            refusal(WireBytes.frame(flag, WireBytes.body(GoldenBatch.frame()))));
        assertEquals("clock step count : 0 (expected: >= 1 when flag 0x02 is set)",
            refusal(WireBytes.frame(flag, WireBytes.cat(beforeSteps, WireBytes.hex("00 00 00 00")))));
        assertEquals("clock step count : 3 does not fit in 64 bytes",
            refusal(splice(flag, clockBody(), CLOCK_STEP_COUNT, CLOCK_STEP0, "00 00 00 03")));
        assertEquals("clock step count : 4294967295 does not fit in 64 bytes",
            refusal(splice(flag, clockBody(), CLOCK_STEP_COUNT, CLOCK_STEP0, "FF FF FF FF")));
        assertEquals("clockStep[0].stepMillis : 0 (expected: != 0)",
            refusal(splice(flag, clockBody(), CLOCK_STEP0 + 8, CLOCK_STEP0 + 16, "00".repeat(8))));
        // Step 1's affectedFromSecond 1700000200 -> 1700000300 (0x6553F22C), one past its affectedToSecond.
        assertEquals("clockStep[1].affectedFromSecond : 1700000300 (expected: <= affectedToSecond 1700000299)",
            refusal(splice(flag, clockBody(), CLOCK_STEP0 + 48, CLOCK_STEP0 + 56, "00 00 00 00 65 53 F2 2C")));
        assertEquals("body : 1 bytes after the last clock step",
            refusal(WireBytes.frame(flag, WireBytes.cat(clockBody(), WireBytes.hex("AA")))));
        // Without the flag the steps are just trailing bytes.
        assertEquals("body : 68 bytes after the last second", refusal(WireBytes.frame(0, clockBody())));
    }
}
