package org.esimmeter.wire;

import java.util.List;

/** One interface's usage during one second, as the agent's meter sealed it. */
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
    List<FlowUsage> flows) {

    public SecondUsage {
        flows = List.copyOf(flows);
    }
}
