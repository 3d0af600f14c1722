package org.esimmeter.agent.meter;

/**
 * Packs the non-address part of a flow key into one long, so a key is five longs and compares in five loads.
 * <pre>
 *  63 62 61      48 47          32 31          16 15      8 7     3  2   1..0
 * +--+--+----------+--------------+--------------+---------+-------+----+------+
 * |0 |O |  unused  |   src port   |   dst port   |  proto  |unused | v6 | dir  |
 * +--+--+----------+--------------+--------------+---------+-------+----+------+
 * </pre>
 * O marks an occupied slot, so an all-zero slot is empty.
 */
public final class FlowMeta {
    static final long OCCUPIED = 1L << 62;
    private static final long DIRECTION_MASK = 0x3;
    private static final long IPV6_FLAG = 1L << 2;
    private static final int PROTO_SHIFT = 8;
    private static final int DST_PORT_SHIFT = 16;
    private static final int SRC_PORT_SHIFT = 32;

    private FlowMeta() {
    }

    public static long pack(final int ipVersion, final int protocol, final int srcPort, final int dstPort,
        final int direction) {
        return OCCUPIED | ((long) srcPort << SRC_PORT_SHIFT) | ((long) dstPort << DST_PORT_SHIFT) |
            ((long) protocol << PROTO_SHIFT) | (ipVersion == 6 ? IPV6_FLAG : 0) | direction;
    }

    public static long withDirection(final long meta, final int direction) {
        return (meta & ~DIRECTION_MASK) | direction;
    }

    public static int direction(final long meta) {
        return (int) (meta & DIRECTION_MASK);
    }

    public static int ipVersion(final long meta) {
        return (meta & IPV6_FLAG) != 0 ? 6 : 4;
    }

    public static int protocol(final long meta) {
        return (int) (meta >>> PROTO_SHIFT) & 0xFF;
    }

    public static int srcPort(final long meta) {
        return (int) (meta >>> SRC_PORT_SHIFT) & 0xFFFF;
    }

    public static int dstPort(final long meta) {
        return (int) (meta >>> DST_PORT_SHIFT) & 0xFFFF;
    }
}
