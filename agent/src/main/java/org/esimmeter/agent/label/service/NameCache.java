package org.esimmeter.agent.label.service;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A bounded map from a key of one to five longs to a name that expires: set-associative over primitive arrays, so
 * memory is fixed at construction and every operation touches one set of {@value #WAYS} entries. A full set gives
 * up its entry that expires first, and of those expiring together the one written longest ago.
 * <p>
 * Written by few threads, read by the capture thread at seal time without a lock: writers serialize on the cache and
 * make the set's sequence number odd while they change it (a seqlock); a reader that sees it odd or changed reads
 * again, a bounded number of times, then answers "not known" rather than wait — labelling never blocks the meter.
 * A reader may see a torn entry only between two sequence reads that then disagree, so it never returns one.
 */
final class NameCache {
    static final int WAYS = 4;
    private static final int READ_ATTEMPTS = 4;
    private static final VarHandle SEQUENCE = MethodHandles.arrayElementVarHandle(long[].class);

    private final int keyLongs;
    private final int setMask;
    private final long[] sequences;
    private final long[] keys;
    /** Per entry, epoch millis after which it is stale; 0 marks an empty entry. */
    private final long[] expires;
    private final String[] names;
    /** Per entry, when it was written (a count of writes): among entries expiring together, the oldest goes. */
    private final long[] written;
    private long writes;
    private int occupied;

    /**
     * @param entries  capacity, rounded up to a power of two of at least {@value #WAYS}
     * @param keyLongs 1..5 longs per key
     */
    NameCache(final int entries, final int keyLongs) {
        if (entries < 1 || keyLongs < 1 || keyLongs > 5) {
            throw new IllegalArgumentException("entries : " + entries + ", keyLongs : " + keyLongs +
                " (expected: >= 1, 1..5)");
        }
        final int capacity = Math.max(WAYS, Integer.highestOneBit(Math.max(1, entries - 1)) << 1);
        final int sets = capacity / WAYS;
        this.keyLongs = keyLongs;
        this.setMask = sets - 1;
        this.sequences = new long[sets];
        this.keys = new long[capacity * keyLongs];
        this.expires = new long[capacity];
        this.names = new String[capacity];
        this.written = new long[capacity];
    }

    int capacity() {
        return expires.length;
    }

    /** Entries holding a name, fresh or stale (a stale one stays until its slot is needed). */
    synchronized int occupied() {
        return occupied;
    }

    /** The name stored for the key if it has not expired at {@code nowMillis}, else null. Never blocks. */
    String get(final long k0, final long k1, final long k2, final long k3, final long k4, final long nowMillis) {
        final int set = set(k0, k1, k2, k3, k4);
        final int first = set * WAYS;
        for (int attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
            final long before = (long) SEQUENCE.getAcquire(sequences, set);
            if ((before & 1) != 0) {
                Thread.onSpinWait();
                continue;
            }
            String found = null;
            for (int entry = first; entry < first + WAYS; entry++) {
                if (expires[entry] > nowMillis && matches(entry, k0, k1, k2, k3, k4)) {
                    found = names[entry];
                    break;
                }
            }
            // The entry's loads complete before the sequence is read again: a writer in between changed it.
            VarHandle.loadLoadFence();
            if ((long) SEQUENCE.getOpaque(sequences, set) == before) {
                return found;
            }
        }
        return null;
    }

    /** Stores or replaces the key's name; a full set gives up the entry that expires first. */
    synchronized void put(final long k0, final long k1, final long k2, final long k3, final long k4,
        final String name, final long expiresAtMillis, final long nowMillis) {
        final int set = set(k0, k1, k2, k3, k4);
        final int first = set * WAYS;
        int target = -1;
        int victim = first;
        for (int entry = first; entry < first + WAYS; entry++) {
            if (expires[entry] != 0 && matches(entry, k0, k1, k2, k3, k4)) {
                target = entry;
                break;
            }
            if (expires[entry] < expires[victim] ||
                expires[entry] == expires[victim] && written[entry] < written[victim]) {
                victim = entry;
            }
        }
        if (target < 0) {
            target = victim;
            if (expires[target] == 0) {
                occupied++;
            }
        } else if (expires[target] > nowMillis && name.equals(names[target]) &&
            expires[target] >= expiresAtMillis) {
            return; // already known for at least as long: no write, no reader retry
        }
        final long sequence = sequences[set];
        SEQUENCE.setOpaque(sequences, set, sequence + 1);
        VarHandle.storeStoreFence();
        final int base = target * keyLongs;
        keys[base] = k0;
        if (keyLongs > 1) {
            keys[base + 1] = k1;
        }
        if (keyLongs > 2) {
            keys[base + 2] = k2;
        }
        if (keyLongs > 3) {
            keys[base + 3] = k3;
        }
        if (keyLongs > 4) {
            keys[base + 4] = k4;
        }
        names[target] = name;
        written[target] = ++writes;
        expires[target] = Math.max(1, expiresAtMillis);
        SEQUENCE.setRelease(sequences, set, sequence + 2);
    }

    private boolean matches(final int entry, final long k0, final long k1, final long k2, final long k3,
        final long k4) {
        final int base = entry * keyLongs;
        return keys[base] == k0 && (keyLongs < 2 || keys[base + 1] == k1) && (keyLongs < 3 || keys[base + 2] == k2) &&
            (keyLongs < 4 || keys[base + 3] == k3) && (keyLongs < 5 || keys[base + 4] == k4);
    }

    private int set(final long k0, final long k1, final long k2, final long k3, final long k4) {
        long h = k0 * 0x9E37_79B9_7F4A_7C15L;
        h = (h ^ k1) * 0xBF58_476D_1CE4_E5B9L;
        h = (h ^ k2) * 0x94D0_49BB_1331_11EBL;
        h = (h ^ k3) * 0x9E37_79B9_7F4A_7C15L;
        h = (h ^ k4) * 0xBF58_476D_1CE4_E5B9L;
        return (int) (h ^ (h >>> 31) ^ (h >>> 17)) & setMask;
    }
}
