package org.esimmeter.agent.label.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.esimmeter.wire.Addresses;
import org.junit.jupiter.api.Test;

class ServiceNamesTest {
    private static final long NOW = 1_700_000_000_000L;

    private static long v4(final int a, final int b, final int c, final int d) {
        return Addresses.IPV4_MAPPED_PREFIX | ((long) a << 24) | ((long) b << 16) | ((long) c << 8) | d;
    }

    @Test
    void shouldKeepADnsNameForItsTtlRaisedToTheFloorAndCappedAtTheMaximum() {
        final ServiceNames names = new ServiceNames(256, 600);
        names.learnAddress(0, v4(192, 0, 2, 1), "short.test", 5, NOW);
        names.learnAddress(0, v4(192, 0, 2, 2), "mid.test", 300, NOW);
        names.learnAddress(0, v4(192, 0, 2, 3), "long.test", 86_400, NOW);
        assertEquals("short.test", names.byAddress(0, v4(192, 0, 2, 1), NOW + 59_999));
        assertNull(names.byAddress(0, v4(192, 0, 2, 1), NOW + 60_000));
        assertEquals("mid.test", names.byAddress(0, v4(192, 0, 2, 2), NOW + 299_999));
        assertNull(names.byAddress(0, v4(192, 0, 2, 2), NOW + 300_000));
        assertEquals("long.test", names.byAddress(0, v4(192, 0, 2, 3), NOW + 599_999));
        assertNull(names.byAddress(0, v4(192, 0, 2, 3), NOW + 600_000));
        assertEquals(3, names.dnsNamesLearned());
    }

    @Test
    void shouldFindAConnectionsServerNameFromEitherDirectionAndNameItsServerWhenDnsDidNot() {
        final ServiceNames names = new ServiceNames(256, 3600);
        final long client = v4(100, 64, 0, 2);
        final long server = v4(203, 0, 113, 9);
        names.learnAddress(0, v4(203, 0, 113, 10), "dns.test", 300, NOW);
        names.learnServerName(0, client, 50_000, 0, server, 443, "sni.test", NOW);
        names.learnServerName(0, client, 50_001, 0, v4(203, 0, 113, 10), 443, "other-sni.test", NOW);
        assertEquals("sni.test", names.byConnection(6, 0, client, 50_000, 0, server, 443, NOW + 1000));
        assertEquals("sni.test", names.byConnection(6, 0, server, 443, 0, client, 50_000, NOW + 1000));
        assertNull(names.byConnection(17, 0, client, 50_000, 0, server, 443, NOW + 1000), "QUIC is not TCP");
        assertNull(names.byConnection(6, 0, client, 50_002, 0, server, 443, NOW + 1000));
        assertEquals("sni.test", names.byAddress(0, server, NOW + 1000));
        assertEquals("dns.test", names.byAddress(0, v4(203, 0, 113, 10), NOW + 1000), "SNI never overrides DNS");
        assertEquals(2, names.tlsNamesLearned());
    }

    @Test
    void shouldStayWithinItsBoundAndKeepTheNewestNames() {
        final ServiceNames names = new ServiceNames(1024, 3600);
        for (int i = 0; i < 100_000; i++) {
            names.learnAddress(0, v4(10, i >>> 16, (i >>> 8) & 0xFF, i & 0xFF), "n" + i + ".test", 60 + i, NOW);
        }
        assertEquals(1024, names.capacity());
        assertEquals(1024, names.addressEntries());
        // The newest name of each set survives: the last one learned, whatever its set, is always found.
        assertEquals("n99999.test", names.byAddress(0, v4(10, 1, 0x86, 0x9F), NOW));
        int found = 0;
        for (int i = 100_000 - 256; i < 100_000; i++) {
            found += names.byAddress(0, v4(10, i >>> 16, (i >>> 8) & 0xFF, i & 0xFF), NOW) != null ? 1 : 0;
        }
        assertTrue(found > 200, "most of the last 256 names are kept: " + found);
    }

    @Test
    void shouldNeverReturnATornEntryWhileAWriterRewritesIt() throws InterruptedException {
        // Each name carries its address: a reader must never see one address with the other's name.
        final ServiceNames names = new ServiceNames(256, 3600);
        final AtomicBoolean stop = new AtomicBoolean();
        final Thread writer = new Thread(() -> {
            for (long i = 0; !stop.get(); i++) {
                final int host = (int) (i & 7);
                names.learnAddress(0, v4(192, 0, 2, host), "h" + host + "-" + (i & 1) + ".test", 300, NOW);
            }
        });
        writer.start();
        final AtomicLong wrong = new AtomicLong();
        long hits = 0;
        final long deadline = System.nanoTime() + 300_000_000L;
        while (System.nanoTime() < deadline) {
            for (int host = 0; host < 8; host++) {
                final String name = names.byAddress(0, v4(192, 0, 2, host), NOW);
                if (name != null) {
                    hits++;
                    if (!name.startsWith("h" + host + "-")) {
                        wrong.incrementAndGet();
                    }
                }
            }
        }
        stop.set(true);
        writer.join();
        assertEquals(0, wrong.get());
        assertTrue(hits > 1000, "reads answered: " + hits);
    }

    @Test
    void shouldLookUpWithoutAllocatingInUnderAMicrosecond() {
        final ServiceNames names = new ServiceNames(8192, 3600);
        for (int i = 0; i < 8192; i++) {
            names.learnAddress(0, v4(10, 0, i >>> 8, i & 0xFF), "n" + i + ".test", 300, NOW);
        }
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int found = 0;
        for (int i = 0; i < 200_000; i++) { // warm-up: let the JIT compile the lookup
            found += names.byAddress(0, v4(10, 0, (i >>> 8) & 0x1F, i & 0xFF), NOW) != null ? 1 : 0;
        }
        final int lookups = 1_000_000;
        final long allocatedBefore = threads.getCurrentThreadAllocatedBytes();
        final long startNs = System.nanoTime();
        for (int i = 0; i < lookups; i++) {
            found += names.byAddress(0, v4(10, 0, (i >>> 8) & 0x1F, i & 0xFF), NOW) != null ? 1 : 0;
        }
        final long elapsedNs = System.nanoTime() - startNs;
        final long allocated = threads.getCurrentThreadAllocatedBytes() - allocatedBefore;
        System.out.printf("ServiceNames.byAddress: %.1f ns per lookup, %d bytes allocated, %d found%n",
            (double) elapsedNs / lookups, allocated, found);
        assertEquals(0, allocated);
        assertTrue(elapsedNs / lookups < 1000, elapsedNs / lookups + " ns per lookup");
    }
}
