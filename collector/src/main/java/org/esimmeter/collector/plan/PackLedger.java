package org.esimmeter.collector.plan;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;
import org.esimmeter.collector.store.StoreException;

/**
 * Charges usage to stacked prepaid packs the way carriers do: a byte used at time t comes out of the pack valid at t
 * (purchased at or before t, expiring after t) that expires first and still has bytes; a byte no valid pack can cover
 * is uncovered (out-of-bundle).
 * <p>
 * Exact without per-second data: cut the timeline at every purchase and expiry; between two cuts the set of valid
 * packs is fixed, so charging that segment's total in expiry order leaves every pack exactly where charging it
 * second by second would.
 */
final class PackLedger {
    /** Billable bytes of one profile in a range; the ledger asks once per segment. */
    @FunctionalInterface
    interface Usage {
        long billable(long fromSecond, long toSecond) throws StoreException;
    }

    /** What one pack has left as of the ledger's time. */
    record PackState(PackConfig pack, long usedBytes, long remainingBytes, String state) {
    }

    /** Packs in configuration order, and the bytes no pack covered. */
    record Result(List<PackState> packs, long uncoveredBytes) {
    }

    private PackLedger() {
    }

    /** Charges usage up to the end of {@code nowSecond}; states as of {@code nowSecond}. */
    static Result charge(final List<PackConfig> packs, final long nowSecond, final Usage usage)
        throws StoreException {
        final long upTo = nowSecond + 1; // usage of the current second counts, as far as it has arrived
        final long[] remaining = new long[packs.size()];
        final TreeSet<Long> cuts = new TreeSet<>();
        for (int i = 0; i < packs.size(); i++) {
            remaining[i] = packs.get(i).bytes();
            cuts.add(Math.min(upTo, packs.get(i).purchasedSecond()));
            cuts.add(Math.min(upTo, packs.get(i).expiresSecond()));
        }
        cuts.add(upTo);
        final List<Integer> byExpiry = new ArrayList<>();
        for (int i = 0; i < packs.size(); i++) {
            byExpiry.add(i);
        }
        byExpiry.sort(Comparator.<Integer>comparingLong(i -> packs.get(i).expiresSecond())
            .thenComparingLong(i -> packs.get(i).purchasedSecond()));
        long uncovered = 0;
        Long from = null;
        for (final long to : cuts) {
            if (from != null && to > from) {
                long bytes = usage.billable(from, to);
                for (final int i : byExpiry) {
                    final PackConfig pack = packs.get(i);
                    if (bytes == 0) {
                        break;
                    }
                    if (pack.purchasedSecond() <= from && pack.expiresSecond() >= to) {
                        final long charged = Math.min(bytes, remaining[i]);
                        remaining[i] -= charged;
                        bytes -= charged;
                    }
                }
                uncovered += bytes;
            }
            from = to;
        }
        final List<PackState> states = new ArrayList<>();
        for (int i = 0; i < packs.size(); i++) {
            final PackConfig pack = packs.get(i);
            final String state;
            if (nowSecond < pack.purchasedSecond()) {
                state = "not_started";
            } else if (nowSecond >= pack.expiresSecond()) {
                state = "expired";
            } else {
                state = remaining[i] == 0 ? "used_up" : "active";
            }
            states.add(new PackState(pack, pack.bytes() - remaining[i], remaining[i], state));
        }
        return new Result(states, uncovered);
    }
}
