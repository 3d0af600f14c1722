package org.esimmeter.agent.capture;

import org.esimmeter.agent.decode.LinkType;

/** How a live capture learns which way a packet went, decided once per interface from its link type. */
public enum DirectionSource {
    /** Cooked captures (LINUX_SLL, LINUX_SLL2): the packet type in each frame's header. */
    LINK_HEADER("cooked header"),
    /** Ethernet frames: sent from the interface's own MAC means upload. */
    OWN_MAC("own MAC"),
    /** Neither in the frames (raw IP, TUN, PPP): two handles, each kept to one direction by pcap_setdirection. */
    TWO_HANDLES("two handles (in/out)");

    private final String description;

    DirectionSource(final String description) {
        this.description = description;
    }

    public static DirectionSource of(final int linkType, final long ownMac) {
        if (LinkType.carriesDirection(linkType)) {
            return LINK_HEADER;
        }
        if (LinkType.carriesSourceMac(linkType) && ownMac != -1) {
            return OWN_MAC;
        }
        return TWO_HANDLES;
    }

    public String description() {
        return description;
    }
}
