package org.esimmeter.agent.meter;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;

/**
 * Crafted frames as bytes, built field by field from the RFCs so that tests know every length in advance.
 * Checksums are left zero: neither libpcap nor the decoder looks at them.
 */
public final class CraftedFrames {
    public static final int ETHERTYPE_IPV4 = 0x0800;
    public static final int ETHERTYPE_IPV6 = 0x86DD;
    public static final int ETHERTYPE_ARP = 0x0806;
    public static final int ETHERTYPE_VLAN = 0x8100;
    public static final int TCP = 6;
    public static final int UDP = 17;
    public static final int ICMP = 1;
    public static final int IPV6_FRAGMENT_HEADER = 44;
    /** Linux packet types in cooked headers (if_packet.h). */
    public static final int PACKET_HOST = 0;
    public static final int PACKET_OUTGOING = 4;

    private CraftedFrames() {
    }

    public static byte[] ethernet(final long dstMac, final long srcMac, final int etherType, final byte[] payload) {
        final ByteBuffer frame = ByteBuffer.allocate(14 + payload.length);
        putMac(frame, dstMac);
        putMac(frame, srcMac);
        frame.putShort((short) etherType);
        frame.put(payload);
        return frame.array();
    }

    /** Ethernet padded to the 60-byte minimum, as NICs send short frames: the padding is wire, not IP. */
    public static byte[] ethernetPadded(final long dstMac, final long srcMac, final int etherType,
        final byte[] payload) {
        final byte[] frame = ethernet(dstMac, srcMac, etherType, payload);
        if (frame.length >= 60) {
            return frame;
        }
        final byte[] padded = new byte[60];
        System.arraycopy(frame, 0, padded, 0, frame.length);
        return padded;
    }

    /** Linux cooked v1: packet type, ARPHRD_ETHER, address length 6, address, protocol. */
    public static byte[] sll(final int packetType, final int protocol, final byte[] payload) {
        final ByteBuffer frame = ByteBuffer.allocate(16 + payload.length);
        frame.putShort((short) packetType);
        frame.putShort((short) 1);
        frame.putShort((short) 6);
        frame.put(new byte[] {2, 0, 0, 0, 0, 1, 0, 0});
        frame.putShort((short) protocol);
        frame.put(payload);
        return frame.array();
    }

    /** Linux cooked v2: protocol, reserved, interface index, ARPHRD_ETHER, packet type, address length, address. */
    public static byte[] sll2(final int protocol, final int ifIndex, final int packetType, final byte[] payload) {
        final ByteBuffer frame = ByteBuffer.allocate(20 + payload.length);
        frame.putShort((short) protocol);
        frame.putShort((short) 0);
        frame.putInt(ifIndex);
        frame.putShort((short) 1);
        frame.put((byte) packetType);
        frame.put((byte) 6);
        frame.put(new byte[] {2, 0, 0, 0, 0, 1, 0, 0});
        frame.put(payload);
        return frame.array();
    }

    /** PPP in HDLC-like framing: FF 03 then the two-byte protocol (0x0021 IPv4, 0x0057 IPv6). */
    public static byte[] ppp(final int protocol, final byte[] payload) {
        final ByteBuffer frame = ByteBuffer.allocate(4 + payload.length);
        frame.put((byte) 0xFF).put((byte) 0x03).putShort((short) protocol);
        frame.put(payload);
        return frame.array();
    }

    /** IPv4 without options; {@code flagsAndOffset} as on the wire (0x2000 = more fragments, low 13 bits offset/8). */
    public static byte[] ipv4(final int protocol, final String src, final String dst, final int id,
        final int flagsAndOffset, final byte[] payload) {
        final ByteBuffer packet = ByteBuffer.allocate(20 + payload.length);
        packet.put((byte) 0x45).put((byte) 0);
        packet.putShort((short) (20 + payload.length));
        packet.putShort((short) id);
        packet.putShort((short) flagsAndOffset);
        packet.put((byte) 64).put((byte) protocol).putShort((short) 0);
        packet.put(address(src, 4)).put(address(dst, 4));
        packet.put(payload);
        return packet.array();
    }

    public static byte[] ipv4(final int protocol, final String src, final String dst, final byte[] payload) {
        return ipv4(protocol, src, dst, 0, 0x4000, payload);
    }

    /** IPv6; {@code payload} starts with any extension headers, announced by {@code nextHeader}. */
    public static byte[] ipv6(final int nextHeader, final String src, final String dst, final byte[] payload) {
        final ByteBuffer packet = ByteBuffer.allocate(40 + payload.length);
        packet.putInt(0x6000_0000);
        packet.putShort((short) payload.length);
        packet.put((byte) nextHeader).put((byte) 64);
        packet.put(address(src, 16)).put(address(dst, 16));
        packet.put(payload);
        return packet.array();
    }

    /** IPv6 fragment extension header (RFC 8200 4.5) followed by {@code payload}. */
    public static byte[] ipv6Fragment(final int nextHeader, final int offsetUnits, final boolean more, final long id,
        final byte[] payload) {
        final ByteBuffer header = ByteBuffer.allocate(8 + payload.length);
        header.put((byte) nextHeader).put((byte) 0);
        header.putShort((short) ((offsetUnits << 3) | (more ? 1 : 0)));
        header.putInt((int) id);
        header.put(payload);
        return header.array();
    }

    public static byte[] udp(final int srcPort, final int dstPort, final int payloadLength) {
        final ByteBuffer datagram = ByteBuffer.allocate(8 + payloadLength);
        datagram.putShort((short) srcPort).putShort((short) dstPort);
        datagram.putShort((short) (8 + payloadLength)).putShort((short) 0);
        return datagram.array();
    }

    public static byte[] tcp(final int srcPort, final int dstPort, final int payloadLength) {
        final ByteBuffer segment = ByteBuffer.allocate(20 + payloadLength);
        segment.putShort((short) srcPort).putShort((short) dstPort);
        segment.putInt(1).putInt(0);
        segment.put((byte) 0x50).put((byte) 0x18).putShort((short) 65535);
        return segment.array();
    }

    public static byte[] bytes(final int length) {
        return new byte[length];
    }

    public static byte[] concat(final byte[]... parts) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    public static byte[] truncate(final byte[] frame, final int length) {
        final byte[] cut = new byte[length];
        System.arraycopy(frame, 0, cut, 0, length);
        return cut;
    }

    private static void putMac(final ByteBuffer frame, final long mac) {
        for (int shift = 40; shift >= 0; shift -= 8) {
            frame.put((byte) (mac >>> shift));
        }
    }

    private static byte[] address(final String text, final int length) {
        try {
            final byte[] bytes = InetAddress.getByName(text).getAddress();
            if (bytes.length == 4 && length == 16) {
                // Java turns "::ffff:a.b.c.d" into an IPv4 address; an IPv6 header carries it mapped.
                return new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xFF, (byte) 0xFF,
                    bytes[0], bytes[1], bytes[2], bytes[3]};
            }
            if (bytes.length != length) {
                throw new IllegalArgumentException("address : " + text + " (expected: " + length + " bytes)");
            }
            return bytes;
        } catch (final UnknownHostException e) {
            throw new IllegalArgumentException("address : " + text, e);
        }
    }
}
