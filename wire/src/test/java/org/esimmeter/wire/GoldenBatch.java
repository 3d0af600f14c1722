package org.esimmeter.wire;

import java.util.List;

/**
 * One small batch written out byte by byte from the layout in {@link WireFormat}'s javadoc, shared by the encoder
 * test (the writer must produce exactly these bytes) and the decoder test (the reader must give back exactly these
 * values). Nothing here is produced by the code under test: the CRC32C is java.util.zip's over the hand-written
 * bytes.
 * <p>
 * One second of interface "wwan0", profile "ü-€" (2- and 3-byte UTF-8), an IPv4 flow up and an IPv6 flow down,
 * non-IP up, unparsed down, overflow in the unknown direction, and varints of one, two and three bytes.
 */
final class GoldenBatch {
    static final String AGENT_ID = "r1";
    static final long SEQUENCE = 0x0102030405060708L;
    static final long EPOCH_SECOND = 1_700_000_000L;
    static final int BODY_LENGTH = 157;
    static final int FRAME_LENGTH = 12 + BODY_LENGTH + 4;
    /** Offset of the first flow's flags byte in the frame. */
    static final int FLOW0_FLAGS_OFFSET = 12 + 92;
    /** Offset of the second's pcapReceived varint in the frame. */
    static final int PCAP_RECEIVED_OFFSET = 12 + 84;

    static final String HEADER =
        "45 53 4D 42" +                 // magic "ESMB"
        "01 00 00 00" +                 // version 1, flags 0, reserved
        "00 00 00 9D";                  // body length 157

    static final String BODY =
        "02 72 31" +                    // agentId "r1"
        "01 02 03 04 05 06 07 08" +     // sequence
        "00 00 00 01" +                 // one second
        "05 77 77 61 6E 30" +           // interface "wwan0"
        "06 C3 BC 2D E2 82 AC" +        // profile "ü-€"
        "00 00 00 00 65 53 F1 00" +     // epochSecond 1700000000
        // total: up 4 / 360 / 258, down 202 / 20130 / 17200, unknown 1 / 1514 / 1500
        "04 E8 02 82 02" + "CA 01 A2 9D 01 B0 86 01" + "01 EA 0B DC 0B" +
        // nonIp: up 1 / 60 / 0
        "01 3C 00" + "00 00 00" + "00 00 00" +
        // unparsed: down 2 / 130 / 0
        "00 00 00" + "02 82 01 00" + "00 00 00" +
        // overflow: unknown 1 / 1514 / 1500
        "00 00 00" + "00 00 00" + "01 EA 0B DC 0B" +
        "E0 A7 12" +                    // pcapReceived 300000
        "07" +                          // pcapDropped 7
        "00 00 00 02" +                 // two flows
        // flow 0: up, IPv4, TCP, 10.0.0.2:50000 -> 93.184.216.34:443, 3 / 300 / 258
        "00 06 C3 50 01 BB" + "0A 00 00 02" + "5D B8 D8 22" + "03 AC 02 82 02" +
        // flow 1: down, IPv6, UDP, [2001:db8::1]:53 -> [2001:db8::2]:40000, 200 / 20000 / 17200
        "05 11 00 35 9C 40" +
        "20 01 0D B8 00 00 00 00 00 00 00 00 00 00 00 01" +
        "20 01 0D B8 00 00 00 00 00 00 00 00 00 00 00 02" +
        "C8 01 A0 9C 01 B0 86 01";

    private GoldenBatch() {
    }

    /** The whole frame: header, body and the CRC32C of both. */
    static byte[] frame() {
        return WireBytes.withCrc(WireBytes.hex(HEADER + BODY));
    }

    static TrafficCounters counters(final long... perDirection) {
        final TrafficCounters counters = new TrafficCounters();
        for (int direction = 0; direction < Direction.COUNT; direction++) {
            counters.add(direction, perDirection[3 * direction], perDirection[3 * direction + 1],
                perDirection[3 * direction + 2]);
        }
        return counters;
    }

    static final TrafficCounters TOTAL = counters(4, 360, 258, 202, 20130, 17200, 1, 1514, 1500);
    static final TrafficCounters NON_IP = counters(1, 60, 0, 0, 0, 0, 0, 0, 0);
    static final TrafficCounters UNPARSED = counters(0, 0, 0, 2, 130, 0, 0, 0, 0);
    static final TrafficCounters OVERFLOW = counters(0, 0, 0, 0, 0, 0, 1, 1514, 1500);

    static final FlowUsage FLOW_V4 = new FlowUsage(Direction.UP, 4, 6, 0, 0x0000_FFFF_0A00_0002L, 50000, 0,
        0x0000_FFFF_5DB8_D822L, 443, 3, 300, 258);
    static final FlowUsage FLOW_V6 = new FlowUsage(Direction.DOWN, 6, 17, 0x2001_0DB8_0000_0000L, 1, 53,
        0x2001_0DB8_0000_0000L, 2, 40000, 200, 20000, 17200);

    static Batch batch() {
        return new Batch(AGENT_ID, SEQUENCE, List.of(new SecondUsage("wwan0", "ü-€", EPOCH_SECOND, TOTAL, NON_IP,
            UNPARSED, OVERFLOW, 300_000, 7, List.of(FLOW_V4, FLOW_V6))));
    }
}
