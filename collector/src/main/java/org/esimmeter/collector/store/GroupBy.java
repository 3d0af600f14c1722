package org.esimmeter.collector.store;

import java.util.Locale;

/**
 * How usage is grouped. AGENT, INTERFACE (agent + interface) and PROFILE group interface totals; the flow
 * dimensions group flow rows, which exclude non-IP, unparsed and overflow bytes (those have no flow).
 */
public enum GroupBy {
    AGENT,
    INTERFACE,
    PROFILE,
    /** (proto, src, srcPort, dst, dstPort), unidirectional, with the flow's direction. */
    FLOW,
    /** Remote destination address. */
    DST,
    /** Source address. */
    SRC,
    /** IP protocol number. */
    PROTOCOL;

    /** True where the group comes from flow rows rather than interface totals. */
    public boolean isFlowDimension() {
        return this == FLOW || this == DST || this == SRC || this == PROTOCOL;
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
            " (expected: agent, interface, profile, flow, dst, src or protocol)");
    }
}
