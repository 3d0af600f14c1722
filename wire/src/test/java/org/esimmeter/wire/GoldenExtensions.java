package org.esimmeter.wire;

import java.util.List;

/**
 * Two batches that use the header's flags, written out byte by byte from {@link WireFormat}'s javadoc like
 * {@link GoldenBatch}: nothing here comes from the code under test.
 * <p>
 * MERGED (flags 0x01): a minute record (span 60, one IPv4 flow) and an hour record (span 3600, a two-byte varint,
 * everything in overflow), as the agent's spool writes them once it reaches its cap.
 * <p>
 * CLOCK_STEPS (flags 0x02): one second stamped 1970-01-01T00:02:00 by a router that booted without a real-time
 * clock, then two steps: NTP setting the clock forward by 53 years, and a small step back of 2.5 s.
 */
final class GoldenExtensions {
    static final String MERGED_HEADER =
        "45 53 4D 42" +                 // magic "ESMB"
        "01 01 00 00" +                 // version 1, flags SPANS, reserved
        "00 00 00 9B";                  // body length 155

    static final String MERGED_BODY =
        "02 72 31" +                    // agentId "r1"
        "00 00 00 00 00 00 00 2A" +     // sequence 42
        "00 00 00 02" +                 // two records
        // record 0: wwan0 / p, 1700000040 (a minute boundary), span 60
        "05 77 77 61 6E 30" + "01 70" + "00 00 00 00 65 53 F1 28" + "3C" +
        "03 AC 02 82 02" + "00 00 00" + "00 00 00" +    // total: up 3 / 300 / 258
        "00".repeat(9) + "00".repeat(9) + "00".repeat(9) + // nonIp, unparsed, overflow
        "03" + "00" +                   // pcapReceived 3, pcapDropped 0
        "00 00 00 01" +                 // one flow
        // up, IPv4, TCP, 10.0.0.2:50000 -> 93.184.216.34:443, 3 / 300 / 258
        "00 06 C3 50 01 BB" + "0A 00 00 02" + "5D B8 D8 22" + "03 AC 02 82 02" +
        // record 1: wwan0 / p, 1700002800 (an hour boundary), span 3600 (varint 90 1C)
        "05 77 77 61 6E 30" + "01 70" + "00 00 00 00 65 53 FB F0" + "90 1C" +
        "00 00 00" + "01 64 50" + "00 00 00" +          // total: down 1 / 100 / 80
        "00".repeat(9) + "00".repeat(9) +                // nonIp, unparsed
        "00 00 00" + "01 64 50" + "00 00 00" +          // overflow: down 1 / 100 / 80
        "00" + "00" +                   // pcap counters
        "00 00 00 00";                  // no flows

    static final int MERGED_BODY_LENGTH = 155;

    static final String CLOCK_HEADER =
        "45 53 4D 42" +                 // magic "ESMB"
        "01 02 00 00" +                 // version 1, flags CLOCK_STEPS, reserved
        "00 00 00 8D";                  // body length 141

    static final String CLOCK_BODY =
        "02 72 31" +                    // agentId "r1"
        "00 00 00 00 00 00 00 07" +     // sequence 7
        "00 00 00 01" +                 // one second
        // wwan0 / p, 120 (1970-01-01T00:02:00Z), no span field without flag 0x01
        "05 77 77 61 6E 30" + "01 70" + "00 00 00 00 00 00 00 78" +
        "01 3C 28" + "00".repeat(6) +   // total: up 1 / 60 / 40
        "00".repeat(9) + "00".repeat(9) + // nonIp, unparsed
        "01 3C 28" + "00".repeat(6) +   // overflow: up 1 / 60 / 40
        "01" + "00" +                   // pcapReceived 1, pcapDropped 0
        "00 00 00 00" +                 // no flows
        "00 00 00 02" +                 // two clock steps
        // detected at 1700000000500 ms, +1699999879500 ms, seconds 0..120 stamped with the old clock
        "00 00 01 8B CF E5 69 F4" + "00 00 01 8B CF E3 91 4C" +
        "00 00 00 00 00 00 00 00" + "00 00 00 00 00 00 00 78" +
        // detected at 1700000300000 ms, -2500 ms, seconds 1700000200..1700000299
        "00 00 01 8B CF E9 FB E0" + "FF FF FF FF FF FF F6 3C" +
        "00 00 00 00 65 53 F1 C8" + "00 00 00 00 65 53 F2 2B";

    static final int CLOCK_BODY_LENGTH = 141;
    /** Offset in CLOCK_BODY of the step count, and of the first step. */
    static final int CLOCK_STEP_COUNT = 73;
    static final int CLOCK_STEP0 = 77;

    private GoldenExtensions() {
    }

    static byte[] mergedFrame() {
        return WireBytes.withCrc(WireBytes.hex(MERGED_HEADER + MERGED_BODY));
    }

    static byte[] clockFrame() {
        return WireBytes.withCrc(WireBytes.hex(CLOCK_HEADER + CLOCK_BODY));
    }

    static final FlowUsage FLOW_V4 = new FlowUsage(Direction.UP, 4, 6, 0, 0x0000_FFFF_0A00_0002L, 50000, 0,
        0x0000_FFFF_5DB8_D822L, 443, 3, 300, 258);

    static Batch merged() {
        final TrafficCounters none = new TrafficCounters();
        return new Batch("r1", 42, List.of(
            new SecondUsage("wwan0", "p", 1_700_000_040L, GoldenBatch.counters(3, 300, 258, 0, 0, 0, 0, 0, 0), none,
                none, none, 3, 0, List.of(FLOW_V4), 60),
            new SecondUsage("wwan0", "p", 1_700_002_800L, GoldenBatch.counters(0, 0, 0, 1, 100, 80, 0, 0, 0), none,
                none, GoldenBatch.counters(0, 0, 0, 1, 100, 80, 0, 0, 0), 0, 0, List.of(), 3600)));
    }

    static Batch clockSteps() {
        final TrafficCounters none = new TrafficCounters();
        final TrafficCounters oneFrame = GoldenBatch.counters(1, 60, 40, 0, 0, 0, 0, 0, 0);
        return new Batch("r1", 7, List.of(new SecondUsage("wwan0", "p", 120, oneFrame, none, none, oneFrame, 1, 0,
            List.of())), List.of(
                new ClockStep(1_700_000_000_500L, 1_699_999_879_500L, 0, 120),
                new ClockStep(1_700_000_300_000L, -2_500, 1_700_000_200L, 1_700_000_299L)));
    }
}
