package org.esimmeter.agent.label.device;

/**
 * A map from a tuple of five longs (two 128-bit addresses and a long of protocol and ports) to an int, in
 * open-addressing primitive arrays: filled once by the refresher thread, then only read, by any thread, without
 * locks or allocation. A key put twice with different values keeps the last one and is marked {@link #AMBIGUOUS}:
 * the reader then knows the answer is a guess.
 * <p>
 * Bounded: it holds at most the {@code capacity} given at construction; puts beyond are refused (counted).
 */
final class TupleMap {
    /** What {@link #get} answers for a key that is not there. */
    static final int MISSING = Integer.MIN_VALUE;
    /** Or-ed into a value whose key was put with more than one value. */
    static final int AMBIGUOUS = 1 << 30;
    /** The value without {@link #AMBIGUOUS}; values put are 0..VALUE_MASK. */
    static final int VALUE_MASK = AMBIGUOUS - 1;
    private static final int KEY_LONGS = 5;
    private static final long OCCUPIED = 1L << 63;

    private final long[] keys;
    private final int[] values;
    private final int mask;
    private final int capacity;
    private int size;
    private int refused;

    TupleMap(final int capacity) {
        this.capacity = Math.max(1, capacity);
        // Load factor at most 1/2: probe chains stay short even when full.
        final int slots = Integer.highestOneBit(Math.max(8, this.capacity * 2 - 1)) << 1;
        keys = new long[slots * KEY_LONGS];
        values = new int[slots];
        mask = slots - 1;
    }

    /** Packs what is not an address: protocol and the two ports. */
    static long meta(final int protocol, final int firstPort, final int secondPort) {
        return OCCUPIED | ((long) (protocol & 0xFF) << 32) | ((long) (firstPort & 0xFFFF) << 16) |
            (secondPort & 0xFFFF);
    }

    /** @return false when the map is full and the key is new */
    boolean put(final long aHi, final long aLo, final long bHi, final long bLo, final long meta, final int value) {
        if (value < 0 || value > VALUE_MASK) {
            throw new IllegalArgumentException("value : " + value + " (expected: 0.." + VALUE_MASK + ")");
        }
        int slot = hash(aHi, aLo, bHi, bLo, meta) & mask;
        while (true) {
            final int base = slot * KEY_LONGS;
            final long slotMeta = keys[base + 4];
            if (slotMeta == 0) {
                break;
            }
            if (slotMeta == meta && keys[base + 1] == aLo && keys[base + 3] == bLo && keys[base] == aHi &&
                keys[base + 2] == bHi) {
                final int old = values[slot];
                values[slot] = (old & VALUE_MASK) == value ? old : value | AMBIGUOUS;
                return true;
            }
            slot = (slot + 1) & mask;
        }
        if (size >= capacity) {
            refused++;
            return false;
        }
        final int base = slot * KEY_LONGS;
        keys[base] = aHi;
        keys[base + 1] = aLo;
        keys[base + 2] = bHi;
        keys[base + 3] = bLo;
        keys[base + 4] = meta;
        values[slot] = value;
        size++;
        return true;
    }

    /** The value, possibly with {@link #AMBIGUOUS} set, or {@link #MISSING}. */
    int get(final long aHi, final long aLo, final long bHi, final long bLo, final long meta) {
        int slot = hash(aHi, aLo, bHi, bLo, meta) & mask;
        while (true) {
            final int base = slot * KEY_LONGS;
            final long slotMeta = keys[base + 4];
            if (slotMeta == 0) {
                return MISSING;
            }
            if (slotMeta == meta && keys[base + 1] == aLo && keys[base + 3] == bLo && keys[base] == aHi &&
                keys[base + 2] == bHi) {
                return values[slot];
            }
            slot = (slot + 1) & mask;
        }
    }

    int size() {
        return size;
    }

    /** New keys refused because the map was full. */
    int refused() {
        return refused;
    }

    private static int hash(final long aHi, final long aLo, final long bHi, final long bLo, final long meta) {
        long h = aLo * 0x9E37_79B9_7F4A_7C15L;
        h = (h ^ bLo) * 0xC2B2_AE3D_27D4_EB4FL;
        h = (h ^ meta) * 0x1656_67B1_9E37_79F9L;
        h = (h ^ aHi ^ (bHi * 0x85EB_CA77_C2B2_AE63L)) * 0x9E37_79B9_7F4A_7C15L;
        return (int) (h ^ (h >>> 32));
    }
}
