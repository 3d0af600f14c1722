package org.esimmeter.agent.meter;

import java.util.Arrays;
import org.esimmeter.wire.TrafficCounters;

/**
 * Flow counters in an open-addressing table over primitive arrays: no boxing and no allocation per packet.
 * <p>
 * A key is five longs (source and destination as 128 bits each, then {@link FlowMeta}); linear probing keeps a
 * lookup within one or two cache lines. The table starts small and doubles up to {@code maxFlows}; past that, new
 * flows go to the {@link #overflow()} counters, so memory stays bounded and totals stay exact at any flow count.
 * Occupied slots are listed in insertion order, so iterating and clearing cost the flows present, not the capacity.
 * Single-threaded.
 */
public final class FlowTable {
    static final int KEY_LONGS = 5;
    private static final int COUNTER_LONGS = TrafficCounters.METRICS;
    private static final int MIN_CAPACITY = 16;

    private final int maxFlows;
    private final TrafficCounters overflow = new TrafficCounters();
    private long[] keys;
    private long[] counters;
    private int[] slots;
    private int mask;
    private int resizeAt;
    private int size;

    /**
     * @param initialFlows flows the table holds before it first grows
     * @param maxFlows     flows it holds at most; later ones are counted in {@link #overflow()}
     */
    public FlowTable(final int initialFlows, final int maxFlows) {
        if (maxFlows < 1) {
            throw new IllegalArgumentException("maxFlows : " + maxFlows + " (expected: >= 1)");
        }
        this.maxFlows = maxFlows;
        allocate(capacityFor(Math.min(Math.max(initialFlows, 1), maxFlows)));
    }

    public void add(final long srcHi, final long srcLo, final long dstHi, final long dstLo, final long meta,
        final long packets, final long wireBytes, final long ipBytes) {
        final int slot = slotFor(srcHi, srcLo, dstHi, dstLo, meta);
        if (slot < 0) {
            overflow.add(FlowMeta.direction(meta), packets, wireBytes, ipBytes);
            return;
        }
        final int base = slot * COUNTER_LONGS;
        counters[base] += packets;
        counters[base + 1] += wireBytes;
        counters[base + 2] += ipBytes;
    }

    /** Flows in the table (not counting overflow). */
    public int size() {
        return size;
    }

    public int maxFlows() {
        return maxFlows;
    }

    /** Counters of packets that arrived for new flows while the table was full. */
    public TrafficCounters overflow() {
        return overflow;
    }

    // Accessors by insertion index, 0 <= index < size().

    public long srcHi(final int index) {
        return keys[slots[index] * KEY_LONGS];
    }

    public long srcLo(final int index) {
        return keys[slots[index] * KEY_LONGS + 1];
    }

    public long dstHi(final int index) {
        return keys[slots[index] * KEY_LONGS + 2];
    }

    public long dstLo(final int index) {
        return keys[slots[index] * KEY_LONGS + 3];
    }

    public long meta(final int index) {
        return keys[slots[index] * KEY_LONGS + 4];
    }

    public long packets(final int index) {
        return counters[slots[index] * COUNTER_LONGS];
    }

    public long wireBytes(final int index) {
        return counters[slots[index] * COUNTER_LONGS + 1];
    }

    public long ipBytes(final int index) {
        return counters[slots[index] * COUNTER_LONGS + 2];
    }

    /** Empties the table, keeping its capacity; costs the number of flows present. */
    public void clear() {
        for (int i = 0; i < size; i++) {
            final int slot = slots[i];
            Arrays.fill(keys, slot * KEY_LONGS, slot * KEY_LONGS + KEY_LONGS, 0L);
            Arrays.fill(counters, slot * COUNTER_LONGS, slot * COUNTER_LONGS + COUNTER_LONGS, 0L);
        }
        size = 0;
        overflow.clear();
    }

    /** Bytes held by the arrays, for sizing and self-metrics. */
    public long footprintBytes() {
        return (long) keys.length * Long.BYTES + (long) counters.length * Long.BYTES + (long) slots.length * Integer.BYTES;
    }

    private int slotFor(final long srcHi, final long srcLo, final long dstHi, final long dstLo, final long meta) {
        final long[] keys = this.keys;
        int slot = hash(srcHi, srcLo, dstHi, dstLo, meta) & mask;
        while (true) {
            final int base = slot * KEY_LONGS;
            final long slotMeta = keys[base + 4];
            if (slotMeta == 0) {
                break;
            }
            if (slotMeta == meta && keys[base + 1] == srcLo && keys[base + 3] == dstLo && keys[base] == srcHi &&
                keys[base + 2] == dstHi) {
                return slot;
            }
            slot = (slot + 1) & mask;
        }
        if (size >= resizeAt) {
            if (size >= maxFlows) {
                return -1;
            }
            grow();
            return slotFor(srcHi, srcLo, dstHi, dstLo, meta);
        }
        final int base = slot * KEY_LONGS;
        keys[base] = srcHi;
        keys[base + 1] = srcLo;
        keys[base + 2] = dstHi;
        keys[base + 3] = dstLo;
        keys[base + 4] = meta;
        slots[size++] = slot;
        return slot;
    }

    private void grow() {
        final long[] oldKeys = keys;
        final long[] oldCounters = counters;
        final int[] oldSlots = slots;
        final int oldSize = size;
        allocate((mask + 1) << 1);
        for (int i = 0; i < oldSize; i++) {
            final int old = oldSlots[i];
            final int keyBase = old * KEY_LONGS;
            final int slot = slotFor(oldKeys[keyBase], oldKeys[keyBase + 1], oldKeys[keyBase + 2],
                oldKeys[keyBase + 3], oldKeys[keyBase + 4]);
            System.arraycopy(oldCounters, old * COUNTER_LONGS, counters, slot * COUNTER_LONGS, COUNTER_LONGS);
        }
    }

    private void allocate(final int capacity) {
        keys = new long[capacity * KEY_LONGS];
        counters = new long[capacity * COUNTER_LONGS];
        mask = capacity - 1;
        // Load factor 1/2 keeps probe chains short; the last doubling may run up to maxFlows exactly.
        resizeAt = Math.min(capacity >>> 1, maxFlows);
        slots = new int[resizeAt];
        size = 0;
    }

    private static int capacityFor(final int flows) {
        final int wanted = Math.max(MIN_CAPACITY, flows << 1);
        return Integer.highestOneBit(wanted - 1) << 1;
    }

    static int hash(final long srcHi, final long srcLo, final long dstHi, final long dstLo, final long meta) {
        long h = srcLo * 0x9E37_79B9_7F4A_7C15L;
        h = (h ^ dstLo) * 0xC2B2_AE3D_27D4_EB4FL;
        h = (h ^ meta) * 0x1656_67B1_9E37_79F9L;
        h = (h ^ srcHi ^ (dstHi * 0x85EB_CA77_C2B2_AE63L)) * 0x9E37_79B9_7F4A_7C15L;
        return (int) (h ^ (h >>> 32));
    }
}
