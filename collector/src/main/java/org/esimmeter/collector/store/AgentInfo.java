package org.esimmeter.collector.store;

import java.util.List;
import org.esimmeter.wire.ClockStep;

/**
 * An agent as the store knows it: when it last delivered a batch, its interfaces, and what degrades its seconds:
 * wall-clock steps it reported (the latest one, or null), merged records (count and seconds covered) and
 * interface-seconds stamped implausibly ({@link Timestamps}).
 */
public record AgentInfo(String agentId, long lastSeenEpochSecond, long lastSequence, List<InterfaceInfo> interfaces,
    long clockSteps, ClockStep lastClockStep, long mergedRecords, long mergedSeconds, long implausibleSeconds) {
    public AgentInfo {
        interfaces = List.copyOf(interfaces);
    }

    /**
     * An interface of an agent, the profile and serving network ("" when unknown) it last reported, and the newest
     * second of usage stored for it.
     */
    public record InterfaceInfo(String name, String profile, long lastSecond, String network) {
        public InterfaceInfo(final String name, final String profile, final long lastSecond) {
            this(name, profile, lastSecond, "");
        }
    }
}
