package org.esimmeter.agent.meter;

import org.esimmeter.agent.decode.DecodedPacket;
import org.esimmeter.wire.Direction;

/**
 * Tells which way a packet went on one capture handle, by the most exact evidence the handle has:
 * the handle itself (libpcap direction filter), then the link header (cooked captures),
 * then the router's own MAC as the source of an Ethernet frame.
 */
public final class DirectionRule {
    private static final long NO_MAC = -1;

    private final int fixedDirection;
    private final long ownMac;

    private DirectionRule(final int fixedDirection, final long ownMac) {
        this.fixedDirection = fixedDirection;
        this.ownMac = ownMac;
    }

    /** Every packet of the handle went one way (pcap_setdirection on the handle). */
    public static DirectionRule fixed(final int direction) {
        return new DirectionRule(direction, NO_MAC);
    }

    /** Frames sent from {@code ownMac} are UP, others DOWN; cooked headers are still believed first. */
    public static DirectionRule ownMac(final long ownMac) {
        return new DirectionRule(Direction.UNKNOWN, ownMac);
    }

    /** Only what the link header says (cooked captures); else UNKNOWN. */
    public static DirectionRule fromLinkHeader() {
        return new DirectionRule(Direction.UNKNOWN, NO_MAC);
    }

    public int resolve(final DecodedPacket packet) {
        if (fixedDirection != Direction.UNKNOWN) {
            return fixedDirection;
        }
        final int link = packet.linkDirection();
        if (link != Direction.UNKNOWN) {
            return link;
        }
        final long sourceMac = packet.sourceMac();
        if (ownMac != NO_MAC && sourceMac != NO_MAC) {
            return sourceMac == ownMac ? Direction.UP : Direction.DOWN;
        }
        return Direction.UNKNOWN;
    }

    @Override
    public String toString() {
        if (fixedDirection != Direction.UNKNOWN) {
            return "handle:" + Direction.name(fixedDirection);
        }
        return ownMac != NO_MAC ? String.format("mac:%012x", ownMac) : "link-header";
    }
}
