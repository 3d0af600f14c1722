package org.esimmeter.collector.store;

import org.esimmeter.wire.TrafficCounters;

/** Usage of one group in one bucket starting at {@code bucketStart} (epoch seconds). */
public record UsagePoint(long bucketStart, GroupKey group, TrafficCounters usage) {
}
