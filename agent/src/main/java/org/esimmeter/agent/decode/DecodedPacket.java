package org.esimmeter.agent.decode;

import org.esimmeter.wire.Direction;

/**
 * What the decoder learned about one packet: a single instance is reused for every packet, so nothing here may be
 * kept past the call that filled it. Addresses are 128-bit; IPv4 is stored IPv4-mapped (::ffff:a.b.c.d) with
 * {@link #ipVersion()} telling the two apart.
 */
public final class DecodedPacket {
    public static final int NOT_FRAGMENT = 0;
    public static final int FIRST_FRAGMENT = 1;
    public static final int LATER_FRAGMENT = 2;

    int ipVersion;
    int protocol;
    long srcHi;
    long srcLo;
    long dstHi;
    long dstLo;
    int srcPort;
    int dstPort;
    int ipLength;
    int linkDirection;
    long sourceMac;
    int ifIndex;
    int fragment;
    long fragmentId;
    int networkOffset;
    int unparsedReason;

    void reset() {
        ipVersion = 0;
        protocol = 0;
        srcHi = 0;
        srcLo = 0;
        dstHi = 0;
        dstLo = 0;
        srcPort = 0;
        dstPort = 0;
        ipLength = 0;
        linkDirection = Direction.UNKNOWN;
        sourceMac = -1;
        ifIndex = 0;
        fragment = NOT_FRAGMENT;
        fragmentId = 0;
        networkOffset = -1;
        unparsedReason = UnparsedReason.NONE;
    }

    public int ipVersion() {
        return ipVersion;
    }

    /** Upper-layer protocol number after IPv6 extension headers (or the last header reached if truncated). */
    public int protocol() {
        return protocol;
    }

    public long srcHi() {
        return srcHi;
    }

    public long srcLo() {
        return srcLo;
    }

    public long dstHi() {
        return dstHi;
    }

    public long dstLo() {
        return dstLo;
    }

    /** TCP and UDP only; 0 for other protocols, later fragments and transport headers cut off by the snaplen. */
    public int srcPort() {
        return srcPort;
    }

    public int dstPort() {
        return dstPort;
    }

    /** Length of the outermost IP packet from its header: IPv4 total length, or 40 + IPv6 payload length. */
    public int ipLength() {
        return ipLength;
    }

    /** Direction stated by the link header (cooked captures), else {@link Direction#UNKNOWN}. */
    public int linkDirection() {
        return linkDirection;
    }

    /** Source MAC of an Ethernet frame as 48 low bits, or -1. */
    public long sourceMac() {
        return sourceMac;
    }

    /** Interface index from a LINUX_SLL2 header, else 0. */
    public int ifIndex() {
        return ifIndex;
    }

    public int fragment() {
        return fragment;
    }

    /** IPv4 identification (16 bits) or IPv6 fragment identification (32 bits). */
    public long fragmentId() {
        return fragmentId;
    }

    /** Offset of the IP header from the start of the frame, -1 if none was found. */
    public int networkOffset() {
        return networkOffset;
    }

    public int unparsedReason() {
        return unparsedReason;
    }
}
