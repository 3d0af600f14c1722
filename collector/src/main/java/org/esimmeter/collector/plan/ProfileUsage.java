package org.esimmeter.collector.plan;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.esimmeter.collector.store.GroupBy;
import org.esimmeter.collector.store.GroupKey;
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
 * of the bearer, not the link-layer framing the capture adds. Bytes the kernel counted that no capture saw
 * (uncaptured: flow offload, capture drops) are billed too, so the plan's total follows the interface counters even
 * when the flow breakdown cannot.
 */
final class ProfileUsage {
    private static final Resolution[] FINER = {Resolution.HOUR, Resolution.MINUTE, Resolution.SECOND};

    /** Captured bytes and the uncaptured ones (outside {@code captured}). */
    record Used(TrafficCounters captured, TrafficCounters uncaptured) {
        /** Everything the kernel counted: captured plus uncaptured. */
        TrafficCounters all() {
            final TrafficCounters all = new TrafficCounters();
            all.add(captured);
            all.add(uncaptured);
            return all;
        }
    }

    private final UsageStore store;

    ProfileUsage(final UsageStore store) {
        this.store = store;
    }

    /** Everything counted for {@code profile} in {@code [from, to)}, uncaptured bytes included. */
    TrafficCounters between(final ProfileConfig profile, final long from, final long to) throws StoreException {
        return split(profile, from, to).all();
    }

    /** Usage of {@code profile} in {@code [from, to)}, captured and uncaptured apart; empty when the range is. */
    Used split(final ProfileConfig profile, final long from, final long to) throws StoreException {
        final Used used = new Used(new TrafficCounters(), new TrafficCounters());
        if (to <= from) {
            return used;
        }
        final List<GroupUsage> groups = store.totals(new UsageQuery(from, to, Resolution.DAY, GroupBy.PROFILE, null,
            null, null));
        for (final GroupUsage group : groups) {
            if (profile.matches(group.group().profile())) {
                used.captured().add(group.usage());
                used.uncaptured().add(group.uncaptured());
            }
        }
        return used;
    }

    /**
     * Totals of {@code profile} in {@code [from, to)} grouped by {@code by} (network, device or service), keyed by
     * the group's name ("" for network unknown; null for flows without a device or service); for a network, the
     * uncaptured bytes are added in, since they were counted on it.
     */
    Map<String, GroupUsage> grouped(final ProfileConfig profile, final long from, final long to, final GroupBy by)
        throws StoreException {
        final Map<String, GroupUsage> groups = new TreeMap<>(Comparator.nullsFirst(Comparator.naturalOrder()));
        if (to <= from) {
            return groups;
        }
        final List<String> names = new ArrayList<>(List.of(profile.id()));
        if (profile.iccid() != null && !profile.iccid().equals(profile.id())) {
            names.add(profile.iccid());
        }
        for (final String name : names) {
            for (final GroupUsage group : store.totals(new UsageQuery(from, to, Resolution.DAY, by, null, null,
                name))) {
                final GroupKey key = group.group();
                final String label = by == GroupBy.NETWORK ? key.network() :
                    by == GroupBy.DEVICE ? key.device() : key.service();
                final GroupUsage sum = groups.computeIfAbsent(label, k -> new GroupUsage(key, new TrafficCounters(),
                    new TrafficCounters(), new TrafficCounters()));
                sum.usage().add(group.usage());
                sum.usage().add(group.uncaptured());
                sum.approximate().add(group.approximate());
            }
        }
        return groups;
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
            if (profile.matches(point.group().profile()) &&
                (!point.usage().isEmpty() || !point.uncaptured().isEmpty())) {
                return point.bucketStart(); // points come ordered by bucket
            }
        }
        return -1;
    }
}
