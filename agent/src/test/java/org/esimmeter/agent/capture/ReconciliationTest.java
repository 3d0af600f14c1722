package org.esimmeter.agent.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.esimmeter.agent.decode.LinkType;
import org.esimmeter.agent.meter.Reconciler;
import org.esimmeter.wire.Direction;
import org.esimmeter.wire.TrafficCounters;
import org.junit.jupiter.api.Test;

/**
 * The comparison with the kernel's counters as the capture loop runs it: packets counted by a simulated kernel at
 * one instant and stamped by the capture at another (or never: hidden), counters sampled right after a drain, the
 * tally marked, and the sample compared once the handles were drained past {@link LiveCapture#RECONCILE_MARGIN_MILLIS}.
 * The uncaptured traffic handed out must never exceed what was really hidden, and equal it once the link is quiet.
 */
class ReconciliationTest {
    private static final long MARGIN_MICROS = LiveCapture.RECONCILE_MARGIN_MILLIS * 1000;
    private static final long SECOND = 1_000_000;
    private static final long HIDDEN = -1;
    private static final int UP = Direction.UP;
    private static final int DOWN = Direction.DOWN;

    /** A link seen both by the kernel's counters and by the capture. */
    private static final class Link {
        /** direction, length, countedAt, stampedAt (or HIDDEN), 1 once drained. */
        final List<long[]> packets = new ArrayList<>();
        final CaptureTally tally = new CaptureTally();
        final Reconciler reconciler;
        final int pseudoHeader;
        final TrafficCounters uncaptured = new TrafficCounters();
        final long[] hiddenPackets = new long[2];
        final long[] hiddenBytes = new long[2];
        long sampleAt = -1;
        int resets;

        Link(final int linkType) {
            this.pseudoHeader = LinkType.pseudoHeaderLength(linkType);
            this.reconciler = new Reconciler(pseudoHeader, LinkType.kernelHeaderLength(linkType));
        }

        /** A packet of {@code length} bytes as the kernel counts it; the capture adds its pseudo header. */
        Link packet(final int direction, final int length, final long countedAt, final long stampedAt) {
            packets.add(new long[] {direction, length, countedAt, stampedAt, 0});
            if (stampedAt == HIDDEN) {
                hiddenPackets[direction]++;
                hiddenBytes[direction] += length;
            }
            return this;
        }

        /** The kernel's counters at {@code at}: every packet counted by then. */
        void feedKernel(final long at) {
            final long[] p = new long[2];
            final long[] b = new long[2];
            for (final long[] packet : packets) {
                if (packet[2] <= at) {
                    p[(int) packet[0]]++;
                    b[(int) packet[0]] += packet[1];
                }
            }
            reconciler.kernel(p[DOWN], b[DOWN], p[UP], b[UP]);
        }

        /** Reads the ring at {@code at}: every captured packet stamped by then, in stamp order. */
        void drain(final long at) {
            packets.sort((x, y) -> Long.compare(x[3], y[3]));
            for (final long[] packet : packets) {
                if (packet[3] != HIDDEN && packet[3] <= at && packet[4] == 0) {
                    tally.add(packet[3], (int) packet[0], (int) packet[1] + pseudoHeader);
                    packet[4] = 1;
                }
            }
        }

        void feedCaptured() {
            for (int direction = 0; direction < Direction.COUNT; direction++) {
                reconciler.captured(direction, tally.packetsUpToMark(direction), tally.bytesUpToMark(direction));
            }
        }

        /** At open: drain, then the baseline. */
        Link open(final long at) {
            drain(at);
            feedKernel(at);
            feedCaptured();
            assertEquals(Reconciler.NOTHING, reconciler.update());
            return this;
        }

        /**
         * One pass of the capture loop at {@code at}: drain, compare a pending sample whose margin has passed, then
         * (when {@code sample}) read the counters and mark the tally.
         */
        void pass(final long at, final boolean sample) {
            drain(at);
            if (sampleAt >= 0 && at - sampleAt >= MARGIN_MICROS) {
                sampleAt = -1;
                feedCaptured();
                final int result = reconciler.update();
                if (result == Reconciler.UNCAPTURED) {
                    uncaptured.add(reconciler.increment());
                } else if (result == Reconciler.RESET) {
                    resets++;
                }
            }
            if (sample && sampleAt < 0) {
                feedKernel(at);
                tally.mark(at + MARGIN_MICROS);
                sampleAt = at;
            }
        }

        /** Passes every {@code step} from {@code from} to {@code to}, sampling on the first pass of each second. */
        void run(final long from, final long to, final long step) {
            for (long at = from; at <= to; at += step) {
                pass(at, at / SECOND != (at - step) / SECOND);
                assertNeverAboveHidden();
            }
        }

        void assertNeverAboveHidden() {
            long hiddenTotal = 0;
            long uncapturedTotal = 0;
            for (final int direction : new int[] {UP, DOWN}) {
                hiddenTotal += hiddenBytes[direction];
                uncapturedTotal += uncaptured.get(direction, TrafficCounters.WIRE_BYTES);
                assertTrue(uncaptured.get(direction, TrafficCounters.PACKETS) <= hiddenPackets[direction],
                    Direction.name(direction) + " : " + uncaptured + " vs hidden packets " + hiddenPackets[direction]);
            }
            assertTrue(uncapturedTotal <= hiddenTotal, uncaptured + " vs hidden bytes " + hiddenTotal);
        }

        long uncaptured(final int direction, final int metric) {
            return uncaptured.get(direction, metric);
        }
    }

    @Test
    void shouldHandOutAPersistingGapOnceAndExactly() {
        final Link link = new Link(LinkType.EN10MB).open(0);
        // Second 0..1: 5 captured downloads of 500 bytes, 10 offloaded ones of 1500 (never stamped by the capture).
        for (int i = 0; i < 15; i++) {
            final long at = 100_000 + i * 50_000;
            link.packet(DOWN, i < 5 ? 500 : 1500, at, i < 5 ? at + 20 : HIDDEN);
        }
        link.run(10_000, 10 * SECOND, 10_000);
        assertEquals(10, link.uncaptured(DOWN, TrafficCounters.PACKETS));
        assertEquals(15_000, link.uncaptured(DOWN, TrafficCounters.WIRE_BYTES));
        assertEquals(15_000 - 10 * 14, link.uncaptured(DOWN, TrafficCounters.IP_BYTES), "Ethernet header off");
        assertTrue(link.uncaptured.get(UP, TrafficCounters.WIRE_BYTES) == 0, link.uncaptured.toString());
    }

    @Test
    void shouldNeverHandOutTransientSkewBetweenTheCountersAndTheCapture() {
        final Link link = new Link(LinkType.EN10MB).open(0);
        // Seconds 1-4: a packet counted by the kernel just before the sample and stamped 40 ms later (received).
        // Seconds 5-8: one stamped just before the sample but counted by the driver 5 ms after it (sent, tx
        // completion), and one received within the margin, after the read.
        for (long s = 1; s <= 4; s++) {
            link.packet(DOWN, 1000, s * SECOND - 10, s * SECOND + 40_000);
        }
        for (long s = 5; s <= 8; s++) {
            link.packet(UP, 700, s * SECOND + 5_000, s * SECOND - 100);
            link.packet(DOWN, 90, s * SECOND + 50_000, s * SECOND + 50_010);
        }
        link.run(1_000, 10 * SECOND, 1_000);
        assertEquals(new TrafficCounters().toString(), link.uncaptured.toString(), "nothing was hidden");
    }

    @Test
    void shouldStayBelowTheHiddenTrafficUnderRandomSkewAndEqualItWhenQuiet() {
        final Random random = new Random(6);
        final Link link = new Link(LinkType.EN10MB).open(0);
        // 8 s of a busy link: 2000 packets each way, skews up to 30 ms either side, 1 in 5 hidden (offloaded).
        for (int i = 0; i < 4000; i++) {
            final int direction = i % 2 == 0 ? UP : DOWN;
            final long countedAt = 1 + random.nextInt(8 * (int) SECOND);
            final boolean hidden = random.nextInt(5) == 0;
            final long skew = direction == DOWN ? random.nextInt(30_000) : -random.nextInt(30_000);
            link.packet(direction, 60 + random.nextInt(1455), countedAt, hidden ? HIDDEN :
                Math.max(1, countedAt + skew));
        }
        link.run(7_000, 12 * SECOND, 7_000); // asserts "never above the hidden traffic" after every pass
        for (final int direction : new int[] {UP, DOWN}) {
            assertEquals(link.hiddenPackets[direction], link.uncaptured(direction, TrafficCounters.PACKETS));
            assertEquals(link.hiddenBytes[direction], link.uncaptured(direction, TrafficCounters.WIRE_BYTES));
            assertEquals(link.hiddenBytes[direction] - 14 * link.hiddenPackets[direction],
                link.uncaptured(direction, TrafficCounters.IP_BYTES));
        }
    }

    @Test
    void shouldStartAgainFromABaselineWhenTheCountersGoDown() {
        final Link link = new Link(LinkType.RAW).open(0);
        link.packet(UP, 1400, 200_000, HIDDEN);
        link.run(10_000, 2 * SECOND, 10_000);
        assertEquals(1400, link.uncaptured(UP, TrafficCounters.WIRE_BYTES));

        // The interface is re-created: its counters start from zero. The kernel sees 3 new packets, one hidden.
        link.packets.clear();
        link.hiddenBytes[UP] = 1400;
        link.packet(UP, 100, 3 * SECOND + 300_000, 3 * SECOND + 300_010);
        link.packet(UP, 100, 3 * SECOND + 400_000, HIDDEN);
        link.packet(DOWN, 100, 4 * SECOND + 300_000, 4 * SECOND + 300_010);
        // The capture's tally goes on: it counted the packets of before (none: the 1400 were hidden).
        link.run(3 * SECOND, 8 * SECOND, 10_000);
        assertEquals(1, link.resets, "one new baseline");
        assertEquals(2, link.uncaptured(UP, TrafficCounters.PACKETS), "the one before and the one after");
        assertEquals(1500, link.uncaptured(UP, TrafficCounters.WIRE_BYTES));
        assertEquals(1500, link.uncaptured(UP, TrafficCounters.IP_BYTES), "raw IP: no link header");
        assertEquals(0, link.uncaptured(DOWN, TrafficCounters.WIRE_BYTES));
    }

    @Test
    void shouldReconcileExactlyAtTheFinalSample() {
        final Link link = new Link(LinkType.LINUX_SLL).open(0);
        // A cooked capture: libpcap's 16-byte header is on every captured packet and in none of the kernel's counts.
        link.packet(UP, 84, 300_000, 300_050).packet(DOWN, 84, 310_000, 310_050);
        link.packet(UP, 1300, 320_000, HIDDEN).packet(UP, 52, 330_000, HIDDEN).packet(DOWN, 40, 340_000, HIDDEN);
        // The final reconciliation: a sample right after the last drain, compared after the margin.
        link.pass(400_000, true);
        link.pass(400_000 + MARGIN_MICROS, false);
        assertEquals(2, link.uncaptured(UP, TrafficCounters.PACKETS));
        assertEquals(1352, link.uncaptured(UP, TrafficCounters.WIRE_BYTES));
        assertEquals(1352, link.uncaptured(UP, TrafficCounters.IP_BYTES), "cooked devices count IP packets");
        assertEquals(1, link.uncaptured(DOWN, TrafficCounters.PACKETS));
        assertEquals(40, link.uncaptured(DOWN, TrafficCounters.WIRE_BYTES));
    }

    @Test
    void shouldHandOutNothingForFramesTheCapturePutTheOtherWay() {
        // A bridge port: frames forwarded from other MACs leave as tx, but the own-MAC rule calls them download.
        final Reconciler reconciler = new Reconciler(0, 14).kernel(0, 0, 0, 0);
        sample(reconciler, 0, 0, 0, 0);
        assertEquals(Reconciler.NOTHING, reconciler.update());
        reconciler.kernel(10, 10_000, 10, 10_000); // rx, tx
        sample(reconciler, 5, 5_000, 15, 15_000); // captured up, down
        assertEquals(Reconciler.NOTHING, reconciler.update());
        assertTrue(reconciler.increment().isEmpty());
    }

    @Test
    void shouldHandOutNoBytesWithoutPackets() {
        // A driver counting the 4-byte FCS: every packet captured, the kernel's bytes 4 per packet higher.
        final Reconciler reconciler = new Reconciler(0, 14).kernel(0, 0, 0, 0);
        sample(reconciler, 0, 0, 0, 0);
        reconciler.update();
        reconciler.kernel(100, 100 * 1004, 0, 0);
        sample(reconciler, 0, 0, 100, 100 * 1000);
        assertEquals(Reconciler.NOTHING, reconciler.update());
        assertEquals(0, reconciler.emitted(DOWN, TrafficCounters.WIRE_BYTES));
    }

    private static void sample(final Reconciler reconciler, final long upPackets, final long upBytes,
        final long downPackets, final long downBytes) {
        reconciler.captured(UP, upPackets, upBytes).captured(DOWN, downPackets, downBytes)
            .captured(Direction.UNKNOWN, 0, 0);
    }
}
