package org.esimmeter.agent.capture;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An interface's cumulative kernel counters, {@code /sys/class/net/IF/statistics/{rx,tx}_{bytes,packets}}: the files
 * stay open and each read is a positional read from offset 0 (sysfs formats the value afresh on every read) into
 * one reused buffer, digits parsed by hand, so a read allocates nothing. Bytes are read before packets: a packet
 * counted between the two reads then shows in the packets and not the bytes, which can only lower the estimate of
 * uncaptured IP bytes (bytes minus a header per packet), never raise it.
 * <p>
 * Capture thread only. sysfs shows the network namespace the process was in when /sys was mounted ({@code ip netns
 * exec} mounts the namespace's own).
 */
final class KernelCounters implements AutoCloseable {
    static final int RX_BYTES = 0;
    static final int TX_BYTES = 1;
    static final int RX_PACKETS = 2;
    static final int TX_PACKETS = 3;
    private static final String[] FILES = {"rx_bytes", "tx_bytes", "rx_packets", "tx_packets"};

    private final Path directory;
    private final FileChannel[] files = new FileChannel[FILES.length];
    private final ByteBuffer buffer = ByteBuffer.allocate(32);
    private final long[] values = new long[FILES.length];

    private KernelCounters(final Path directory) {
        this.directory = directory;
    }

    /** Opens the four counter files of {@code name} under {@code sysClassNet} (normally /sys/class/net). */
    static KernelCounters open(final Path sysClassNet, final String name) throws IOException {
        final KernelCounters counters = new KernelCounters(sysClassNet.resolve(name).resolve("statistics"));
        try {
            counters.reopen();
            counters.read();
            return counters;
        } catch (final IOException | RuntimeException e) {
            counters.close();
            throw e;
        }
    }

    /** Reads all four counters; afterwards {@link #get} returns them. */
    void read() throws IOException {
        for (int i = 0; i < files.length; i++) {
            values[i] = readValue(i);
        }
    }

    /** {@link #RX_BYTES}, {@link #TX_BYTES}, {@link #RX_PACKETS} or {@link #TX_PACKETS} of the last read. */
    long get(final int counter) {
        return values[counter];
    }

    /**
     * Opens the files again by name: after the interface was deleted and created again (a modem re-attaching), the
     * old descriptors read the old device or fail.
     */
    void reopen() throws IOException {
        close();
        for (int i = 0; i < files.length; i++) {
            files[i] = FileChannel.open(directory.resolve(FILES[i]), StandardOpenOption.READ);
        }
    }

    Path directory() {
        return directory;
    }

    private long readValue(final int index) throws IOException {
        buffer.clear();
        int read = 0;
        while (buffer.hasRemaining()) {
            final int n = files[index].read(buffer, read);
            if (n <= 0) {
                break;
            }
            read += n;
        }
        long value = 0;
        int digits = 0;
        for (int i = 0; i < read; i++) {
            final byte b = buffer.get(i);
            if (b >= '0' && b <= '9') {
                if (digits == 19) {
                    throw new IOException(directory.resolve(FILES[index]) + " : more than 19 digits");
                }
                value = value * 10 + (b - '0');
                digits++;
            } else if (b == '\n' && digits > 0) {
                break;
            } else {
                throw new IOException(directory.resolve(FILES[index]) + " : not a counter (expected: decimal digits)");
            }
        }
        if (digits == 0) {
            throw new IOException(directory.resolve(FILES[index]) + " : empty (expected: decimal digits)");
        }
        return value;
    }

    @Override
    public void close() {
        for (int i = 0; i < files.length; i++) {
            if (files[i] != null) {
                try {
                    files[i].close();
                } catch (final IOException e) {
                    // A read-only descriptor: nothing was buffered that closing could lose.
                }
                files[i] = null;
            }
        }
    }
}
