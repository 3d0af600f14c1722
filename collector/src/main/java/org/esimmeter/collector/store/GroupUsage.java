package org.esimmeter.collector.store;

import org.esimmeter.wire.TrafficCounters;

/** Usage of one group over a whole range. */
public record GroupUsage(GroupKey group, TrafficCounters usage) {
}
