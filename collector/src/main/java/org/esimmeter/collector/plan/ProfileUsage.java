package org.esimmeter.collector.plan;

import java.util.List;
import org.esimmeter.collector.store.GroupBy;
import org.esimmeter.collector.store.GroupUsage;
import org.esimmeter.collector.store.Resolution;
import org.esimmeter.collector.store.StoreException;
import org.esimmeter.collector.store.UsagePoint;
import org.esimmeter.collector.store.UsageQuery;
import org.esimmeter.collector.store.UsageStore;
import org.esimmeter.wire.Direction;
import org.esimmeter.wire.TrafficCounters;

/**
 * A profile's usage read through the store's profile grouping (the path of {@code /v1/totals?by=profile}), summing
 * the groups whose profile string is the profile's id or its ICCID. Counts IP bytes: carriers bill the IP packets
 * of the bearer, not the link-layer framing the capture adds.
 */
final class ProfileUsage {
    private static final Resolution[] FINER = {Resolution.HOUR, Resolution.MINUTE, Resolution.SECOND};

    private final UsageStore store;

    ProfileUsage(final UsageStore store) {
        this.store = store;
    }

    /** Usage of {@code profile} in {@code [from, to)}; empty when the range is empty. */
    TrafficCounters between(final ProfileConfig profile, final long from, final long to) throws StoreException {
        final TrafficCounters sum = new TrafficCounters();
        if (to <= from) {
            return sum;
        }
        final List<GroupUsage> groups = store.totals(new UsageQuery(from, to, Resolution.DAY, GroupBy.PROFILE, null,
            null, null));
        for (final GroupUsage group : groups) {
            if (profile.matches(group.group().profile())) {
                sum.add(group.usage());
            }
        }
        return sum;
    }

    /** Bytes the plan counts: IP bytes up and down (and of unknown direction), or down only. */
    static long billable(final TrafficCounters usage, final boolean uploadCounts) {
        final long down = usage.get(Direction.DOWN, TrafficCounters.IP_BYTES);
        return uploadCounts ? usage.sum(TrafficCounters.IP_BYTES) : down;
    }

    /**
     * The first second with usage of {@code profile} in {@code [from, to)}, or -1: the first day bucket with usage,
     * then its first hour, minute and second. Where finer rows are past their retention, the start of the finest
     * bucket still stored.
     */
    long firstUse(final ProfileConfig profile, final long from, final long to) throws StoreException {
        long first = firstBucket(profile, from, to, Resolution.DAY);
        if (first < 0) {
            return -1;
        }
        long width = Resolution.DAY.seconds();
        for (final Resolution step : FINER) {
            final long finer = firstBucket(profile, Math.max(from, first), Math.min(to, first + width), step);
            if (finer < 0) {
                return Math.max(from, first);
            }
            first = finer;
            width = step.seconds();
        }
        return Math.max(from, first);
    }

    private long firstBucket(final ProfileConfig profile, final long from, final long to, final Resolution step)
        throws StoreException {
        if (to <= from) {
            return -1;
        }
        for (final UsagePoint point : store.usage(new UsageQuery(from, to, step, GroupBy.PROFILE, null, null, null))) {
            if (profile.matches(point.group().profile()) && !point.usage().isEmpty()) {
                return point.bucketStart(); // points come ordered by bucket
            }
        }
        return -1;
    }
}
