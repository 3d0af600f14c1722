package org.esimmeter.agent.capture;

import org.esimmeter.wire.Direction;

/**
 * What the capture handles of one interface have read, by direction, for comparison with the kernel's counters:
 * cumulative packets and original lengths, and the part of them whose capture timestamp is later than a mark.
 * <p>
 * Why the mark: the kernel counts a received packet a moment before the capture sees it (and a sent one a moment
 * after), so counters read at time t are compared with the packets captured with a timestamp up to t plus a margin,
 * read once the handles have been drained past that margin. The tally keeps the packets after the mark apart so
 * that "captured up to the mark" is the cumulative minus them, whenever it is read.
 * <p>
 * Capture thread only. Per packet: a compare and a few additions into preallocated arrays.
 */
final class CaptureTally {
    private static final int PACKETS = 0;
    private static final int BYTES = 1;

    private final long[] cumulative = new long[Direction.COUNT * 2];
    private final long[] afterMark = new long[Direction.COUNT * 2];
    private long markMicros = Long.MAX_VALUE;

    void add(final long timestampMicros, final int direction, final int wireLength) {
        final int base = direction * 2;
        cumulative[base + PACKETS]++;
        cumulative[base + BYTES] += wireLength;
        if (timestampMicros > markMicros) {
            afterMark[base + PACKETS]++;
            afterMark[base + BYTES] += wireLength;
        }
    }

    /**
     * Starts counting apart the packets stamped after {@code markMicros}. Call right after a drain: every packet
     * read so far was captured before now, so none is on the wrong side of a mark in the future.
     */
    void mark(final long markMicros) {
        this.markMicros = markMicros;
        java.util.Arrays.fill(afterMark, 0);
    }

    /** Packets captured in {@code direction} with a timestamp up to the mark (all of them while none is set). */
    long packetsUpToMark(final int direction) {
        return cumulative[direction * 2 + PACKETS] - afterMark[direction * 2 + PACKETS];
    }

    /** Original lengths (libpcap's {@code len}) of those packets. */
    long bytesUpToMark(final int direction) {
        return cumulative[direction * 2 + BYTES] - afterMark[direction * 2 + BYTES];
    }
}
