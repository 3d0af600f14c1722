package org.esimmeter.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Flag CONTEXT (0x04): the serving network and uncaptured bytes per second, device and service labels per flow.
 * The golden frame is written out byte by byte from {@link WireFormat}'s javadoc: one second on wwan0 roaming on
 * 234-15, 3 packets / 4,500 bytes the kernel counted down that the capture never saw, two flows of the same phone,
 * one to example.com (its device inferred), one DNS query with no service.
 */
class WireContextTest {
    static final String BODY =
        "02 72 31" +                        // agentId "r1"
        "00 00 00 00 00 00 00 09" +         // sequence 9
        "00 00 00 86" +                     // labels offset 134: the device count below
        "00 00 00 01" +                     // one second
        "05 77 77 61 6E 30" + "01 70" +     // wwan0 / p
        "00 00 00 00 65 53 F1 00" +         // 1700000000
        "02 C8 01 AC 01" + "00".repeat(6) + // total: up 2 / 200 / 172
        "00".repeat(27) +                   // nonIp, unparsed, overflow
        "02 00" +                           // pcapReceived 2, pcapDropped 0
        "05 32 33 34 31 35" +               // network "23415"
        "00 00 00" + "03 94 23 EA 22" + "00 00 00" + // uncaptured: down 3 / 4500 / 4458
        "00 00 00 02" +                     // two flows
        // up, approximate (0x08), TCP 10.0.0.2:50000 -> 93.184.216.34:443, 1 / 100 / 86, device 1, service 1
        "08 06 C3 50 01 BB 0A 00 00 02 5D B8 D8 22 01 64 56 01 01" +
        // up, UDP 10.0.0.2:40000 -> 8.8.8.8:53, 1 / 100 / 86, device 1, no service
        "00 11 9C 40 00 35 0A 00 00 02 08 08 08 08 01 64 56 01 00" +
        "00 00 00 01" +                     // one device
        "11 30 32 3A 30 30 3A 30 30 3A 30 30 3A 30 30 3A 31 37" + // key "02:00:00:00:00:17"
        "0C 31 39 32 2E 31 36 38 2E 38 2E 32 33" +                // address "192.168.8.23"
        "00" +                              // no hostname
        "00 00 00 01" +                     // one service
        "0B 65 78 61 6D 70 6C 65 2E 63 6F 6D"; // "example.com"
    static final String HEADER = "45 53 4D 42" + "01 04 00 00" + "00 00 00 BA"; // flags CONTEXT, body 186
    /** Offsets in BODY: the labels offset, flow 0's device index, the device count. */
    private static final int LABELS_OFFSET = 11;
    private static final int FLOW0_DEVICE = 113;
    private static final int DEVICE_COUNT = 134;

    private static final Device PHONE = new Device("02:00:00:00:00:17", "192.168.8.23", null);

    private final BatchReader reader = new BatchReader(WireFormat.DEFAULT_MAX_FRAME_BYTES);
    private final TrafficCounters none = new TrafficCounters();

    private static byte[] body() {
        return WireBytes.hex(BODY);
    }

    private String refusal(final byte[] frame) {
        final String message = assertThrows(WireFormatException.class, () -> BatchReaderTest.read(reader, frame))
            .getMessage();
        assertFalse(message.contains("\n"), message);
        return message;
    }

    private static byte[] patched(final int offset, final String replacement) {
        final byte[] body = body();
        return WireBytes.frame(WireFormat.FLAG_CONTEXT, WireBytes.cat(Arrays.copyOfRange(body, 0, offset),
            WireBytes.hex(replacement), Arrays.copyOfRange(body, offset + WireBytes.hex(replacement).length,
                body.length)));
    }

    @Test
    void shouldWriteTheGoldenBytes() {
        assertEquals(186, body().length);
        final BatchWriter writer = new BatchWriter();
        final ByteBuf out = ByteBufAllocator.DEFAULT.buffer();
        try {
            final TrafficCounters uncaptured = GoldenBatch.counters(0, 0, 0, 3, 4500, 4458, 0, 0, 0);
            writer.begin(out, "r1", 9, WireFormat.FLAG_CONTEXT)
                .second("wwan0", "p", 1_700_000_000L, 1, "23415", GoldenBatch.counters(2, 200, 172, 0, 0, 0, 0, 0, 0),
                    none, none, none, uncaptured, 2, 0, 2)
                .flow(Direction.UP, 4, 6, 0, Addresses.IPV4_MAPPED_PREFIX | 0x0A00_0002L, 50_000, 0,
                    Addresses.IPV4_MAPPED_PREFIX | 0x5DB8_D822L, 443, 1, 100, 86, PHONE, true, "example.com")
                // An equal Device (not the same instance) is the same table entry.
                .flow(Direction.UP, 4, 17, 0, Addresses.IPV4_MAPPED_PREFIX | 0x0A00_0002L, 40_000, 0,
                    Addresses.IPV4_MAPPED_PREFIX | 0x0808_0808L, 53, 1, 100, 86,
                    new Device("02:00:00:00:00:17", "192.168.8.23", ""), false, null);
            assertEquals(12 + 186 + 4, writer.end());
            assertArrayEquals(WireBytes.withCrc(WireBytes.hex(HEADER + BODY)), ByteBufUtil.getBytes(out));
        } finally {
            out.release();
        }
    }

    @Test
    void shouldReadTheGoldenValues() throws WireFormatException {
        final Batch batch = BatchReaderTest.read(reader, WireBytes.frame(WireFormat.FLAG_CONTEXT, body()));
        final SecondUsage second = batch.seconds().get(0);
        assertEquals("23415", second.network());
        assertEquals(3, second.uncaptured().get(Direction.DOWN, TrafficCounters.PACKETS));
        assertEquals(4500, second.uncaptured().get(Direction.DOWN, TrafficCounters.WIRE_BYTES));
        assertEquals(4458, second.uncaptured().get(Direction.DOWN, TrafficCounters.IP_BYTES));
        assertEquals(0, second.uncaptured().sum(TrafficCounters.PACKETS) - 3);
        final FlowUsage web = second.flows().get(0);
        assertEquals(PHONE, web.device());
        assertTrue(web.approximate());
        assertEquals("example.com", web.service());
        assertEquals("93.184.216.34", web.dst());
        final FlowUsage dns = second.flows().get(1);
        assertEquals(PHONE, dns.device());
        assertFalse(dns.approximate());
        assertNull(dns.service());
        assertEquals(53, dns.dstPort());
    }

    @Test
    void shouldReadNoContextWithoutTheFlag() throws WireFormatException {
        final Batch batch = BatchReaderTest.read(reader, GoldenBatch.frame());
        assertEquals("", batch.seconds().get(0).network());
        assertTrue(batch.seconds().get(0).uncaptured().isEmpty());
        assertFalse(batch.seconds().get(0).hasContext());
    }

    @Test
    void shouldRefuseALabelIndexBeyondItsTable() {
        assertEquals("second[0].flow[0].device : 2 (expected: 0..1)", refusal(patched(FLOW0_DEVICE, "02")));
        assertEquals("second[0].flow[0].service : 3 (expected: 0..1)", refusal(patched(FLOW0_DEVICE + 1, "03")));
    }

    @Test
    void shouldRefuseAnApproximateDeviceThatIsNotThere() {
        assertEquals("second[0].flow[0].flags : device approximate without a device",
            refusal(patched(FLOW0_DEVICE, "00")));
    }

    @Test
    void shouldRefuseTheApproximateBitWithoutTheFlag() {
        // The same flow bytes in a frame without CONTEXT: bit 3 means nothing there.
        final byte[] golden = WireBytes.hex(GoldenBatch.BODY);
        final int flags = GoldenBatch.FLOW0_FLAGS_OFFSET - 12;
        golden[flags] |= 0x08;
        assertEquals("second[0].flow[0].flags : 0x8 (expected: direction 0..2, bit 2 for IPv6)",
            refusal(WireBytes.frame(golden)));
    }

    @Test
    void shouldRefuseTruncatedOrForgedTables() {
        final byte[] body = body();
        assertEquals("service[0] : truncated (10 of 11 bytes)",
            refusal(WireBytes.frame(WireFormat.FLAG_CONTEXT, Arrays.copyOf(body, body.length - 1))));
        assertEquals("device count : 16777217 does not fit in 48 bytes", refusal(patched(DEVICE_COUNT, "01 00 00 01")));
        assertEquals("body : 1 bytes after the last label", refusal(WireBytes.frame(WireFormat.FLAG_CONTEXT,
            WireBytes.cat(body, WireBytes.hex("00")))));
    }

    @Test
    void shouldRefuseALabelsOffsetOutsideTheBody() {
        assertEquals("labels offset : 5 (expected: 19..186)", refusal(patched(LABELS_OFFSET, "00 00 00 05")));
        assertEquals("labels offset : 187 (expected: 19..186)", refusal(patched(LABELS_OFFSET, "00 00 00 BB")));
        // Pointing into the flows: the tables read there are garbage, or the seconds end early; either is refused.
        assertFalse(refusal(patched(LABELS_OFFSET, "00 00 00 40")).isEmpty());
    }

    @Test
    void shouldRefuseContextInABatchWithoutTheFlag() {
        final BatchWriter writer = new BatchWriter();
        final ByteBuf out = ByteBufAllocator.DEFAULT.buffer();
        try {
            writer.begin(out, "r1", 1);
            assertEquals("network : needs a batch begun with FLAG_CONTEXT", assertThrows(IllegalArgumentException.class,
                () -> writer.second("wwan0", "p", 1, 1, "23415", none, none, none, none, null, 0, 0, 0)).getMessage());
            writer.second("wwan0", "p", 1, none, none, none, none, 0, 0, 1);
            assertEquals("service : needs a batch begun with FLAG_CONTEXT", assertThrows(IllegalArgumentException.class,
                () -> writer.flow(0, 4, 6, 0, 0, 1, 0, 0, 2, 0, 0, 0, null, false, "example.com")).getMessage());
            assertEquals("flags : 0x02 (expected: SPANS 0x01 and/or CONTEXT 0x04)", assertThrows(
                IllegalArgumentException.class, () -> new BatchWriter().begin(out, "r1", 1, 0x02)).getMessage());
        } finally {
            out.release();
        }
    }
}
