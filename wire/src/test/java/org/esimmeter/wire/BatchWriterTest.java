package org.esimmeter.wire;

import static org.esimmeter.wire.GoldenBatch.EPOCH_SECOND;
import static org.esimmeter.wire.GoldenBatch.FLOW_V4;
import static org.esimmeter.wire.GoldenBatch.FLOW_V6;
import static org.esimmeter.wire.GoldenBatch.NON_IP;
import static org.esimmeter.wire.GoldenBatch.OVERFLOW;
import static org.esimmeter.wire.GoldenBatch.TOTAL;
import static org.esimmeter.wire.GoldenBatch.UNPARSED;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The encoder writes exactly the golden bytes, and refuses misuse without corrupting the batch it is writing. */
class BatchWriterTest {
    private final BatchWriter writer = new BatchWriter();

    static BatchWriter flow(final BatchWriter writer, final FlowUsage flow) {
        return writer.flow(flow.direction(), flow.ipVersion(), flow.protocol(), flow.srcHi(), flow.srcLo(),
            flow.srcPort(), flow.dstHi(), flow.dstLo(), flow.dstPort(), flow.packets(), flow.wireBytes(),
            flow.ipBytes());
    }

    private static BatchWriter goldenSecond(final BatchWriter writer, final long pcapReceived, final int flows) {
        return writer.second("wwan0", "ü-€", EPOCH_SECOND, TOTAL, NON_IP, UNPARSED, OVERFLOW, pcapReceived, 7, flows);
    }

    private int writeGolden(final ByteBuf out) {
        writer.begin(out, GoldenBatch.AGENT_ID, GoldenBatch.SEQUENCE);
        goldenSecond(writer, 300_000, 2);
        flow(writer, FLOW_V4);
        flow(writer, FLOW_V6);
        return writer.end();
    }

    @Test
    void shouldWriteTheGoldenBytes() {
        final ByteBuf out = ByteBufAllocator.DEFAULT.buffer();
        try {
            assertEquals(GoldenBatch.FRAME_LENGTH, writeGolden(out));
            assertArrayEquals(GoldenBatch.frame(), ByteBufUtil.getBytes(out));
        } finally {
            out.release();
        }
    }

    @Test
    void shouldWriteAfterWhatTheBufferHoldsAndBeReusable() {
        final ByteBuf out = ByteBufAllocator.DEFAULT.buffer();
        try {
            out.writeBytes(new byte[] {9, 9, 9, 9, 9});
            writeGolden(out);
            writeGolden(out);
            final byte[] written = ByteBufUtil.getBytes(out);
            final byte[] golden = GoldenBatch.frame();
            assertArrayEquals(new byte[] {9, 9, 9, 9, 9}, Arrays.copyOfRange(written, 0, 5));
            assertArrayEquals(golden, Arrays.copyOfRange(written, 5, 5 + golden.length));
            assertArrayEquals(golden, Arrays.copyOfRange(written, 5 + golden.length, written.length));
        } finally {
            out.release();
        }
    }

    /** LEB128 at every length boundary, written where the golden second keeps pcapReceived (followed by 07). */
    @ParameterizedTest
    @CsvSource({
        "0, 00",
        "127, 7F",
        "128, 80 01",
        "16383, FF 7F",
        "16384, 80 80 01",
        "2097151, FF FF 7F",
        "2097152, 80 80 80 01",
        "9223372036854775807, FF FF FF FF FF FF FF FF 7F"})
    void shouldEncodeVarintsAsUnsignedLeb128(final long value, final String expected) {
        final ByteBuf out = ByteBufAllocator.DEFAULT.buffer();
        try {
            writer.begin(out, GoldenBatch.AGENT_ID, GoldenBatch.SEQUENCE);
            goldenSecond(writer, value, 0).end();
            final byte[] varint = WireBytes.hex(expected + " 07");
            assertArrayEquals(varint, ByteBufUtil.getBytes(out, GoldenBatch.PCAP_RECEIVED_OFFSET, varint.length));
        } finally {
            out.release();
        }
    }

    @Test
    void shouldRefuseCallsOutOfOrder() {
        final ByteBuf out = ByteBufAllocator.DEFAULT.buffer();
        try {
            assertEquals("no batch is open: call begin() first",
                assertThrows(IllegalStateException.class, () -> goldenSecond(writer, 1, 0)).getMessage());
            assertEquals("no batch is open: call begin() first",
                assertThrows(IllegalStateException.class, () -> flow(writer, FLOW_V4)).getMessage());
            assertEquals("no batch is open: call begin() first",
                assertThrows(IllegalStateException.class, writer::end).getMessage());
            writer.begin(out, "a", 1);
            assertEquals("a batch is already open",
                assertThrows(IllegalStateException.class, () -> writer.begin(out, "a", 2)).getMessage());
        } finally {
            out.release();
        }
    }

    @Test
    void shouldRefuseMissingAndExtraFlows() {
        final ByteBuf out = ByteBufAllocator.DEFAULT.buffer();
        try {
            writer.begin(out, "a", 1);
            goldenSecond(writer, 1, 2);
            flow(writer, FLOW_V4);
            assertEquals("1 flows of the last second are missing",
                assertThrows(IllegalStateException.class, writer::end).getMessage());
            assertEquals("1 flows of the previous second are missing",
                assertThrows(IllegalStateException.class, () -> goldenSecond(writer, 1, 0)).getMessage());
            flow(writer, FLOW_V6);
            assertEquals("more flows than the second declared",
                assertThrows(IllegalStateException.class, () -> flow(writer, FLOW_V4)).getMessage());
            // Agent "a" is one byte shorter than "r1", pcapReceived 1 takes one byte instead of three.
            assertEquals(GoldenBatch.FRAME_LENGTH - 1 - 2, writer.end());
        } finally {
            out.release();
        }
    }

    @Test
    void shouldRefuseBadArgumentsWithOneLineNamingThem() {
        final ByteBuf out = ByteBufAllocator.DEFAULT.buffer();
        try {
            assertEquals("agentId : empty (expected: 1..255 UTF-8 bytes)",
                assertThrows(IllegalArgumentException.class, () -> writer.begin(out, "", 1)).getMessage());
            assertEquals("agentId : 256 UTF-8 bytes (expected: 1..255)",
                assertThrows(IllegalArgumentException.class, () -> writer.begin(out, "x".repeat(256), 1))
                    .getMessage());
            writer.begin(out, "a", 1);
            assertEquals("interface : 0 UTF-8 bytes (expected: 1..255)", assertThrows(IllegalArgumentException.class,
                () -> writer.second("", "p", 0, TOTAL, NON_IP, UNPARSED, OVERFLOW, 0, 0, 0)).getMessage());
            // 128 two-byte characters: 128 characters, 256 bytes.
            assertEquals("profile : 256 UTF-8 bytes (expected: 1..255)", assertThrows(IllegalArgumentException.class,
                () -> writer.second("i", "ü".repeat(128), 0, TOTAL, NON_IP, UNPARSED, OVERFLOW, 0, 0, 0))
                .getMessage());
            assertEquals("flowCount : -1 (expected: >= 0)", assertThrows(IllegalArgumentException.class,
                () -> goldenSecond(writer, 0, -1)).getMessage());
            assertEquals("counter : -1 (expected: >= 0)", assertThrows(IllegalArgumentException.class,
                () -> goldenSecond(writer, -1, 0)).getMessage());
            final TrafficCounters negative = GoldenBatch.counters(0, 0, 0, 0, 0, 0, 0, 0, -5);
            assertEquals("counter : -5 (expected: >= 0)", assertThrows(IllegalArgumentException.class,
                () -> writer.second("i", "p", 0, negative, NON_IP, UNPARSED, OVERFLOW, 0, 0, 0)).getMessage());
            goldenSecond(writer, 0, 1);
            assertEquals("counter : -3 (expected: >= 0)", assertThrows(IllegalArgumentException.class,
                () -> writer.flow(0, 4, 6, 0, 0, 1, 0, 0, 2, 1, 100, -3)).getMessage());
            assertEquals("direction : 3 (expected: 0..2)", assertThrows(IllegalArgumentException.class,
                () -> writer.flow(3, 4, 6, 0, 0, 1, 0, 0, 2, 1, 1, 1)).getMessage());
            assertEquals("ipVersion : 5 (expected: 4 or 6)", assertThrows(IllegalArgumentException.class,
                () -> writer.flow(0, 5, 6, 0, 0, 1, 0, 0, 2, 1, 1, 1)).getMessage());
            assertEquals("protocol : 256 (expected: 0..255)", assertThrows(IllegalArgumentException.class,
                () -> writer.flow(0, 4, 256, 0, 0, 1, 0, 0, 2, 1, 1, 1)).getMessage());
            assertEquals("srcPort : 65536 (expected: 0..65535)", assertThrows(IllegalArgumentException.class,
                () -> writer.flow(0, 4, 6, 0, 0, 65536, 0, 0, 2, 1, 1, 1)).getMessage());
            assertEquals("dstPort : -1 (expected: 0..65535)", assertThrows(IllegalArgumentException.class,
                () -> writer.flow(0, 4, 6, 0, 0, 1, 0, 0, -1, 1, 1, 1)).getMessage());
        } finally {
            out.release();
        }
    }

    /**
     * A refused call writes nothing and changes no state: the caller (the agent's capture thread) can drop the one
     * bad second and still send a valid batch with the rest.
     */
    @Test
    void shouldLeaveTheBatchIntactWhenACallIsRefused() throws WireFormatException {
        final ByteBuf out = ByteBufAllocator.DEFAULT.buffer();
        try {
            assertThrows(IllegalArgumentException.class, () -> writer.begin(out, "x".repeat(300), 1));
            writer.begin(out, GoldenBatch.AGENT_ID, GoldenBatch.SEQUENCE);
            final TrafficCounters negative = GoldenBatch.counters(0, 0, 0, 0, 0, 0, 0, 0, -5);
            assertThrows(IllegalArgumentException.class,
                () -> writer.second("wwan0", "ü-€", 1, TOTAL, NON_IP, UNPARSED, negative, 0, 0, 0));
            assertThrows(IllegalArgumentException.class,
                () -> writer.second("wwan0", "p".repeat(256), 1, TOTAL, NON_IP, UNPARSED, OVERFLOW, 0, 0, 0));
            goldenSecond(writer, 300_000, 2);
            assertThrows(IllegalArgumentException.class, () -> writer.flow(0, 4, 6, 0, 0, 1, 0, 0, 2, 1, 100, -3));
            assertThrows(IllegalArgumentException.class, () -> writer.flow(3, 4, 6, 0, 0, 1, 0, 0, 2, 1, 1, 1));
            flow(writer, FLOW_V4);
            flow(writer, FLOW_V6);
            writer.end();
            assertArrayEquals(GoldenBatch.frame(), ByteBufUtil.getBytes(out));
        } finally {
            out.release();
        }
    }
}
