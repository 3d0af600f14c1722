package org.esimmeter.bench;

import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Writes {@link SyntheticTraffic} to a classic pcap file (microsecond timestamps, EN10MB), for scripts/bench.sh.
 * <pre>
 * java -cp bench/target/benchmarks.jar org.esimmeter.bench.GeneratePcap OUT PACKETS FLOWS PPS [SEED] [round-robin]
 *     [snaplen=N]
 * </pre>
 * Prints one line: packets, flows, wire bytes, stored bytes, first and last second. Deterministic for a given
 * argument list; the traffic depends only on SEED, FLOWS, PPS and the mode, so files that differ in PACKETS or
 * snaplen hold the same frames (a shorter file is a prefix of a longer one).
 * <p>
 * {@code snaplen=N} stores each frame as {@code tcpdump -s N} or the agent's own capture does: the first
 * {@code min(len, N)} bytes, with the original length kept in the record header. Without it frames are stored whole.
 */
public final class GeneratePcap {
    /** 2023-11-14T22:13:20Z: any fixed second will do; a fixed one makes the file the same on every run. */
    static final long START_SECOND = 1_700_000_000L;
    private static final int PCAP_MAGIC = 0xA1B2_C3D4;
    private static final int LINKTYPE_ETHERNET = 1;
    /** What tcpdump writes when no snaplen is given: every frame stored whole. */
    private static final int WHOLE_FRAMES = 262_144;

    private GeneratePcap() {
    }

    public static void main(final String[] args) throws IOException {
        int snaplen = WHOLE_FRAMES;
        boolean roundRobin = false;
        int positional = 0;
        final String[] fixed = new String[5];
        for (final String arg : args) {
            if (arg.startsWith("snaplen=")) {
                snaplen = Integer.parseInt(arg.substring("snaplen=".length()));
            } else if ("round-robin".equals(arg)) {
                roundRobin = true;
            } else if (positional < fixed.length) {
                fixed[positional++] = arg;
            } else {
                positional = -1;
                break;
            }
        }
        if (positional < 4 || snaplen < 1) {
            System.err.println("usage: GeneratePcap OUT PACKETS FLOWS PPS [SEED] [round-robin] [snaplen=N]");
            System.exit(2);
        }
        final long packets = Long.parseLong(fixed[1]);
        final int flows = Integer.parseInt(fixed[2]);
        final long packetsPerSecond = Long.parseLong(fixed[3]);
        final long seed = positional > 4 ? Long.parseLong(fixed[4]) : 42;
        final SyntheticTraffic traffic = new SyntheticTraffic(seed, flows, START_SECOND, packetsPerSecond, roundRobin);

        final ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        final ByteBuffer frame = ByteBuffer.allocate(16 + SyntheticTraffic.MAX_FRAME);
        long wireBytes = 0;
        long storedBytes = 24;
        long lastSecond = START_SECOND;
        try (OutputStream out = new BufferedOutputStream(new FileOutputStream(fixed[0]), 1 << 20)) {
            header.putInt(PCAP_MAGIC).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(snaplen)
                .putInt(LINKTYPE_ETHERNET);
            out.write(header.array(), 0, 24);
            final ByteBuffer body = frame.slice(16, SyntheticTraffic.MAX_FRAME);
            for (long i = 0; i < packets; i++) {
                final int length = traffic.next(body);
                final long nanos = traffic.timestampNanos();
                lastSecond = nanos / 1_000_000_000L;
                // Record header in the writer's (little-endian) order, as the magic number announces.
                frame.order(ByteOrder.LITTLE_ENDIAN);
                frame.putInt(0, (int) lastSecond);
                frame.putInt(4, (int) (nanos % 1_000_000_000L / 1000));
                final int captured = Math.min(length, snaplen);
                frame.putInt(8, captured);
                frame.putInt(12, length);
                out.write(frame.array(), 0, 16 + captured);
                wireBytes += length;
                storedBytes += 16 + captured;
            }
        }
        System.out.printf("packets=%d flows=%d wireBytes=%d storedBytes=%d snaplen=%d firstSecond=%d lastSecond=%d%n",
            packets, traffic.flows(), wireBytes, storedBytes, snaplen, START_SECOND, lastSecond);
    }
}
