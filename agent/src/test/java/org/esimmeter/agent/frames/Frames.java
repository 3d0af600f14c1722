package org.esimmeter.agent.frames;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * Test-only builders for the headers the decoder reads, written field by field from the RFCs and never from the
 * decoder, so that a test knows every byte and every length in advance. Each builder returns the exact wire bytes
 * of one header followed by the payload parts it is given (none: the header alone), and {@link #cat} glues parts
 * into a frame. Lengths that a header states about what follows (IPv4 total length and IHL, IPv6 payload length,
 * UDP and PPPoE lengths) are computed from the parts given unless a test overrides them to build a malformed frame.
 * Checksums are left zero: neither libpcap nor the decoder looks at them.
 */
public final class Frames {
    public static final int ETHERTYPE_IPV4 = 0x0800;
    public static final int ETHERTYPE_IPV6 = 0x86DD;
    public static final int ETHERTYPE_ARP = 0x0806;
    public static final int ICMP = 1;
    public static final int TCP = 6;
    public static final int UDP = 17;
    public static final int IPV6_FRAGMENT_HEADER = 44;
    /** Linux packet types in cooked headers (if_packet.h). */
    public static final int PACKET_HOST = 0;
    public static final int PACKET_OUTGOING = 4;
    /** The shortest Ethernet frame without FCS (IEEE 802.3): NICs pad shorter ones with zeros. */
    public static final int ETHERNET_MIN_LENGTH = 60;
    /** ff:ff:ff:ff:ff:ff, where an ARP request goes. */
    public static final long BROADCAST_MAC = 0xFFFF_FFFF_FFFFL;

    /** The link-layer address cooked headers carry; the decoder does not read it. */
    private static final byte[] COOKED_ADDRESS = hex("02 00 00 00 00 99 00 00");

    private Frames() {
    }

    // ---- bytes ----

    public static byte[] cat(final byte[]... parts) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    /** Bytes from hex digits; spaces are ignored so that tests can group fields. */
    public static byte[] hex(final String digits) {
        final String compact = digits.replace(" ", "");
        final byte[] bytes = new byte[compact.length() / 2];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) Integer.parseInt(compact.substring(2 * i, 2 * i + 2), 16);
        }
        return bytes;
    }

    public static byte[] zeros(final int length) {
        return new byte[length];
    }

    public static byte[] filled(final int length, final int value) {
        final byte[] bytes = new byte[length];
        Arrays.fill(bytes, (byte) value);
        return bytes;
    }

    public static byte[] u16(final int value) {
        return new byte[] {(byte) (value >>> 8), (byte) value};
    }

    public static byte[] u32(final long value) {
        return new byte[] {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value};
    }

    /** Little-endian, as the NULL link type's address family is written on a little-endian host. */
    public static byte[] u32le(final long value) {
        return new byte[] {(byte) value, (byte) (value >>> 8), (byte) (value >>> 16), (byte) (value >>> 24)};
    }

    /** The first {@code length} bytes of {@code frame}: what a snap length leaves of it. */
    public static byte[] truncate(final byte[] frame, final int length) {
        return Arrays.copyOf(frame, length);
    }

    /** {@code frame} followed by zeros up to {@code minimumLength}; longer frames are returned as they are. */
    public static byte[] pad(final byte[] frame, final int minimumLength) {
        return frame.length >= minimumLength ? frame : Arrays.copyOf(frame, minimumLength);
    }

    // ---- link layers ----

    /** Ethernet II: destination(6) source(6) EtherType(2), MACs written as "02:11:22:33:44:55". */
    public static byte[] ethernet(final String dstMac, final String srcMac, final int etherType,
        final byte[]... payload) {
        return cat(hex(dstMac.replace(":", "")), hex(srcMac.replace(":", "")), u16(etherType), cat(payload));
    }

    /** Ethernet II with MACs as the low 48 bits of a long, as the meter's direction rule holds them. */
    public static byte[] ethernet(final long dstMac, final long srcMac, final int etherType, final byte[]... payload) {
        return cat(mac(dstMac), mac(srcMac), u16(etherType), cat(payload));
    }

    /** Ethernet padded to the 60-byte minimum, as NICs send short frames: the padding is wire, not IP. */
    public static byte[] ethernetPadded(final long dstMac, final long srcMac, final int etherType,
        final byte[]... payload) {
        return pad(ethernet(dstMac, srcMac, etherType, payload), ETHERNET_MIN_LENGTH);
    }

    /** The 4 bytes after an 802.1Q/802.1ad TPID: TCI (PCP, DEI, VLAN id), then the inner EtherType. */
    public static byte[] vlanTag(final int vlanId, final int innerEtherType) {
        return cat(u16(vlanId & 0x0FFF), u16(innerEtherType));
    }

    /** PPPoE session stage (RFC 2516): ver/type 0x11, code 0, session id, length (PPP protocol + payload), protocol. */
    public static byte[] pppoeSession(final int sessionId, final int pppProtocol, final int pppPayloadLength) {
        return cat(hex("11 00"), u16(sessionId), u16(2 + pppPayloadLength), u16(pppProtocol));
    }

    /** PPP in HDLC-like framing (RFC 1662): FF 03 then the two-byte protocol (0x0021 IPv4, 0x0057 IPv6). */
    public static byte[] ppp(final int protocol, final byte[]... payload) {
        return cat(hex("ff 03"), u16(protocol), cat(payload));
    }

    /** Linux cooked v1: packet type, ARPHRD_ETHER, address length 6, 8 address bytes, protocol. */
    public static byte[] sll(final int packetType, final int protocol, final byte[]... payload) {
        return cat(u16(packetType), u16(1), u16(6), COOKED_ADDRESS, u16(protocol), cat(payload));
    }

    /** Linux cooked v2: protocol, reserved, ifindex, ARPHRD_ETHER, packet type, address length, 8 address bytes. */
    public static byte[] sll2(final int protocol, final long ifIndex, final int packetType, final byte[]... payload) {
        return cat(u16(protocol), u16(0), u32(ifIndex), u16(1), new byte[] {(byte) packetType, 6}, COOKED_ADDRESS,
            cat(payload));
    }

    /** ARP request (RFC 826) for IPv4 over Ethernet: sender MAC and address, target MAC unknown (zeros). */
    public static byte[] arpRequest(final long senderMac, final String senderIp, final String targetIp) {
        return cat(u16(1), u16(ETHERTYPE_IPV4), new byte[] {6, 4}, u16(1), mac(senderMac), address(senderIp, 4),
            zeros(6), address(targetIp, 4));
    }

    // ---- transport ----

    /** TCP header without options: ports, sequence, ack, data offset 5, flags ACK, window; then the payload. */
    public static byte[] tcp(final int srcPort, final int dstPort, final byte[]... payload) {
        return cat(u16(srcPort), u16(dstPort), u32(0x01020304L), u32(0x05060708L), hex("50 10"), u16(0xFFFF),
            hex("00 00 00 00"), cat(payload));
    }

    /** A TCP segment carrying {@code payloadLength} zero bytes. */
    public static byte[] tcp(final int srcPort, final int dstPort, final int payloadLength) {
        return tcp(srcPort, dstPort, zeros(payloadLength));
    }

    /** UDP header (RFC 768) with its length computed from the payload, then the payload. */
    public static byte[] udp(final int srcPort, final int dstPort, final byte[] payload) {
        return cat(u16(srcPort), u16(dstPort), u16(8 + payload.length), hex("00 00"), payload);
    }

    /** A UDP datagram carrying {@code payloadLength} zero bytes. */
    public static byte[] udp(final int srcPort, final int dstPort, final int payloadLength) {
        return udp(srcPort, dstPort, zeros(payloadLength));
    }

    // ---- IPv6 extension headers ----

    /** Hop-by-hop, routing or destination options: next header, length in 8-octet units beyond the first, PadN. */
    public static byte[] extension(final int nextHeader, final int extraUnits) {
        final byte[] header = new byte[(extraUnits + 1) * 8];
        header[0] = (byte) nextHeader;
        header[1] = (byte) extraUnits;
        header[2] = 1;                              // PadN option covering the rest
        header[3] = (byte) (header.length - 4);
        return header;
    }

    /** Fragment header (RFC 8200 4.5): offset in 8-octet units, M flag, 32-bit identification. */
    public static byte[] fragment(final int nextHeader, final int offsetUnits, final boolean more, final long id) {
        return cat(new byte[] {(byte) nextHeader, 0}, u16((offsetUnits << 3) | (more ? 1 : 0)), u32(id));
    }

    // ---- network ----

    public static Ipv4 ipv4(final int protocol, final String src, final String dst) {
        return new Ipv4(protocol, address(src, 4), address(dst, 4));
    }

    public static Ipv6 ipv6(final int nextHeader, final String src, final String dst) {
        return new Ipv6(nextHeader, address(src, 16), address(dst, 16));
    }

    /** IPv4 header (RFC 791) with a payload; total length and IHL follow from the parts unless overridden. */
    public static final class Ipv4 {
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

        public Ipv4 options(final byte[] options) {
            this.options = options;
            return this;
        }

        public Ipv4 payload(final byte[]... parts) {
            this.payload = cat(parts);
            return this;
        }

        public Ipv4 id(final int id) {
            this.id = id;
            return this;
        }

        /** Fragment offset in 8-octet units and the MF flag; DF is cleared. */
        public Ipv4 fragment(final int offsetUnits, final boolean more) {
            return flagsAndOffset((more ? 0x2000 : 0) | offsetUnits);
        }

        /** Flags and fragment offset as on the wire: 0x4000 DF, 0x2000 MF, low 13 bits the offset in 8 octets. */
        public Ipv4 flagsAndOffset(final int flagsAndOffset) {
            this.flagsAndOffset = flagsAndOffset;
            return this;
        }

        public Ipv4 ihl(final int ihl) {
            this.ihlOverride = ihl;
            return this;
        }

        public Ipv4 totalLength(final int totalLength) {
            this.totalLengthOverride = totalLength;
            return this;
        }

        public byte[] build() {
            final int headerLength = 20 + options.length;
            final int ihl = ihlOverride >= 0 ? ihlOverride : headerLength / 4;
            final int totalLength = totalLengthOverride >= 0 ? totalLengthOverride : headerLength + payload.length;
            return cat(new byte[] {(byte) (0x40 | ihl), 0}, u16(totalLength), u16(id), u16(flagsAndOffset),
                new byte[] {64, (byte) protocol}, hex("00 00"), src, dst, options, payload);
        }
    }

    /** IPv6 fixed header (RFC 8200) with a payload that may begin with extension headers. */
    public static final class Ipv6 {
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

        public Ipv6 payload(final byte[]... parts) {
            this.payload = cat(parts);
            return this;
        }

        public Ipv6 payloadLength(final int payloadLength) {
            this.payloadLengthOverride = payloadLength;
            return this;
        }

        public byte[] build() {
            final int payloadLength = payloadLengthOverride >= 0 ? payloadLengthOverride : payload.length;
            return cat(hex("60 00 00 00"), u16(payloadLength), new byte[] {(byte) nextHeader, 64}, src, dst, payload);
        }
    }

    private static byte[] mac(final long mac) {
        final byte[] bytes = new byte[6];
        for (int i = 0; i < 6; i++) {
            bytes[i] = (byte) (mac >>> (40 - 8 * i));
        }
        return bytes;
    }

    /** An address literal (never a host name, so no lookup happens) in {@code length} bytes. */
    private static byte[] address(final String literal, final int length) {
        final byte[] bytes;
        try {
            bytes = InetAddress.getByName(literal).getAddress();
        } catch (final UnknownHostException e) {
            throw new IllegalArgumentException("address : " + literal, e);
        }
        if (bytes.length == 4 && length == 16) {
            // Java turns "::ffff:a.b.c.d" into an IPv4 address; an IPv6 header carries it mapped.
            final byte[] mapped = new byte[16];
            mapped[10] = (byte) 0xFF;
            mapped[11] = (byte) 0xFF;
            System.arraycopy(bytes, 0, mapped, 12, 4);
            return mapped;
        }
        if (bytes.length != length) {
            throw new IllegalArgumentException("address : " + literal + " (expected: " + length + " bytes)");
        }
        return bytes;
    }
}
