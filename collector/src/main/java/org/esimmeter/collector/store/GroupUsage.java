package org.esimmeter.collector.store;

import org.esimmeter.wire.TrafficCounters;

/**
 * Usage of one group over a whole range: {@code usage} as captured; {@code uncaptured} the bytes the kernel counted
 * on the interfaces that no capture saw (interface dimensions only; outside {@code usage}); {@code approximate} the
 * part of {@code usage} whose device the agent inferred (flow dimensions only).
 */
public record GroupUsage(GroupKey group, TrafficCounters usage, TrafficCounters uncaptured,
    TrafficCounters approximate) {

    public GroupUsage(final GroupKey group, final TrafficCounters usage) {
        this(group, usage, new TrafficCounters(), new TrafficCounters());
    }
}
