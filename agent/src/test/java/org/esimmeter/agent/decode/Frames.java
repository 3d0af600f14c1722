package org.esimmeter.agent.decode;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Test-only builders for the headers the decoder reads, written from the RFCs rather than from the decoder: each
 * returns the exact wire bytes of one header, and {@link #cat} glues them into a frame. Lengths that a header
 * states about what follows (IPv4 total length, IPv6 payload length, UDP length) are computed from the parts given
 * unless a test overrides them to build a malformed frame.
 */
final class Frames {
    static final int TCP = 6;
    static final int UDP = 17;

    private Frames() {
    }

    static byte[] cat(final byte[]... parts) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    /** Bytes from hex digits; spaces are ignored so that tests can group fields. */
    static byte[] hex(final String digits) {
        final String compact = digits.replace(" ", "");
        final byte[] bytes = new byte[compact.length() / 2];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) Integer.parseInt(compact.substring(2 * i, 2 * i + 2), 16);
        }
        return bytes;
    }

    static byte[] zeros(final int length) {
        return new byte[length];
    }

    static byte[] filled(final int length, final int value) {
        final byte[] bytes = new byte[length];
        java.util.Arrays.fill(bytes, (byte) value);
        return bytes;
    }

    /** An address literal (never a host name, so no lookup happens). */
    static byte[] addr(final String literal) {
        try {
            return InetAddress.getByName(literal).getAddress();
        } catch (final UnknownHostException e) {
            throw new IllegalArgumentException("address : " + literal, e);
        }
    }

    static byte[] u16(final int value) {
        return new byte[] {(byte) (value >>> 8), (byte) value};
    }

    static byte[] u32(final long value) {
        return new byte[] {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value};
    }

    static byte[] u32le(final long value) {
        return new byte[] {(byte) value, (byte) (value >>> 8), (byte) (value >>> 16), (byte) (value >>> 24)};
    }

    // ---- link layers ----

    /** Ethernet II: destination(6) source(6) EtherType(2). */
    static byte[] ethernet(final String dstMac, final String srcMac, final int etherType) {
        return cat(hex(dstMac.replace(":", "")), hex(srcMac.replace(":", "")), u16(etherType));
    }

    /** The 4 bytes after an 802.1Q/802.1ad TPID: TCI (PCP, DEI, VLAN id), then the inner EtherType. */
    static byte[] vlanTag(final int vlanId, final int innerEtherType) {
        return cat(u16(vlanId & 0x0FFF), u16(innerEtherType));
    }

    /** PPPoE session stage (RFC 2516): ver/type 0x11, code 0, session id, length (PPP protocol + payload), protocol. */
    static byte[] pppoeSession(final int sessionId, final int pppProtocol, final int pppPayloadLength) {
        return cat(hex("11 00"), u16(sessionId), u16(2 + pppPayloadLength), u16(pppProtocol));
    }

    /** Linux cooked v1: packet type, ARPHRD, address length, 8 address bytes, protocol. */
    static byte[] sll(final int packetType, final int protocol) {
        return cat(u16(packetType), u16(1), u16(6), hex("02 00 00 00 00 99 00 00"), u16(protocol));
    }

    /** Linux cooked v2: protocol, reserved, ifindex, ARPHRD, packet type, address length, 8 address bytes. */
    static byte[] sll2(final int protocol, final long ifIndex, final int packetType) {
        return cat(u16(protocol), u16(0), u32(ifIndex), u16(1), new byte[] {(byte) packetType, 6},
            hex("02 00 00 00 00 99 00 00"));
    }

    // ---- transport ----

    /** TCP header without options: ports, sequence, ack, data offset 5, flags ACK, window. */
    static byte[] tcp(final int srcPort, final int dstPort) {
        return cat(u16(srcPort), u16(dstPort), u32(0x01020304L), u32(0x05060708L), hex("50 10"), u16(0xFFFF),
            hex("00 00 00 00"));
    }

    static byte[] udp(final int srcPort, final int dstPort, final byte[] payload) {
        return cat(u16(srcPort), u16(dstPort), u16(8 + payload.length), hex("00 00"), payload);
    }

    // ---- IPv6 extension headers ----

    /** Hop-by-hop, routing or destination options: next header, length in 8-octet units beyond the first, PadN. */
    static byte[] extension(final int nextHeader, final int extraUnits) {
        final byte[] header = new byte[(extraUnits + 1) * 8];
        header[0] = (byte) nextHeader;
        header[1] = (byte) extraUnits;
        header[2] = 1;                              // PadN option covering the rest
        header[3] = (byte) (header.length - 4);
        return header;
    }

    /** Fragment header (RFC 8200 4.5): offset in 8-octet units, M flag, 32-bit identification. */
    static byte[] fragment(final int nextHeader, final int offsetUnits, final boolean more, final long id) {
        return cat(new byte[] {(byte) nextHeader, 0}, u16((offsetUnits << 3) | (more ? 1 : 0)), u32(id));
    }

    // ---- network ----

    static Ipv4 ipv4(final int protocol, final String src, final String dst) {
        return new Ipv4(protocol, addr(src), addr(dst));
    }

    static Ipv6 ipv6(final int nextHeader, final String src, final String dst) {
        return new Ipv6(nextHeader, addr(src), addr(dst));
    }

    /** IPv4 header (RFC 791) with a payload; total length and IHL follow from the parts unless overridden. */
    static final class Ipv4 {
        private final int protocol;
        private final byte[] src;
        private final byte[] dst;
        private byte[] options = new byte[0];
        private byte[] payload = new byte[0];
        private int id = 0x4242;
        private int flagsAndOffset = 0x4000;        // DF, as most traffic is sent
        private int ihlOverride = -1;
        private int totalLengthOverride = -1;

        private Ipv4(final int protocol, final byte[] src, final byte[] dst) {
            this.protocol = protocol;
            this.src = src;
            this.dst = dst;
        }

        Ipv4 options(final byte[] options) {
            this.options = options;
            return this;
        }

        Ipv4 payload(final byte[]... parts) {
            this.payload = cat(parts);
            return this;
        }

        Ipv4 id(final int id) {
            this.id = id;
            return this;
        }

        /** Fragment offset in 8-octet units and the MF flag; DF is cleared. */
        Ipv4 fragment(final int offsetUnits, final boolean more) {
            this.flagsAndOffset = (more ? 0x2000 : 0) | offsetUnits;
            return this;
        }

        Ipv4 ihl(final int ihl) {
            this.ihlOverride = ihl;
            return this;
        }

        Ipv4 totalLength(final int totalLength) {
            this.totalLengthOverride = totalLength;
            return this;
        }

        byte[] build() {
            final int headerLength = 20 + options.length;
            final int ihl = ihlOverride >= 0 ? ihlOverride : headerLength / 4;
            final int totalLength = totalLengthOverride >= 0 ? totalLengthOverride : headerLength + payload.length;
            return cat(new byte[] {(byte) (0x40 | ihl), 0}, u16(totalLength), u16(id), u16(flagsAndOffset),
                new byte[] {64, (byte) protocol}, hex("00 00"), src, dst, options, payload);
        }
    }

    /** IPv6 fixed header (RFC 8200) with a payload that may begin with extension headers. */
    static final class Ipv6 {
        private final int nextHeader;
        private final byte[] src;
        private final byte[] dst;
        private byte[] payload = new byte[0];
        private int payloadLengthOverride = -1;

        private Ipv6(final int nextHeader, final byte[] src, final byte[] dst) {
            this.nextHeader = nextHeader;
            this.src = src;
            this.dst = dst;
        }

        Ipv6 payload(final byte[]... parts) {
            this.payload = cat(parts);
            return this;
        }

        Ipv6 payloadLength(final int payloadLength) {
            this.payloadLengthOverride = payloadLength;
            return this;
        }

        byte[] build() {
            final int payloadLength = payloadLengthOverride >= 0 ? payloadLengthOverride : payload.length;
            return cat(hex("60 00 00 00"), u16(payloadLength), new byte[] {(byte) nextHeader, 64}, src, dst, payload);
        }
    }
}
