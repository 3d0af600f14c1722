package org.esimmeter.agent.decode;

import org.esimmeter.wire.Addresses;
import org.esimmeter.wire.Direction;

/**
 * Decodes link, network and transport headers in place, from a raw address and the captured length, into a reused
 * {@link DecodedPacket}. One decoder serves live capture, replay, tests and benchmarks.
 * <p>
 * Never throws and never reads past {@code capturedLength}: a frame that ends too early or contradicts itself is
 * reported as {@link #UNPARSED} with a reason, so the meter can count it instead of losing it. Tunnels are not
 * opened: the outermost IP header is what the carrier bills.
 */
public final class PacketDecoder {
    /** An IP packet: addresses, protocol and IP length are set; ports where TCP/UDP headers were captured. */
    public static final int IP = 0;
    /** A well-formed frame that carries no IP (ARP, LLDP, PPP control, ...). */
    public static final int NON_IP = 1;
    /** Truncated or malformed; see {@link DecodedPacket#unparsedReason()}. */
    public static final int UNPARSED = 2;

    static final int ETHERTYPE_IPV4 = 0x0800;
    static final int ETHERTYPE_IPV6 = 0x86DD;
    static final int ETHERTYPE_VLAN = 0x8100;
    static final int ETHERTYPE_QINQ = 0x88A8;
    static final int ETHERTYPE_QINQ_LEGACY = 0x9100;
    static final int ETHERTYPE_PPPOE_SESSION = 0x8864;

    static final int PPP_IPV4 = 0x0021;
    static final int PPP_IPV6 = 0x0057;

    static final int ETHERNET_HEADER_LENGTH = 14;
    static final int SLL_HEADER_LENGTH = 16;
    static final int SLL2_HEADER_LENGTH = 20;
    static final int SLL_PACKET_OUTGOING = 4;
    static final int PPPOE_HEADER_LENGTH = 6;
    static final int IPV4_MIN_HEADER_LENGTH = 20;
    static final int IPV6_HEADER_LENGTH = 40;

    static final int PROTO_HOP_BY_HOP = 0;
    static final int PROTO_TCP = 6;
    static final int PROTO_UDP = 17;
    static final int PROTO_ROUTING = 43;
    static final int PROTO_FRAGMENT = 44;
    static final int PROTO_AH = 51;
    static final int PROTO_DESTINATION = 60;
    static final int PROTO_MOBILITY = 135;
    static final int PROTO_HIP = 139;
    static final int PROTO_SHIM6 = 140;

    /** A chain longer than this is hostile; stop walking and bill what we have. */
    private static final int MAX_EXTENSION_HEADERS = 16;
    private static final int MAX_VLAN_TAGS = 8;

    /**
     * @param linkType       libpcap DLT of the handle or file
     * @param address        first byte of the frame
     * @param capturedLength bytes present at {@code address} (libpcap's caplen, never the original length)
     * @param packet         filled in; reset first
     * @return {@link #IP}, {@link #NON_IP} or {@link #UNPARSED}
     */
    public int decode(final int linkType, final long address, final int capturedLength, final DecodedPacket packet) {
        packet.reset();
        switch (linkType) {
            case LinkType.EN10MB:
                return ethernet(address, capturedLength, packet);
            case LinkType.RAW:
            case LinkType.RAW_OPENBSD:
            case LinkType.RAW_FILE:
                return ip(address, 0, capturedLength, 0, packet);
            case LinkType.IPV4:
                return ip(address, 0, capturedLength, 4, packet);
            case LinkType.IPV6:
                return ip(address, 0, capturedLength, 6, packet);
            case LinkType.LINUX_SLL:
                return linuxCooked(address, capturedLength, packet);
            case LinkType.LINUX_SLL2:
                return linuxCooked2(address, capturedLength, packet);
            case LinkType.NULL:
                return loopback(address, capturedLength, packet, true);
            case LinkType.LOOP:
                return loopback(address, capturedLength, packet, false);
            case LinkType.PPP:
            case LinkType.PPP_SERIAL:
                return ppp(address, capturedLength, packet);
            case LinkType.PPP_ETHER:
                return pppoeSession(address, 0, capturedLength, packet);
            default:
                return unparsed(packet, UnparsedReason.UNSUPPORTED_LINK);
        }
    }

    private static int ethernet(final long address, final int length, final DecodedPacket packet) {
        if (length < ETHERNET_HEADER_LENGTH) {
            return unparsed(packet, UnparsedReason.TRUNCATED_LINK);
        }
        packet.sourceMac = Bytes.mac(address + 6);
        return etherPayload(address, Bytes.u16(address + 12), ETHERNET_HEADER_LENGTH, length, packet);
    }

    /** Linux cooked v1: packet type(2) ARPHRD(2) addr len(2) addr(8) protocol(2). */
    private static int linuxCooked(final long address, final int length, final DecodedPacket packet) {
        if (length < SLL_HEADER_LENGTH) {
            return unparsed(packet, UnparsedReason.TRUNCATED_LINK);
        }
        packet.linkDirection = Bytes.u16(address) == SLL_PACKET_OUTGOING ? Direction.UP : Direction.DOWN;
        return etherPayload(address, Bytes.u16(address + 14), SLL_HEADER_LENGTH, length, packet);
    }

    /** Linux cooked v2: protocol(2) reserved(2) ifindex(4) ARPHRD(2) packet type(1) addr len(1) addr(8). */
    private static int linuxCooked2(final long address, final int length, final DecodedPacket packet) {
        if (length < SLL2_HEADER_LENGTH) {
            return unparsed(packet, UnparsedReason.TRUNCATED_LINK);
        }
        packet.ifIndex = Bytes.i32(address + 4);
        packet.linkDirection = Bytes.u8(address + 10) == SLL_PACKET_OUTGOING ? Direction.UP : Direction.DOWN;
        return etherPayload(address, Bytes.u16(address), SLL2_HEADER_LENGTH, length, packet);
    }

    /** Follows 802.1Q/802.1ad tags and PPPoE sessions from an EtherType to the IP header. */
    private static int etherPayload(
        final long address, final int etherType, final int payloadOffset, final int length, final DecodedPacket packet) {
        int type = etherType;
        int offset = payloadOffset;
        int tags = 0;
        while (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ || type == ETHERTYPE_QINQ_LEGACY) {
            if (offset + 4 > length || ++tags > MAX_VLAN_TAGS) {
                return unparsed(packet, UnparsedReason.TRUNCATED_LINK);
            }
            type = Bytes.u16(address + offset + 2);
            offset += 4;
        }
        switch (type) {
            case ETHERTYPE_IPV4:
                return ip(address, offset, length, 4, packet);
            case ETHERTYPE_IPV6:
                return ip(address, offset, length, 6, packet);
            case ETHERTYPE_PPPOE_SESSION:
                return pppoeSession(address, offset, length, packet);
            default:
                return NON_IP;
        }
    }

    /** PPPoE session header: ver/type(1) code(1) session(2) length(2), then the PPP protocol. */
    private static int pppoeSession(final long address, final int offset, final int length, final DecodedPacket packet) {
        if (offset + PPPOE_HEADER_LENGTH + 2 > length) {
            return unparsed(packet, UnparsedReason.TRUNCATED_LINK);
        }
        return pppPayload(address, Bytes.u16(address + offset + PPPOE_HEADER_LENGTH), offset + PPPOE_HEADER_LENGTH + 2,
            length, packet);
    }

    /** PPP in HDLC-like framing (RFC 1662): optional FF 03, then a 1- or 2-byte protocol (RFC 1661 compression). */
    private static int ppp(final long address, final int length, final DecodedPacket packet) {
        int offset = 0;
        if (length >= 2 && Bytes.u8(address) == 0xFF && Bytes.u8(address + 1) == 0x03) {
            offset = 2;
        } else if (length == 1 && Bytes.u8(address) == 0xFF) {
            // A lone 0xFF is an HDLC address cut short, not a compressed protocol: 0x00FF is reserved for that reason.
            return unparsed(packet, UnparsedReason.TRUNCATED_LINK);
        }
        if (offset >= length) {
            return unparsed(packet, UnparsedReason.TRUNCATED_LINK);
        }
        final int first = Bytes.u8(address + offset);
        if ((first & 1) == 1) {
            return pppPayload(address, first, offset + 1, length, packet);
        }
        if (offset + 2 > length) {
            return unparsed(packet, UnparsedReason.TRUNCATED_LINK);
        }
        return pppPayload(address, Bytes.u16(address + offset), offset + 2, length, packet);
    }

    private static int pppPayload(
        final long address, final int protocol, final int offset, final int length, final DecodedPacket packet) {
        switch (protocol) {
            case PPP_IPV4:
                return ip(address, offset, length, 4, packet);
            case PPP_IPV6:
                return ip(address, offset, length, 6, packet);
            default:
                return NON_IP;
        }
    }

    /**
     * BSD loopback: a 4-byte address family, in the writer's byte order for NULL and in network order for LOOP.
     * AF_INET6 differs between systems (Linux 10, BSDs 24/28/30).
     */
    private static int loopback(final long address, final int length, final DecodedPacket packet, final boolean anyOrder) {
        if (length < 4) {
            return unparsed(packet, UnparsedReason.TRUNCATED_LINK);
        }
        int family = Bytes.i32(address);
        if (anyOrder && (family & 0xFFFF_0000) != 0) {
            family = Integer.reverseBytes(family);
        }
        switch (family) {
            case 2:
                return ip(address, 4, length, 4, packet);
            case 10:
            case 24:
            case 28:
            case 30:
                return ip(address, 4, length, 6, packet);
            default:
                return NON_IP;
        }
    }

    /** @param expectedVersion 4 or 6 when the link layer announced it, 0 to dispatch on the version nibble */
    private static int ip(
        final long address, final int offset, final int length, final int expectedVersion, final DecodedPacket packet) {
        if (offset >= length) {
            return unparsed(packet, UnparsedReason.TRUNCATED_IP);
        }
        final int version = Bytes.u8(address + offset) >>> 4;
        if (expectedVersion != 0 && version != expectedVersion) {
            return unparsed(packet, UnparsedReason.BAD_VERSION);
        }
        if (version == 4) {
            return ipv4(address + offset, length - offset, offset, packet);
        }
        if (version == 6) {
            return ipv6(address + offset, length - offset, offset, packet);
        }
        return unparsed(packet, UnparsedReason.BAD_VERSION);
    }

    private static int ipv4(final long header, final int captured, final int offset, final DecodedPacket packet) {
        if (captured < IPV4_MIN_HEADER_LENGTH) {
            return unparsed(packet, UnparsedReason.TRUNCATED_IP);
        }
        final int headerLength = (Bytes.u8(header) & 0x0F) << 2;
        final int totalLength = Bytes.u16(header + 2);
        if (headerLength < IPV4_MIN_HEADER_LENGTH || totalLength < headerLength) {
            return unparsed(packet, UnparsedReason.BAD_HEADER_LENGTH);
        }
        packet.networkOffset = offset;
        packet.ipVersion = 4;
        packet.ipLength = totalLength;
        packet.protocol = Bytes.u8(header + 9);
        packet.srcLo = Addresses.IPV4_MAPPED_PREFIX | Bytes.u32(header + 12);
        packet.dstLo = Addresses.IPV4_MAPPED_PREFIX | Bytes.u32(header + 16);

        final int flagsAndOffset = Bytes.u16(header + 6);
        if ((flagsAndOffset & 0x1FFF) != 0) {
            // Only the first fragment carries the transport header; the meter finds its ports from that one.
            packet.fragment = DecodedPacket.LATER_FRAGMENT;
            packet.fragmentId = Bytes.u16(header + 4);
            return IP;
        }
        if ((flagsAndOffset & 0x2000) != 0) {
            packet.fragment = DecodedPacket.FIRST_FRAGMENT;
            packet.fragmentId = Bytes.u16(header + 4);
        }
        // Ethernet pads short frames: never read ports beyond the IP packet itself.
        transport(header + headerLength, Math.min(captured, totalLength) - headerLength, packet);
        return IP;
    }

    private static int ipv6(final long header, final int captured, final int offset, final DecodedPacket packet) {
        if (captured < IPV6_HEADER_LENGTH) {
            return unparsed(packet, UnparsedReason.TRUNCATED_IP);
        }
        packet.networkOffset = offset;
        packet.ipVersion = 6;
        packet.ipLength = IPV6_HEADER_LENGTH + Bytes.u16(header + 4);
        packet.srcHi = Bytes.i64(header + 8);
        packet.srcLo = Bytes.i64(header + 16);
        packet.dstHi = Bytes.i64(header + 24);
        packet.dstLo = Bytes.i64(header + 32);

        int next = Bytes.u8(header + 6);
        long cursor = header + IPV6_HEADER_LENGTH;
        int remaining = Math.min(captured, packet.ipLength) - IPV6_HEADER_LENGTH;
        for (int walked = 0; walked < MAX_EXTENSION_HEADERS; walked++) {
            final int extensionLength;
            switch (next) {
                case PROTO_HOP_BY_HOP:
                case PROTO_ROUTING:
                case PROTO_DESTINATION:
                case PROTO_MOBILITY:
                case PROTO_HIP:
                case PROTO_SHIM6:
                    if (remaining < 8) {
                        packet.protocol = next;
                        return IP;
                    }
                    extensionLength = (Bytes.u8(cursor + 1) + 1) << 3;
                    break;
                case PROTO_AH:
                    if (remaining < 8) {
                        packet.protocol = next;
                        return IP;
                    }
                    extensionLength = (Bytes.u8(cursor + 1) + 2) << 2;
                    break;
                case PROTO_FRAGMENT:
                    if (remaining < 8) {
                        packet.protocol = next;
                        return IP;
                    }
                    final int offsetAndMore = Bytes.u16(cursor + 2);
                    if ((offsetAndMore & 0xFFF8) != 0) {
                        packet.fragment = DecodedPacket.LATER_FRAGMENT;
                        packet.fragmentId = Bytes.u32(cursor + 4);
                        packet.protocol = Bytes.u8(cursor);
                        return IP;
                    }
                    if ((offsetAndMore & 1) != 0) {
                        packet.fragment = DecodedPacket.FIRST_FRAGMENT;
                        packet.fragmentId = Bytes.u32(cursor + 4);
                    }
                    extensionLength = 8;
                    break;
                default:
                    packet.protocol = next;
                    transport(cursor, remaining, packet);
                    return IP;
            }
            next = Bytes.u8(cursor);
            cursor += extensionLength;
            remaining -= extensionLength;
        }
        packet.protocol = next;
        return IP;
    }

    private static void transport(final long header, final int remaining, final DecodedPacket packet) {
        final int protocol = packet.protocol;
        if ((protocol == PROTO_TCP || protocol == PROTO_UDP) && remaining >= 4) {
            packet.srcPort = Bytes.u16(header);
            packet.dstPort = Bytes.u16(header + 2);
        }
    }

    private static int unparsed(final DecodedPacket packet, final int reason) {
        packet.unparsedReason = reason;
        return UNPARSED;
    }
}
