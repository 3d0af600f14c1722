package org.esimmeter.collector.store;

import java.util.List;

/** An agent as the store knows it: when it last delivered a batch, and its interfaces. */
public record AgentInfo(String agentId, long lastSeenEpochSecond, long lastSequence, List<InterfaceInfo> interfaces) {
    public AgentInfo {
        interfaces = List.copyOf(interfaces);
    }

    /** An interface of an agent, the profile it last reported, and the newest second of usage stored for it. */
    public record InterfaceInfo(String name, String profile, long lastSecond) {
    }
}
