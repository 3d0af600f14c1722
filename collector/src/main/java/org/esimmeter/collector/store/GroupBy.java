package org.esimmeter.collector.store;

import java.util.Locale;

/**
 * How usage is grouped. AGENT, INTERFACE (agent + interface), PROFILE and NETWORK group interface totals (and the
 * bytes the capture never saw); the flow dimensions group flow rows, which exclude non-IP, unparsed, overflow and
 * uncaptured bytes (those have no flow).
 */
public enum GroupBy {
    AGENT,
    INTERFACE,
    PROFILE,
    /** Serving network (MCC+MNC; "" when the agent did not know it). */
    NETWORK,
    /** (proto, src, srcPort, dst, dstPort), unidirectional, with the flow's direction. */
    FLOW,
    /** Remote destination address. */
    DST,
    /** Source address. */
    SRC,
    /** IP protocol number. */
    PROTOCOL,
    /** The LAN device the agent attributed the flow to, by its key (MAC or LAN address); null: not attributed. */
    DEVICE,
    /** The service (domain) the agent labelled the flow with; null: unlabelled. */
    SERVICE;

    /** True where the group comes from flow rows rather than interface totals. */
    public boolean isFlowDimension() {
        return this.ordinal() >= FLOW.ordinal();
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static GroupBy fromLabel(final String label) {
        for (final GroupBy groupBy : values()) {
            if (groupBy.label().equals(label)) {
                return groupBy;
            }
        }
        throw new IllegalArgumentException("by : " + label +
            " (expected: agent, interface, profile, network, flow, dst, src, protocol, device or service)");
    }
}
