package org.esimmeter.collector.store.sqlite;

import java.util.Arrays;

/**
 * The per-second flow detail of one series (agent, interface, profile) in one second, as one BLOB:
 * <pre>
 * blob  := entry*
 * entry := varint flowId, varint packets, varint wireBytes, varint ipBytes     (unsigned LEB128)
 * </pre>
 * A second that arrives again in a later batch is stored by appending its entries ({@code flows || excluded.flows}),
 * and readers sum entries of the same flow, so concatenation is the merge and no read-modify-write is needed on
 * the ingest path. A typical flow-second costs 6-10 bytes instead of a 40-byte row plus its index entry.
 */
final class FlowBlob {
    private byte[] bytes;
    private int length;

    FlowBlob(final int initialCapacity) {
        bytes = new byte[Math.max(16, initialCapacity)];
    }

    void add(final long flowId, final long packets, final long wireBytes, final long ipBytes) {
        ensure(40);
        writeVarint(flowId);
        writeVarint(packets);
        writeVarint(wireBytes);
        writeVarint(ipBytes);
    }

    byte[] toBytes() {
        return Arrays.copyOf(bytes, length);
    }

    private void ensure(final int more) {
        if (length + more > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + more));
        }
    }

    private void writeVarint(final long value) {
        long v = value;
        while ((v & ~0x7FL) != 0) {
            bytes[length++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        bytes[length++] = (byte) v;
    }

    /** Receives decoded entries. */
    interface EntryConsumer {
        void accept(long flowId, long packets, long wireBytes, long ipBytes);
    }

    /** Decodes every entry of {@code blob} in order; throws IllegalStateException on a truncated blob. */
    static void forEach(final byte[] blob, final EntryConsumer consumer) {
        final int[] position = {0};
        while (position[0] < blob.length) {
            final long flowId = readVarint(blob, position);
            final long packets = readVarint(blob, position);
            final long wireBytes = readVarint(blob, position);
            final long ipBytes = readVarint(blob, position);
            consumer.accept(flowId, packets, wireBytes, ipBytes);
        }
    }

    private static long readVarint(final byte[] blob, final int[] position) {
        long value = 0;
        int shift = 0;
        while (true) {
            if (position[0] >= blob.length || shift > 63) {
                throw new IllegalStateException("flow blob : truncated or corrupt at byte " + position[0]);
            }
            final byte b = blob[position[0]++];
            value |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
            shift += 7;
        }
    }
}
