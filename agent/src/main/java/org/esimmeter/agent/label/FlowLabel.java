package org.esimmeter.agent.label;

import org.esimmeter.wire.Device;

/**
 * What {@link FlowLabels} says about one flow: a holder the shipper reuses for every flow, so labelling allocates
 * nothing. Null fields mean "not known".
 */
public final class FlowLabel {
    /** The LAN device the flow's bytes belong to. */
    public Device device;
    /** True when {@link #device} was inferred rather than read from the router's connection tracking or the LAN. */
    public boolean approximate;
    /** The service (domain name) the remote end answers for, from DNS answers or TLS SNI. */
    public String service;

    public void clear() {
        device = null;
        approximate = false;
        service = null;
    }
}
