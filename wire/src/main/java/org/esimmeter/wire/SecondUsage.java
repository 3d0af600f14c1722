package org.esimmeter.wire;

import java.util.List;

/**
 * One interface's usage during one second, as the agent's meter sealed it; or, when {@code spanSeconds > 1}, a
 * merged record: the sums of the seconds in [epochSecond, epochSecond + spanSeconds) that the agent's spool
 * merged when it reached its size cap (totals exact, per-second detail lost).
 * <p>
 * {@code network} is the serving network (MCC+MNC) or "" when unknown; {@code uncaptured} the bytes the kernel
 * counted on the interface that the capture never saw, outside {@code total} (see {@link WireFormat#FLAG_CONTEXT}).
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
    int spanSeconds,
    String network,
    TrafficCounters uncaptured) {

    public SecondUsage {
        flows = List.copyOf(flows);
        network = network == null ? "" : network;
        uncaptured = uncaptured == null ? new TrafficCounters() : uncaptured;
    }

    /** A record without context: network unknown, nothing uncaptured. */
    public SecondUsage(final String interfaceName, final String profile, final long epochSecond,
        final TrafficCounters total, final TrafficCounters nonIp, final TrafficCounters unparsed,
        final TrafficCounters overflow, final long pcapReceived, final long pcapDropped, final List<FlowUsage> flows,
        final int spanSeconds) {
        this(interfaceName, profile, epochSecond, total, nonIp, unparsed, overflow, pcapReceived, pcapDropped, flows,
            spanSeconds, "", new TrafficCounters());
    }

    /** One second (span 1). */
    public SecondUsage(final String interfaceName, final String profile, final long epochSecond,
        final TrafficCounters total, final TrafficCounters nonIp, final TrafficCounters unparsed,
        final TrafficCounters overflow, final long pcapReceived, final long pcapDropped, final List<FlowUsage> flows) {
        this(interfaceName, profile, epochSecond, total, nonIp, unparsed, overflow, pcapReceived, pcapDropped, flows,
            1);
    }

    /** Whether anything needs {@link WireFormat#FLAG_CONTEXT} to be written. */
    public boolean hasContext() {
        if (!network.isEmpty() || !uncaptured.isEmpty()) {
            return true;
        }
        for (final FlowUsage flow : flows) {
            if (flow.hasLabels()) {
                return true;
            }
        }
        return false;
    }

    public boolean isMerged() {
        return spanSeconds > 1;
    }
}
