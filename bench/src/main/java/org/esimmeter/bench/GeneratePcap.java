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
 * </pre>
 * Prints one line: packets, flows, wire bytes, first and last second. Deterministic for a given argument list.
 */
public final class GeneratePcap {
    /** 2023-11-14T22:13:20Z: any fixed second will do; a fixed one makes the file the same on every run. */
    static final long START_SECOND = 1_700_000_000L;
    private static final int PCAP_MAGIC = 0xA1B2_C3D4;
    private static final int LINKTYPE_ETHERNET = 1;
    private static final int SNAPLEN = 262_144;

    private GeneratePcap() {
    }

    public static void main(final String[] args) throws IOException {
        if (args.length < 4 || args.length > 6) {
            System.err.println("usage: GeneratePcap OUT PACKETS FLOWS PPS [SEED] [round-robin]");
            System.exit(2);
        }
        final long packets = Long.parseLong(args[1]);
        final int flows = Integer.parseInt(args[2]);
        final long packetsPerSecond = Long.parseLong(args[3]);
        final long seed = args.length > 4 ? Long.parseLong(args[4]) : 42;
        final boolean roundRobin = args.length > 5 && "round-robin".equals(args[5]);
        final SyntheticTraffic traffic = new SyntheticTraffic(seed, flows, START_SECOND, packetsPerSecond, roundRobin);

        final ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        final ByteBuffer frame = ByteBuffer.allocate(16 + SyntheticTraffic.MAX_FRAME);
        long wireBytes = 0;
        long lastSecond = START_SECOND;
        try (OutputStream out = new BufferedOutputStream(new FileOutputStream(args[0]), 1 << 20)) {
            header.putInt(PCAP_MAGIC).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(SNAPLEN)
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
                frame.putInt(8, length);
                frame.putInt(12, length);
                out.write(frame.array(), 0, 16 + length);
                wireBytes += length;
            }
        }
        System.out.printf("packets=%d flows=%d wireBytes=%d firstSecond=%d lastSecond=%d%n", packets,
            traffic.flows(), wireBytes, START_SECOND, lastSecond);
    }
}
