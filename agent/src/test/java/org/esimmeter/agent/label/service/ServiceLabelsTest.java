package org.esimmeter.agent.label.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import org.esimmeter.agent.label.FlowLabel;
import org.esimmeter.agent.meter.FlowMeta;
import org.esimmeter.agent.meter.FlowTable;
import org.esimmeter.agent.meter.SecondRecord;
import org.esimmeter.wire.Addresses;
import org.esimmeter.wire.Direction;
import org.esimmeter.wire.TrafficCounters;
import org.junit.jupiter.api.Test;

class ServiceLabelsTest {
    private static final long SECOND = 1_700_000_000L;
    private static final long NOW = SECOND * 1000;
    private static final long PHONE = v4(100, 64, 0, 2);
    private static final long VIDEO = v4(203, 0, 113, 20);
    private static final long SHOP = v4(198, 51, 100, 7);

    private static long v4(final int a, final int b, final int c, final int d) {
        return Addresses.IPV4_MAPPED_PREFIX | ((long) a << 24) | ((long) b << 16) | ((long) c << 8) | d;
    }

    /** One second holding the flows added: only what ServiceLabels reads is real. */
    private static final class Second implements SecondRecord {
        final FlowTable flows = new FlowTable(16, 64);
        long epochSecond = SECOND;

        Second add(final long src, final int srcPort, final long dst, final int dstPort, final int protocol,
            final int direction) {
            flows.add(0, src, 0, dst, FlowMeta.pack(4, protocol, srcPort, dstPort, direction), 1, 100, 86);
            return this;
        }

        @Override public String interfaceName() { return "wwan0"; }
        @Override public String profile() { return "p"; }
        @Override public long epochSecond() { return epochSecond; }
        @Override public TrafficCounters total() { return new TrafficCounters(); }
        @Override public TrafficCounters nonIp() { return new TrafficCounters(); }
        @Override public TrafficCounters unparsed() { return new TrafficCounters(); }
        @Override public FlowTable flows() { return flows; }
        @Override public long pcapReceived() { return 0; }
        @Override public long pcapDropped() { return 0; }
    }

    private static String label(final ServiceLabels labels, final Second second, final int index) {
        final FlowLabel label = new FlowLabel();
        labels.label(second, index, label);
        return label.service;
    }

    @Test
    void shouldNameTheRemoteEndOfUploadsAndDownloads() {
        final ServiceNames names = new ServiceNames(256, 3600);
        names.learnAddress(0, VIDEO, "video.test", 300, NOW - 5000);
        names.learnAddress(0, PHONE, "not-the-remote.test", 300, NOW - 5000);
        final ServiceLabels labels = new ServiceLabels(names, 256);
        final Second second = new Second()
            .add(PHONE, 40_000, VIDEO, 443, 6, Direction.UP)
            .add(VIDEO, 443, PHONE, 40_000, 6, Direction.DOWN)
            .add(PHONE, 40_001, SHOP, 443, 6, Direction.UP);
        assertEquals("video.test", label(labels, second, 0));
        assertEquals("video.test", label(labels, second, 1));
        assertNull(label(labels, second, 2));
    }

    @Test
    void shouldPreferTheConnectionsServerNameOverDns() {
        final ServiceNames names = new ServiceNames(256, 3600);
        names.learnAddress(0, SHOP, "cdn.test", 300, NOW - 5000);
        names.learnServerName(0, PHONE, 40_001, 0, SHOP, 443, "shop.test", NOW - 4000);
        final ServiceLabels labels = new ServiceLabels(names, 256);
        final Second second = new Second()
            .add(PHONE, 40_001, SHOP, 443, 6, Direction.UP)
            .add(SHOP, 443, PHONE, 40_001, 6, Direction.DOWN)
            .add(PHONE, 40_002, SHOP, 443, 6, Direction.UP);
        assertEquals("shop.test", label(labels, second, 0));
        assertEquals("shop.test", label(labels, second, 1));
        assertEquals("cdn.test", label(labels, second, 2), "another connection to the address: DNS");
    }

    @Test
    void shouldKeepAFlowsNameAfterItsTtlWhileTheFlowGoesOn() {
        final ServiceNames names = new ServiceNames(256, 3600);
        names.learnAddress(0, VIDEO, "video.test", 30, NOW); // lives 60 s, the floor
        final ServiceLabels labels = new ServiceLabels(names, 256);
        final Second second = new Second().add(PHONE, 40_000, VIDEO, 443, 6, Direction.UP);
        for (int s = 0; s < 900; s++) { // a 15-minute stream, labelled every second
            second.epochSecond = SECOND + s;
            assertEquals("video.test", label(labels, second, 0), "second " + s);
        }
        final Second other = new Second().add(PHONE, 40_009, VIDEO, 443, 6, Direction.UP);
        other.epochSecond = SECOND + 900;
        assertNull(label(labels, other, 0), "a new connection after the TTL is not named from a stale answer");
        // And the address's new name does not rename the flow that started under the old one.
        names.learnAddress(0, VIDEO, "reused.test", 300, (SECOND + 901) * 1000);
        second.epochSecond = SECOND + 901;
        assertEquals("video.test", label(labels, second, 0));
        other.epochSecond = SECOND + 901;
        assertEquals("reused.test", label(labels, other, 0));
    }

    @Test
    void shouldLabelWithoutAllocating() {
        final ServiceNames names = new ServiceNames(8192, 3600);
        final Second second = new Second();
        for (int i = 0; i < 64; i++) {
            final long remote = v4(198, 18, 0, i);
            names.learnAddress(0, remote, "n" + i + ".test", 300, NOW);
            if (i % 2 == 0) {
                second.add(PHONE, 30_000 + i, remote, 443, 6, Direction.UP);
            } else {
                second.add(remote, 443, PHONE, 30_000 + i, 6, Direction.DOWN);
            }
        }
        final ServiceLabels labels = new ServiceLabels(names, 8192);
        final FlowLabel label = new FlowLabel();
        for (int i = 0; i < 100_000; i++) {
            labels.label(second, i & 63, label);
        }
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        final long before = threads.getCurrentThreadAllocatedBytes();
        final long startNs = System.nanoTime();
        for (int i = 0; i < 1_000_000; i++) {
            label.clear();
            labels.label(second, i & 63, label);
        }
        final long elapsedNs = System.nanoTime() - startNs;
        // Per flow would be at least 16 MB here; the JVM may allocate a few bytes once (seen: 64).
        final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(allocated < 1024, allocated + " bytes allocated over 1,000,000 labels");
        System.out.printf("ServiceLabels.label: %.1f ns per flow%n", elapsedNs / 1e6);
        assertEquals("n63.test", label.service);
    }
}
