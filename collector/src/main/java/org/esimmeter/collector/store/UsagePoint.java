package org.esimmeter.collector.store;

import org.esimmeter.wire.TrafficCounters;

/**
 * Usage of one group in one bucket starting at {@code bucketStart} (epoch seconds); {@code uncaptured} and
 * {@code approximate} as in {@link GroupUsage}.
 */
public record UsagePoint(long bucketStart, GroupKey group, TrafficCounters usage, TrafficCounters uncaptured,
    TrafficCounters approximate) {

    public UsagePoint(final long bucketStart, final GroupKey group, final TrafficCounters usage) {
        this(bucketStart, group, usage, new TrafficCounters(), new TrafficCounters());
    }
}
