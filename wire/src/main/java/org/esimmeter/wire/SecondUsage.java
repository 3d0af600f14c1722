package org.esimmeter.wire;

import java.util.List;

/**
 * One interface's usage during one second, as the agent's meter sealed it; or, when {@code spanSeconds > 1}, a
 * merged record: the sums of the seconds in [epochSecond, epochSecond + spanSeconds) that the agent's spool
 * merged when it reached its size cap (totals exact, per-second detail lost).
 */
public record SecondUsage(
    String interfaceName,
    String profile,
    long epochSecond,
    TrafficCounters total,
    TrafficCounters nonIp,
    TrafficCounters unparsed,
    TrafficCounters overflow,
    long pcapReceived,
    long pcapDropped,
    List<FlowUsage> flows,
    int spanSeconds) {

    public SecondUsage {
        flows = List.copyOf(flows);
    }

    /** One second (span 1). */
    public SecondUsage(final String interfaceName, final String profile, final long epochSecond,
        final TrafficCounters total, final TrafficCounters nonIp, final TrafficCounters unparsed,
        final TrafficCounters overflow, final long pcapReceived, final long pcapDropped, final List<FlowUsage> flows) {
        this(interfaceName, profile, epochSecond, total, nonIp, unparsed, overflow, pcapReceived, pcapDropped, flows,
            1);
    }

    public boolean isMerged() {
        return spanSeconds > 1;
    }
}
