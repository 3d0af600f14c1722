package org.esimmeter.agent.meter;

/**
 * Remembers the ports of first fragments so later fragments (which carry no transport header) are billed to the
 * same flow. A direct-mapped cache over primitive arrays: bounded memory, no allocation, and a collision simply
 * forgets the older datagram, whose later fragments then count under ports 0, as they would unseen.
 * Entries expire after {@link #MAX_AGE_SECONDS}, the reassembly timeout of common stacks, so a reused IPv4
 * identification does not borrow the ports of a long-gone datagram.
 */
public final class FragmentPorts {
    static final long MAX_AGE_SECONDS = 60;
    private static final int KEY_LONGS = 5;

    private final long[] keys;
    private final long[] values;
    private final int mask;

    public FragmentPorts(final int entries) {
        final int capacity = Integer.highestOneBit(Math.max(16, entries - 1)) << 1;
        keys = new long[capacity * KEY_LONGS];
        values = new long[capacity];
        mask = capacity - 1;
    }

    /** @param idAndProtocol fragment identification and protocol, packed by {@link #idAndProtocol} */
    public void remember(final long srcHi, final long srcLo, final long dstHi, final long dstLo,
        final long idAndProtocol, final int srcPort, final int dstPort, final long epochSecond) {
        final int slot = FlowTable.hash(srcHi, srcLo, dstHi, dstLo, idAndProtocol) & mask;
        final int base = slot * KEY_LONGS;
        keys[base] = srcHi;
        keys[base + 1] = srcLo;
        keys[base + 2] = dstHi;
        keys[base + 3] = dstLo;
        keys[base + 4] = idAndProtocol;
        values[slot] = (epochSecond << 32) | ((long) srcPort << 16) | dstPort;
    }

    /** @return {@code srcPort << 16 | dstPort}, or -1 when the first fragment was not seen (recently) */
    public long ports(final long srcHi, final long srcLo, final long dstHi, final long dstLo,
        final long idAndProtocol, final long epochSecond) {
        final int slot = FlowTable.hash(srcHi, srcLo, dstHi, dstLo, idAndProtocol) & mask;
        final int base = slot * KEY_LONGS;
        if (keys[base + 4] != idAndProtocol || keys[base + 1] != srcLo || keys[base + 3] != dstLo ||
            keys[base] != srcHi || keys[base + 2] != dstHi) {
            return -1;
        }
        final long value = values[slot];
        final long age = epochSecond - (value >>> 32);
        if (age > MAX_AGE_SECONDS || age < -MAX_AGE_SECONDS) {
            return -1;
        }
        return value & 0xFFFF_FFFFL;
    }

    /** Non-zero for every valid input (bit 63 set), so an empty slot never matches. */
    public static long idAndProtocol(final long fragmentId, final int protocol, final int ipVersion) {
        return Long.MIN_VALUE | (fragmentId << 9) | ((long) protocol << 1) | (ipVersion == 6 ? 1 : 0);
    }
}
