package org.esimmeter.wire;


/** Packets, wire bytes and IP bytes per direction, in one primitive array. */
public final class TrafficCounters {
    public static final int PACKETS = 0;
    public static final int WIRE_BYTES = 1;
    public static final int IP_BYTES = 2;
    public static final int METRICS = 3;

    public static String metricName(final int metric) {
        switch (metric) {
            case PACKETS: return "packets";
            case WIRE_BYTES: return "wireBytes";
            case IP_BYTES: return "ipBytes";
            default: return "metric-" + metric;
        }
    }

    private final long[] values = new long[Direction.COUNT * METRICS];

    public void add(final int direction, final long packets, final long wireBytes, final long ipBytes) {
        final int base = direction * METRICS;
        values[base + PACKETS] += packets;
        values[base + WIRE_BYTES] += wireBytes;
        values[base + IP_BYTES] += ipBytes;
    }

    public void add(final TrafficCounters other) {
        for (int i = 0; i < values.length; i++) {
            values[i] += other.values[i];
        }
    }

    public long get(final int direction, final int metric) {
        return values[direction * METRICS + metric];
    }

    /** Sum over all directions. */
    public long sum(final int metric) {
        long sum = 0;
        for (int direction = 0; direction < Direction.COUNT; direction++) {
            sum += values[direction * METRICS + metric];
        }
        return sum;
    }

    public boolean isEmpty() {
        for (final long value : values) {
            if (value != 0) {
                return false;
            }
        }
        return true;
    }

    public void clear() {
        java.util.Arrays.fill(values, 0);
    }

    @Override
    public String toString() {
        return "TrafficCounters{packets=" + sum(PACKETS) + ", wireBytes=" + sum(WIRE_BYTES) + ", ipBytes=" +
            sum(IP_BYTES) + '}';
    }
}
