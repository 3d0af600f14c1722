package org.esimmeter.agent.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sysfs counter files, laid out under a temporary directory as /sys/class/net shows them. */
class KernelCountersTest {
    @TempDir
    Path sys;

    private Path statistics(final String name, final String rxBytes, final String txBytes, final String rxPackets,
        final String txPackets) throws IOException {
        final Path dir = Files.createDirectories(sys.resolve(name).resolve("statistics"));
        Files.writeString(dir.resolve("rx_bytes"), rxBytes);
        Files.writeString(dir.resolve("tx_bytes"), txBytes);
        Files.writeString(dir.resolve("rx_packets"), rxPackets);
        Files.writeString(dir.resolve("tx_packets"), txPackets);
        return dir;
    }

    @Test
    void shouldReadTheFourCountersAfreshOnEveryRead() throws IOException {
        final Path dir = statistics("wwan0", "123456789012\n", "0\n", "98765\n", "18446744073709551\n");
        try (KernelCounters counters = KernelCounters.open(sys, "wwan0")) {
            assertEquals(123_456_789_012L, counters.get(KernelCounters.RX_BYTES));
            assertEquals(0, counters.get(KernelCounters.TX_BYTES));
            assertEquals(98_765, counters.get(KernelCounters.RX_PACKETS));
            assertEquals(18_446_744_073_709_551L, counters.get(KernelCounters.TX_PACKETS));
            // Rewritten in place, as the kernel formats it anew for each read at offset 0.
            Files.writeString(dir.resolve("rx_bytes"), "7\n");
            counters.read();
            assertEquals(7, counters.get(KernelCounters.RX_BYTES));
        }
    }

    @Test
    void shouldReadTheOpenDescriptorsUntilReopenedByName() throws IOException {
        final Path dir = statistics("wwan0", "100\n", "200\n", "1\n", "2\n");
        try (KernelCounters counters = KernelCounters.open(sys, "wwan0")) {
            // The interface is deleted and created again: new files under the same name.
            for (final String file : new String[] {"rx_bytes", "tx_bytes", "rx_packets", "tx_packets"}) {
                Files.delete(dir.resolve(file));
            }
            statistics("wwan0", "5\n", "6\n", "1\n", "1\n");
            counters.read();
            assertEquals(100, counters.get(KernelCounters.RX_BYTES), "the old descriptor reads the old file");
            counters.reopen();
            counters.read();
            assertEquals(5, counters.get(KernelCounters.RX_BYTES));
            assertEquals(6, counters.get(KernelCounters.TX_BYTES));
        }
    }

    @Test
    void shouldRefuseWhatIsNotACounter() throws IOException {
        statistics("bad", "12x\n", "0\n", "0\n", "0\n");
        final IOException e = assertThrows(IOException.class, () -> KernelCounters.open(sys, "bad"));
        assertEquals(sys.resolve("bad/statistics/rx_bytes") + " : not a counter (expected: decimal digits)",
            e.getMessage());
        statistics("empty", "", "0\n", "0\n", "0\n");
        assertEquals(sys.resolve("empty/statistics/rx_bytes") + " : empty (expected: decimal digits)",
            assertThrows(IOException.class, () -> KernelCounters.open(sys, "empty")).getMessage());
        assertThrows(java.nio.file.NoSuchFileException.class, () -> KernelCounters.open(sys, "absent"));
    }

    @Test
    void shouldReadTheRealLoopbackCounters() throws IOException {
        final Path file = Path.of("/sys/class/net/lo/statistics/tx_bytes");
        try (KernelCounters counters = KernelCounters.open(Path.of("/sys/class/net"), "lo")) {
            // Other processes may use lo meanwhile: the value read lies between two reads of the file around it.
            final long before = Long.parseLong(Files.readString(file).trim());
            counters.read();
            final long after = Long.parseLong(Files.readString(file).trim());
            final long read = counters.get(KernelCounters.TX_BYTES);
            assertTrue(before <= read && read <= after, before + " <= " + read + " <= " + after);
        }
    }
}
