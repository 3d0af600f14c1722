package org.esimmeter.agent.ship;

import org.esimmeter.wire.Batch;
import org.esimmeter.wire.SecondUsage;

/**
 * How coarse a batch's records are. At the spool's cap, {@link BatchMerger} folds batches into the next level up:
 * per-second records into per-minute ones, then per-hour, per-day, and last per-day interface totals without flows
 * (the flows' bytes move into the overflow counters). Every level keeps the totals exact; only detail goes.
 */
enum MergeLevel {
    SECOND(1, true),
    MINUTE(60, true),
    HOUR(3600, true),
    DAY(86_400, true),
    DAY_TOTALS(86_400, false);

    final int spanSeconds;
    final boolean keepsFlows;

    MergeLevel(final int spanSeconds, final boolean keepsFlows) {
        this.spanSeconds = spanSeconds;
        this.keepsFlows = keepsFlows;
    }

    /** The level a decoded batch is at: its widest record; a day-level batch without flows is at the last one. */
    static MergeLevel of(final Batch batch) {
        int span = 1;
        boolean flows = false;
        for (final SecondUsage second : batch.seconds()) {
            span = Math.max(span, second.spanSeconds());
            flows |= !second.flows().isEmpty();
        }
        if (span >= DAY.spanSeconds) {
            return flows ? DAY : DAY_TOTALS;
        }
        return span >= HOUR.spanSeconds ? HOUR : span >= MINUTE.spanSeconds ? MINUTE : SECOND;
    }

    /** The next coarser level, or null at the last. */
    MergeLevel coarser() {
        final MergeLevel[] all = values();
        return ordinal() + 1 < all.length ? all[ordinal() + 1] : null;
    }
}
