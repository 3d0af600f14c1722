package org.esimmeter.agent.decode;

import org.esimmeter.agent.frames.NativeFrames;
import org.esimmeter.wire.Direction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.stream.Stream;

import static org.esimmeter.agent.frames.Frames.cat;
import static org.esimmeter.agent.frames.Frames.ethernet;
import static org.esimmeter.agent.frames.Frames.extension;
import static org.esimmeter.agent.frames.Frames.filled;
import static org.esimmeter.agent.frames.Frames.fragment;
import static org.esimmeter.agent.frames.Frames.hex;
import static org.esimmeter.agent.frames.Frames.ipv4;
import static org.esimmeter.agent.frames.Frames.ipv6;
import static org.esimmeter.agent.frames.Frames.pppoeSession;
import static org.esimmeter.agent.frames.Frames.sll;
import static org.esimmeter.agent.frames.Frames.sll2;
import static org.esimmeter.agent.frames.Frames.tcp;
import static org.esimmeter.agent.frames.Frames.u32;
import static org.esimmeter.agent.frames.Frames.u32le;
import static org.esimmeter.agent.frames.Frames.udp;
import static org.esimmeter.agent.frames.Frames.vlanTag;
import static org.esimmeter.agent.frames.Frames.zeros;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The decoder on crafted frames: every link type it supports, every header case the meter depends on, and every
 * truncation of a valid frame. Expected values are written out by hand from the frame bytes (addresses as the
 * 64-bit halves of their 128-bit form, IPv4 as ::ffff:a.b.c.d), never taken from the decoder.
 */
class PacketDecoderTest {
    // 10.0.0.1 -> 198.51.100.7, IPv4-mapped.
    static final long V4_SRC = 0x0000_FFFF_0A00_0001L;
    static final long V4_DST = 0x0000_FFFF_C633_6407L;
    // 2001:db8::1 -> 2001:db8:85a3::8a2e:370:7334.
    static final long V6_SRC_HI = 0x2001_0DB8_0000_0000L;
    static final long V6_SRC_LO = 0x0000_0000_0000_0001L;
    static final long V6_DST_HI = 0x2001_0DB8_85A3_0000L;
    static final long V6_DST_LO = 0x0000_8A2E_0370_7334L;

    static final String ROUTER_MAC = "02:11:22:33:44:55";
    static final long ROUTER_MAC_BITS = 0x0211_2233_4455L;
    static final String PEER_MAC = "02:aa:bb:cc:dd:ee";

    /** 10.0.0.1:51970 -> 198.51.100.7:443, TCP, 40 bytes. */
    static byte[] ipv4Tcp() {
        return ipv4(6, "10.0.0.1", "198.51.100.7").payload(tcp(51970, 443)).build();
    }

    /** [2001:db8::1]:5353 -> [2001:db8:85a3::8a2e:370:7334]:53, UDP with 4 payload bytes, 52 bytes. */
    static byte[] ipv6Udp() {
        return ipv6(17, "2001:db8::1", "2001:db8:85a3::8a2e:370:7334").payload(udp(5353, 53, zeros(4))).build();
    }

    private final NativeFrames frame = NativeFrames.slot(4096);
    private final PacketDecoder decoder = new PacketDecoder();
    private final DecodedPacket packet = new DecodedPacket();

    /** Places the frame in direct memory followed by bytes that would look like ports if they were read. */
    private int decode(final int linkType, final byte[] bytes) {
        frame.put(bytes, 0xA5);
        return decoder.decode(linkType, frame.address(0), bytes.length, packet);
    }

    private void assertIpv4Tcp(final int status, final int networkOffset) {
        assertAll(
            () -> assertEquals(PacketDecoder.IP, status, "status"),
            () -> assertEquals(4, packet.ipVersion(), "ipVersion"),
            () -> assertEquals(6, packet.protocol(), "protocol"),
            () -> assertEquals(0L, packet.srcHi(), "srcHi"),
            () -> assertEquals(V4_SRC, packet.srcLo(), "srcLo"),
            () -> assertEquals(0L, packet.dstHi(), "dstHi"),
            () -> assertEquals(V4_DST, packet.dstLo(), "dstLo"),
            () -> assertEquals(51970, packet.srcPort(), "srcPort"),
            () -> assertEquals(443, packet.dstPort(), "dstPort"),
            () -> assertEquals(40, packet.ipLength(), "ipLength"),
            () -> assertEquals(DecodedPacket.NOT_FRAGMENT, packet.fragment(), "fragment"),
            () -> assertEquals(networkOffset, packet.networkOffset(), "networkOffset"),
            () -> assertEquals(UnparsedReason.NONE, packet.unparsedReason(), "unparsedReason"));
    }

    private void assertIpv6Udp(final int status, final int networkOffset) {
        assertAll(
            () -> assertEquals(PacketDecoder.IP, status, "status"),
            () -> assertEquals(6, packet.ipVersion(), "ipVersion"),
            () -> assertEquals(17, packet.protocol(), "protocol"),
            () -> assertEquals(V6_SRC_HI, packet.srcHi(), "srcHi"),
            () -> assertEquals(V6_SRC_LO, packet.srcLo(), "srcLo"),
            () -> assertEquals(V6_DST_HI, packet.dstHi(), "dstHi"),
            () -> assertEquals(V6_DST_LO, packet.dstLo(), "dstLo"),
            () -> assertEquals(5353, packet.srcPort(), "srcPort"),
            () -> assertEquals(53, packet.dstPort(), "dstPort"),
            () -> assertEquals(52, packet.ipLength(), "ipLength"),
            () -> assertEquals(DecodedPacket.NOT_FRAGMENT, packet.fragment(), "fragment"),
            () -> assertEquals(networkOffset, packet.networkOffset(), "networkOffset"),
            () -> assertEquals(UnparsedReason.NONE, packet.unparsedReason(), "unparsedReason"));
    }

    private void assertLink(final int direction, final long sourceMac, final int ifIndex) {
        assertAll(
            () -> assertEquals(direction, packet.linkDirection(), "linkDirection"),
            () -> assertEquals(sourceMac, packet.sourceMac(), "sourceMac"),
            () -> assertEquals(ifIndex, packet.ifIndex(), "ifIndex"));
    }

    private void assertUnparsed(final int status, final int reason) {
        assertAll(
            () -> assertEquals(PacketDecoder.UNPARSED, status, "status"),
            () -> assertEquals(reason, packet.unparsedReason(), "unparsedReason"),
            () -> assertEquals(0, packet.ipVersion(), "ipVersion"));
    }

    private void assertNonIp(final int status) {
        assertAll(
            () -> assertEquals(PacketDecoder.NON_IP, status, "status"),
            () -> assertEquals(UnparsedReason.NONE, packet.unparsedReason(), "unparsedReason"),
            () -> assertEquals(0, packet.ipVersion(), "ipVersion"),
            () -> assertEquals(-1, packet.networkOffset(), "networkOffset"));
    }

    // ---------------------------------------------------------------- EN10MB

    @Test
    void shouldDecodeEthernetIpv4Tcp() {
        assertIpv4Tcp(decode(1, cat(ethernet(PEER_MAC, ROUTER_MAC, 0x0800), ipv4Tcp())), 14);
        assertLink(Direction.UNKNOWN, ROUTER_MAC_BITS, 0);
    }

    @Test
    void shouldDecodeEthernetIpv6Udp() {
        assertIpv6Udp(decode(1, cat(ethernet(PEER_MAC, ROUTER_MAC, 0x86DD), ipv6Udp())), 14);
        assertLink(Direction.UNKNOWN, ROUTER_MAC_BITS, 0);
    }

    @Test
    void shouldSkipOne8021qTag() {
        assertIpv4Tcp(decode(1, cat(ethernet(PEER_MAC, ROUTER_MAC, 0x8100), vlanTag(100, 0x0800), ipv4Tcp())), 18);
        assertLink(Direction.UNKNOWN, ROUTER_MAC_BITS, 0);
    }

    @Test
    void shouldSkipQinqTags() {
        assertIpv6Udp(decode(1, cat(ethernet(PEER_MAC, ROUTER_MAC, 0x88A8), vlanTag(10, 0x8100), vlanTag(200, 0x86DD),
            ipv6Udp())), 22);
        assertIpv4Tcp(decode(1, cat(ethernet(PEER_MAC, ROUTER_MAC, 0x9100), vlanTag(10, 0x8100), vlanTag(200, 0x0800),
            ipv4Tcp())), 22);
    }

    @Test
    void shouldDecodePppoeSessionCarryingIpv4() {
        final byte[] ip = ipv4Tcp();
        assertIpv4Tcp(decode(1, cat(ethernet(PEER_MAC, ROUTER_MAC, 0x8864), pppoeSession(0x1234, 0x0021, ip.length),
            ip)), 22);
        assertLink(Direction.UNKNOWN, ROUTER_MAC_BITS, 0);
    }

    @Test
    void shouldDecodePppoeSessionCarryingIpv6() {
        final byte[] ip = ipv6Udp();
        assertIpv6Udp(decode(1, cat(ethernet(PEER_MAC, ROUTER_MAC, 0x8864), pppoeSession(0x1234, 0x0057, ip.length),
            ip)), 22);
    }

    @Test
    void shouldDecodePppoeSessionInsideVlan() {
        final byte[] ip = ipv4Tcp();
        assertIpv4Tcp(decode(1, cat(ethernet(PEER_MAC, ROUTER_MAC, 0x8100), vlanTag(7, 0x8864),
            pppoeSession(1, 0x0021, ip.length), ip)), 26);
    }

    @Test
    void shouldReportPppoeControlAsNonIp() {
        // LCP echo inside a PPPoE session: billed link traffic, but no IP header to attribute it to.
        assertNonIp(decode(1, cat(ethernet(PEER_MAC, ROUTER_MAC, 0x8864), pppoeSession(1, 0xC021, 8),
            hex("09 01 00 08 00 00 00 00"))));
        assertEquals(ROUTER_MAC_BITS, packet.sourceMac());
    }

    @Test
    void shouldReportArpAndLldpAsNonIp() {
        final byte[] arp = hex("0001 0800 06 04 0001 021122334455 0a000001 000000000000 0a000002");
        assertNonIp(decode(1, cat(ethernet("ff:ff:ff:ff:ff:ff", ROUTER_MAC, 0x0806), arp, zeros(18))));
        assertLink(Direction.UNKNOWN, ROUTER_MAC_BITS, 0);

        assertNonIp(decode(1, cat(ethernet("01:80:c2:00:00:0e", ROUTER_MAC, 0x88CC), hex("0207 04 021122334455"),
            zeros(37))));
        assertNonIp(decode(1, cat(ethernet("ff:ff:ff:ff:ff:ff", ROUTER_MAC, 0x8100), vlanTag(5, 0x0806), arp)));
    }

    // ---------------------------------------------------------------- raw IP

    @ParameterizedTest(name = "DLT {0}")
    @ValueSource(ints = {12, 14, 101})
    void shouldDispatchRawIpOnTheVersionNibble(final int linkType) {
        assertIpv4Tcp(decode(linkType, ipv4Tcp()), 0);
        assertLink(Direction.UNKNOWN, -1L, 0);
        assertIpv6Udp(decode(linkType, ipv6Udp()), 0);
        assertLink(Direction.UNKNOWN, -1L, 0);

        final byte[] version5 = ipv4Tcp();
        version5[0] = 0x55;
        assertUnparsed(decode(linkType, version5), UnparsedReason.BAD_VERSION);
    }

    @Test
    void shouldDecodeLinkTypeIpv4AndRejectAnotherVersion() {
        assertIpv4Tcp(decode(228, ipv4Tcp()), 0);
        assertUnparsed(decode(228, ipv6Udp()), UnparsedReason.BAD_VERSION);
    }

    @Test
    void shouldDecodeLinkTypeIpv6AndRejectAnotherVersion() {
        assertIpv6Udp(decode(229, ipv6Udp()), 0);
        assertUnparsed(decode(229, ipv4Tcp()), UnparsedReason.BAD_VERSION);
    }

    // ---------------------------------------------------------------- Linux cooked

    @Test
    void shouldTakeDirectionFromLinuxCookedPacketType() {
        assertIpv4Tcp(decode(113, cat(sll(4, 0x0800), ipv4Tcp())), 16);   // PACKET_OUTGOING
        assertLink(Direction.UP, -1L, 0);
        for (int incoming = 0; incoming <= 3; incoming++) {  // HOST, BROADCAST, MULTICAST, OTHERHOST
            assertIpv6Udp(decode(113, cat(sll(incoming, 0x86DD), ipv6Udp())), 16);
            assertLink(Direction.DOWN, -1L, 0);
        }
    }

    @Test
    void shouldFollowVlanInsideLinuxCooked() {
        assertIpv4Tcp(decode(113, cat(sll(4, 0x8100), vlanTag(3, 0x0800), ipv4Tcp())), 20);
        assertLink(Direction.UP, -1L, 0);
    }

    @Test
    void shouldReportLinuxCookedArpAsNonIpWithItsDirection() {
        assertNonIp(decode(113, cat(sll(0, 0x0806), hex("0001 0800 06 04 0002"), zeros(20))));
        assertLink(Direction.DOWN, -1L, 0);
    }

    @Test
    void shouldTakeIfIndexAndDirectionFromLinuxCookedV2() {
        assertIpv4Tcp(decode(276, cat(sll2(0x0800, 7, 4), ipv4Tcp())), 20);
        assertLink(Direction.UP, -1L, 7);
        assertIpv6Udp(decode(276, cat(sll2(0x86DD, 0x0102_0304L, 0), ipv6Udp())), 20);
        assertLink(Direction.DOWN, -1L, 0x0102_0304);
        assertNonIp(decode(276, cat(sll2(0x0806, 3, 1), hex("0001 0800 06 04 0001"), zeros(20))));
        assertLink(Direction.DOWN, -1L, 3);
    }

    // ---------------------------------------------------------------- BSD loopback

    @Test
    void shouldReadNullFamilyInEitherByteOrder() {
        assertIpv4Tcp(decode(0, cat(u32le(2), ipv4Tcp())), 4);
        assertIpv4Tcp(decode(0, cat(u32(2), ipv4Tcp())), 4);
        for (final int inet6 : new int[] {10, 24, 28, 30}) {
            assertIpv6Udp(decode(0, cat(u32le(inet6), ipv6Udp())), 4);
            assertIpv6Udp(decode(0, cat(u32(inet6), ipv6Udp())), 4);
        }
        assertNonIp(decode(0, cat(u32le(7), ipv4Tcp())));
    }

    @Test
    void shouldReadLoopFamilyInNetworkOrderOnly() {
        assertIpv4Tcp(decode(108, cat(u32(2), ipv4Tcp())), 4);
        for (final int inet6 : new int[] {10, 24, 28, 30}) {
            assertIpv6Udp(decode(108, cat(u32(inet6), ipv6Udp())), 4);
        }
        // LOOP is defined as network order: a little-endian 2 is family 0x02000000, which is nothing we know.
        assertNonIp(decode(108, cat(u32le(2), ipv4Tcp())));
    }

    @Test
    void shouldReportIpv4UnderAnInet6FamilyAsBadVersion() {
        assertUnparsed(decode(0, cat(u32le(30), ipv4Tcp())), UnparsedReason.BAD_VERSION);
    }

    // ---------------------------------------------------------------- PPP

    @ParameterizedTest(name = "DLT {0}")
    @ValueSource(ints = {9, 50})
    void shouldDecodePppWithAndWithoutAddressControlAndWithCompressedProtocol(final int linkType) {
        assertIpv4Tcp(decode(linkType, cat(hex("ff 03 00 21"), ipv4Tcp())), 4);
        assertIpv4Tcp(decode(linkType, cat(hex("00 21"), ipv4Tcp())), 2);
        assertIpv4Tcp(decode(linkType, cat(hex("21"), ipv4Tcp())), 1);
        assertIpv4Tcp(decode(linkType, cat(hex("ff 03 21"), ipv4Tcp())), 3);
        assertIpv6Udp(decode(linkType, cat(hex("ff 03 00 57"), ipv6Udp())), 4);
        assertIpv6Udp(decode(linkType, cat(hex("00 57"), ipv6Udp())), 2);
        assertIpv6Udp(decode(linkType, cat(hex("57"), ipv6Udp())), 1);
        assertLink(Direction.UNKNOWN, -1L, 0);
        assertNonIp(decode(linkType, cat(hex("ff 03 c0 21"), hex("01 01 00 04"))));   // LCP configure-request
        assertNonIp(decode(linkType, cat(hex("80 21"), hex("01 01 00 04"))));         // IPCP
    }

    @Test
    void shouldDecodePppOverEthernetLinkType() {
        final byte[] v4 = ipv4Tcp();
        assertIpv4Tcp(decode(51, cat(pppoeSession(9, 0x0021, v4.length), v4)), 8);
        final byte[] v6 = ipv6Udp();
        assertIpv6Udp(decode(51, cat(pppoeSession(9, 0x0057, v6.length), v6)), 8);
        assertNonIp(decode(51, cat(pppoeSession(9, 0xC021, 4), hex("09 01 00 04"))));
    }

    // ---------------------------------------------------------------- IPv4 header cases

    @Test
    void shouldReadPortsAfterIpv4Options() {
        // Router alert (4 bytes), record route with room for two addresses (11 bytes), end of list: IHL 9.
        final byte[] options = cat(hex("94 04 00 00"), hex("07 0b 04"), zeros(8), hex("00"));
        final byte[] ip = ipv4(17, "10.0.0.1", "198.51.100.7").options(options).payload(udp(1194, 4500, zeros(3)))
            .build();
        assertEquals(0x49, ip[0] & 0xFF, "the frame under test has IHL 9");
        final int status = decode(101, ip);
        assertAll(
            () -> assertEquals(PacketDecoder.IP, status),
            () -> assertEquals(17, packet.protocol()),
            () -> assertEquals(V4_SRC, packet.srcLo()),
            () -> assertEquals(V4_DST, packet.dstLo()),
            () -> assertEquals(1194, packet.srcPort()),
            () -> assertEquals(4500, packet.dstPort()),
            () -> assertEquals(36 + 11, packet.ipLength()));
    }

    @Test
    void shouldReportIpv4FirstFragmentWithPortsAndId() {
        final byte[] ip = ipv4(17, "10.0.0.1", "198.51.100.7").id(0xBEEF).fragment(0, true)
            .payload(udp(5353, 53, zeros(1472))).build();
        final int status = decode(1, cat(ethernet(PEER_MAC, ROUTER_MAC, 0x0800), ip));
        assertAll(
            () -> assertEquals(PacketDecoder.IP, status),
            () -> assertEquals(DecodedPacket.FIRST_FRAGMENT, packet.fragment()),
            () -> assertEquals(0xBEEFL, packet.fragmentId()),
            () -> assertEquals(17, packet.protocol()),
            () -> assertEquals(5353, packet.srcPort()),
            () -> assertEquals(53, packet.dstPort()),
            () -> assertEquals(1500, packet.ipLength()));
    }

    @Test
    void shouldReportIpv4LaterFragmentWithoutPorts() {
        // The fragment's payload starts with bytes that would read as ports 0x0102 -> 0x0304; they are data.
        for (final boolean more : new boolean[] {true, false}) {
            final byte[] ip = ipv4(17, "10.0.0.1", "198.51.100.7").id(0xBEEF).fragment(185, more)
                .payload(hex("01 02 03 04"), zeros(96)).build();
            final int status = decode(101, ip);
            assertAll(
                () -> assertEquals(PacketDecoder.IP, status),
                () -> assertEquals(DecodedPacket.LATER_FRAGMENT, packet.fragment()),
                () -> assertEquals(0xBEEFL, packet.fragmentId()),
                () -> assertEquals(17, packet.protocol()),
                () -> assertEquals(V4_SRC, packet.srcLo()),
                () -> assertEquals(V4_DST, packet.dstLo()),
                () -> assertEquals(0, packet.srcPort()),
                () -> assertEquals(0, packet.dstPort()),
                () -> assertEquals(120, packet.ipLength()));
        }
    }

    @Test
    void shouldRejectIpv4HeaderLengthBelowTwentyBytes() {
        for (int ihl = 0; ihl < 5; ihl++) {
            assertUnparsed(decode(101, ipv4(6, "10.0.0.1", "198.51.100.7").ihl(ihl).payload(tcp(1, 2)).build()),
                UnparsedReason.BAD_HEADER_LENGTH);
        }
    }

    @Test
    void shouldRejectIpv4TotalLengthShorterThanItsHeader() {
        assertUnparsed(decode(101, ipv4(6, "10.0.0.1", "198.51.100.7").totalLength(19).payload(tcp(1, 2)).build()),
            UnparsedReason.BAD_HEADER_LENGTH);
        assertUnparsed(decode(101, ipv4(6, "10.0.0.1", "198.51.100.7").options(hex("01 01 01 00")).totalLength(20)
            .payload(tcp(1, 2)).build()), UnparsedReason.BAD_HEADER_LENGTH);
        assertUnparsed(decode(101, ipv4(6, "10.0.0.1", "198.51.100.7").totalLength(0).payload(tcp(1, 2)).build()),
            UnparsedReason.BAD_HEADER_LENGTH);
    }

    @Test
    void shouldNotReadPortsWhenOptionsRunPastTheCapture() {
        // IHL 15 claims 40 bytes of options, but the capture ends 20 bytes after the fixed header.
        final byte[] ip = ipv4(6, "10.0.0.1", "198.51.100.7").ihl(15).totalLength(100).payload(tcp(1, 2)).build();
        final int status = decode(101, ip);
        assertAll(
            () -> assertEquals(PacketDecoder.IP, status),
            () -> assertEquals(100, packet.ipLength()),
            () -> assertEquals(0, packet.srcPort()),
            () -> assertEquals(0, packet.dstPort()));
    }

    // ---------------------------------------------------------------- IPv6 header cases

    @Test
    void shouldWalkIpv6ExtensionHeadersToTcp() {
        final byte[] ip = ipv6(0, "2001:db8::1", "2001:db8:85a3::8a2e:370:7334").payload(
            extension(43, 0),                   // hop-by-hop, 8 bytes
            extension(60, 2),                   // routing, 24 bytes
            extension(44, 1),                   // destination options, 16 bytes
            fragment(6, 0, false, 0x1234_5678L), // atomic fragment (RFC 6946): offset 0, M = 0
            tcp(40000, 80)).build();
        final int status = decode(1, cat(ethernet(PEER_MAC, ROUTER_MAC, 0x86DD), ip));
        assertAll(
            () -> assertEquals(PacketDecoder.IP, status),
            () -> assertEquals(6, packet.ipVersion()),
            () -> assertEquals(6, packet.protocol()),
            () -> assertEquals(V6_SRC_HI, packet.srcHi()),
            () -> assertEquals(V6_SRC_LO, packet.srcLo()),
            () -> assertEquals(V6_DST_HI, packet.dstHi()),
            () -> assertEquals(V6_DST_LO, packet.dstLo()),
            () -> assertEquals(40000, packet.srcPort()),
            () -> assertEquals(80, packet.dstPort()),
            () -> assertEquals(40 + 8 + 24 + 16 + 8 + 20, packet.ipLength()),
            () -> assertEquals(DecodedPacket.NOT_FRAGMENT, packet.fragment(), "an atomic fragment is whole"),
            () -> assertEquals(0L, packet.fragmentId()));
    }

    @Test
    void shouldSkipIpv6AuthenticationHeader() {
        // AH length counts 4-octet units minus 2: 4 means 24 bytes (12 fixed + 12 ICV).
        final byte[] ah = cat(hex("11 04 00 00"), u32(0x100), u32(1), zeros(12));
        final byte[] ip = ipv6(51, "2001:db8::1", "2001:db8:85a3::8a2e:370:7334").payload(ah, udp(500, 4500, zeros(2)))
            .build();
        final int status = decode(101, ip);
        assertAll(
            () -> assertEquals(PacketDecoder.IP, status),
            () -> assertEquals(17, packet.protocol()),
            () -> assertEquals(500, packet.srcPort()),
            () -> assertEquals(4500, packet.dstPort()),
            () -> assertEquals(74, packet.ipLength()));
    }

    @Test
    void shouldReportIpv6FirstFragmentWithPortsAndId() {
        final byte[] ip = ipv6(0, "2001:db8::1", "2001:db8:85a3::8a2e:370:7334").payload(
            extension(44, 0), fragment(17, 0, true, 0xCAFE_F00DL), udp(5353, 53, zeros(1000))).build();
        final int status = decode(229, ip);
        assertAll(
            () -> assertEquals(PacketDecoder.IP, status),
            () -> assertEquals(DecodedPacket.FIRST_FRAGMENT, packet.fragment()),
            () -> assertEquals(0xCAFE_F00DL, packet.fragmentId(), "32-bit id, unsigned"),
            () -> assertEquals(17, packet.protocol()),
            () -> assertEquals(5353, packet.srcPort()),
            () -> assertEquals(53, packet.dstPort()),
            () -> assertEquals(40 + 8 + 8 + 1008, packet.ipLength()));
    }

    @Test
    void shouldReportIpv6LaterFragmentWithProtocolFromFragmentHeader() {
        for (final boolean more : new boolean[] {true, false}) {
            final byte[] ip = ipv6(44, "2001:db8::1", "2001:db8:85a3::8a2e:370:7334").payload(
                fragment(17, 126, more, 0xCAFE_F00DL), hex("01 02 03 04"), zeros(60)).build();
            final int status = decode(229, ip);
            assertAll(
                () -> assertEquals(PacketDecoder.IP, status),
                () -> assertEquals(DecodedPacket.LATER_FRAGMENT, packet.fragment()),
                () -> assertEquals(0xCAFE_F00DL, packet.fragmentId()),
                () -> assertEquals(17, packet.protocol()),
                () -> assertEquals(V6_SRC_LO, packet.srcLo()),
                () -> assertEquals(0, packet.srcPort()),
                () -> assertEquals(0, packet.dstPort()),
                () -> assertEquals(40 + 8 + 64, packet.ipLength()));
        }
    }

    @Test
    void shouldReportNoNextHeaderWithoutPorts() {
        final int status = decode(101, ipv6(59, "2001:db8::1", "2001:db8:85a3::8a2e:370:7334")
            .payload(hex("01 02 03 04")).build());
        assertAll(
            () -> assertEquals(PacketDecoder.IP, status),
            () -> assertEquals(59, packet.protocol()),
            () -> assertEquals(0, packet.srcPort()),
            () -> assertEquals(44, packet.ipLength()));
    }

    // ---------------------------------------------------------------- other protocols and tunnels

    @Test
    void shouldCountIcmpAndIcmpv6WithoutPorts() {
        int status = decode(101, ipv4(1, "10.0.0.1", "198.51.100.7").payload(hex("08 00 f7 ff 00 01 00 01")).build());
        assertEquals(PacketDecoder.IP, status);
        assertEquals(1, packet.protocol());
        assertEquals(0, packet.srcPort());
        assertEquals(0, packet.dstPort());
        assertEquals(28, packet.ipLength());

        status = decode(101, ipv6(58, "2001:db8::1", "2001:db8:85a3::8a2e:370:7334")
            .payload(hex("80 00 00 00 00 01 00 01")).build());
        assertEquals(PacketDecoder.IP, status);
        assertEquals(58, packet.protocol());
        assertEquals(0, packet.srcPort());
        assertEquals(0, packet.dstPort());
        assertEquals(48, packet.ipLength());
    }

    @Test
    void shouldCountGreUnderTheOuterHeader() {
        final byte[] inner = ipv4(17, "192.0.2.1", "192.0.2.2").payload(udp(1111, 2222, zeros(10))).build();
        final byte[] outer = ipv4(47, "10.0.0.1", "198.51.100.7").payload(hex("00 00 08 00"), inner).build();
        final int status = decode(1, cat(ethernet(PEER_MAC, ROUTER_MAC, 0x0800), outer));
        assertAll(
            () -> assertEquals(PacketDecoder.IP, status),
            () -> assertEquals(4, packet.ipVersion()),
            () -> assertEquals(47, packet.protocol()),
            () -> assertEquals(V4_SRC, packet.srcLo()),
            () -> assertEquals(V4_DST, packet.dstLo()),
            () -> assertEquals(0, packet.srcPort()),
            () -> assertEquals(0, packet.dstPort()),
            () -> assertEquals(20 + 4 + 38, packet.ipLength()));
    }

    @Test
    void shouldCount6in4UnderTheOuterHeader() {
        final byte[] outer = ipv4(41, "10.0.0.1", "198.51.100.7").payload(ipv6Udp()).build();
        final int status = decode(101, outer);
        assertAll(
            () -> assertEquals(PacketDecoder.IP, status),
            () -> assertEquals(4, packet.ipVersion()),
            () -> assertEquals(41, packet.protocol()),
            () -> assertEquals(0L, packet.srcHi()),
            () -> assertEquals(V4_SRC, packet.srcLo()),
            () -> assertEquals(0, packet.srcPort()),
            () -> assertEquals(72, packet.ipLength()));
    }

    @Test
    void shouldCountGreOverIpv6UnderTheOuterHeader() {
        final byte[] outer = ipv6(47, "2001:db8::1", "2001:db8:85a3::8a2e:370:7334").payload(hex("00 00 08 00"),
            ipv4Tcp()).build();
        final int status = decode(101, outer);
        assertAll(
            () -> assertEquals(PacketDecoder.IP, status),
            () -> assertEquals(6, packet.ipVersion()),
            () -> assertEquals(47, packet.protocol()),
            () -> assertEquals(V6_SRC_LO, packet.srcLo()),
            () -> assertEquals(0, packet.srcPort()),
            () -> assertEquals(84, packet.ipLength()));
    }

    @ParameterizedTest(name = "protocol {0}")
    @ValueSource(ints = {2, 4, 50, 103, 132, 136, 253, 255})
    void shouldCountAnyOtherProtocolWithoutPorts(final int protocol) {
        // 0x0102 / 0x0304 where a TCP or UDP header would put its ports.
        final int status = decode(101, ipv4(protocol, "10.0.0.1", "198.51.100.7").payload(hex("01 02 03 04"), zeros(8))
            .build());
        assertAll(
            () -> assertEquals(PacketDecoder.IP, status),
            () -> assertEquals(protocol, packet.protocol()),
            () -> assertEquals(0, packet.srcPort()),
            () -> assertEquals(0, packet.dstPort()),
            () -> assertEquals(32, packet.ipLength()));
    }

    // ---------------------------------------------------------------- Ethernet padding

    @Test
    void shouldIgnoreEthernetPaddingAfterAShortIpv4Packet() {
        // A 20-byte IPv4 packet claiming UDP in a 60-byte frame; the padding would read as ports 0x1111 -> 0x1111.
        final byte[] bare = ipv4(17, "10.0.0.1", "198.51.100.7").build();
        int status = decode(1, cat(ethernet(PEER_MAC, ROUTER_MAC, 0x0800), bare, filled(26, 0x11)));
        assertEquals(PacketDecoder.IP, status);
        assertEquals(20, packet.ipLength());
        assertEquals(0, packet.srcPort());
        assertEquals(0, packet.dstPort());

        // IP says 22 bytes, so only half of the UDP header that follows belongs to the packet.
        final byte[] cut = ipv4(17, "10.0.0.1", "198.51.100.7").totalLength(22).payload(udp(5353, 53, zeros(0)))
            .build();
        status = decode(1, cat(ethernet(PEER_MAC, ROUTER_MAC, 0x0800), cut, filled(18, 0x11)));
        assertEquals(PacketDecoder.IP, status);
        assertEquals(22, packet.ipLength());
        assertEquals(0, packet.srcPort());
        assertEquals(0, packet.dstPort());

        // A complete 28-byte UDP packet: ports present, the length is the IP's, not the frame's.
        final byte[] whole = ipv4(17, "10.0.0.1", "198.51.100.7").payload(udp(5353, 53, zeros(0))).build();
        status = decode(1, cat(ethernet(PEER_MAC, ROUTER_MAC, 0x0800), whole, filled(18, 0x11)));
        assertEquals(PacketDecoder.IP, status);
        assertEquals(28, packet.ipLength());
        assertEquals(5353, packet.srcPort());
        assertEquals(53, packet.dstPort());
    }

    @Test
    void shouldIgnoreEthernetPaddingAfterAShortIpv6Packet() {
        final byte[] cut = ipv6(17, "2001:db8::1", "2001:db8:85a3::8a2e:370:7334").payloadLength(2)
            .payload(udp(5353, 53, zeros(0))).build();
        final int status = decode(1, cat(ethernet(PEER_MAC, ROUTER_MAC, 0x86DD), cut, filled(10, 0x11)));
        assertEquals(PacketDecoder.IP, status);
        assertEquals(42, packet.ipLength());
        assertEquals(0, packet.srcPort());
        assertEquals(0, packet.dstPort());
    }

    // ---------------------------------------------------------------- unsupported link, reuse

    @ParameterizedTest(name = "DLT {0}")
    @ValueSource(ints = {-1, 6, 105, 127, 147, 192, 227, 230, 275, 277, 65535})
    void shouldReportUnknownLinkTypeAsUnsupported(final int linkType) {
        decode(1, cat(ethernet(PEER_MAC, ROUTER_MAC, 0x0800), ipv4Tcp()));   // leave state behind
        final int status = decode(linkType, ipv4Tcp());
        assertUnparsed(status, UnparsedReason.UNSUPPORTED_LINK);
        assertAll(
            () -> assertEquals(0L, packet.srcLo(), "reset before decoding"),
            () -> assertEquals(0, packet.srcPort()),
            () -> assertEquals(-1L, packet.sourceMac()),
            () -> assertEquals(-1, packet.networkOffset()));
    }

    // ---------------------------------------------------------------- every truncation of a valid frame

    /**
     * One valid frame and where its layers begin, so that the outcome of every prefix follows from the layout:
     * below the network offset the link header is cut, below the fixed IP header the IP header is cut, and the
     * ports appear once their 4 bytes are captured. {@code extensions} lists the IPv6 extension headers as
     * (offset, type) pairs: a prefix that cuts one of them short reports that header's type as the protocol.
     */
    record Layout(String name, int linkType, byte[] frame, int networkOffset, int transportOffset, int[] extensions) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> layouts() {
        final byte[] v4 = ipv4Tcp();
        final byte[] v6 = ipv6Udp();
        final byte[] chain = ipv6(0, "2001:db8::1", "2001:db8:85a3::8a2e:370:7334")
            .payload(extension(43, 0), extension(44, 2), fragment(17, 0, true, 7), udp(5353, 53, zeros(4))).build();
        final byte[] options = ipv4(6, "10.0.0.1", "198.51.100.7").options(hex("01 01 01 00 94 04 00 00"))
            .payload(tcp(51970, 443)).build();
        final byte[] none = new byte[0];
        return Stream.of(
            new Layout("EN10MB IPv4", 1, cat(ethernet(PEER_MAC, ROUTER_MAC, 0x0800), v4), 14, 34, null),
            new Layout("EN10MB IPv6", 1, cat(ethernet(PEER_MAC, ROUTER_MAC, 0x86DD), v6), 14, 54, null),
            new Layout("EN10MB QinQ", 1, cat(ethernet(PEER_MAC, ROUTER_MAC, 0x88A8), vlanTag(1, 0x8100),
                vlanTag(2, 0x0800), v4), 22, 42, null),
            new Layout("EN10MB PPPoE", 1, cat(ethernet(PEER_MAC, ROUTER_MAC, 0x8864), pppoeSession(1, 0x57, v6.length),
                v6), 22, 62, null),
            new Layout("EN10MB IPv4 options", 1, cat(ethernet(PEER_MAC, ROUTER_MAC, 0x0800), options), 14, 42, null),
            new Layout("EN10MB IPv6 chain", 1, cat(ethernet(PEER_MAC, ROUTER_MAC, 0x86DD), chain), 14, 94,
                new int[] {54, 0, 62, 43, 86, 44}),
            new Layout("RAW IPv4", 101, v4, 0, 20, null),
            new Layout("RAW IPv6", 12, v6, 0, 40, null),
            new Layout("IPV4", 228, v4, 0, 20, null),
            new Layout("IPV6", 229, v6, 0, 40, null),
            new Layout("LINUX_SLL", 113, cat(sll(4, 0x0800), v4), 16, 36, null),
            new Layout("LINUX_SLL2", 276, cat(sll2(0x86DD, 9, 0), v6), 20, 60, null),
            new Layout("NULL", 0, cat(u32le(24), v6), 4, 44, null),
            new Layout("LOOP", 108, cat(u32(2), v4), 4, 24, null),
            new Layout("PPP ff03", 9, cat(hex("ff 03 00 21"), v4), 4, 24, null),
            new Layout("PPP", 9, cat(hex("00 57"), v6), 2, 42, null),
            new Layout("PPP compressed", 9, cat(hex("21"), v4), 1, 21, null),
            new Layout("PPP_ETHER", 51, cat(pppoeSession(3, 0x21, v4.length), v4), 8, 28, null),
            new Layout("PPP_ETHER empty", 51, cat(pppoeSession(3, 0x21, 0), none), 8, Integer.MAX_VALUE, null))
            .map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layouts")
    void shouldDecodeEveryPrefixFromItsOwnBytesOnly(final Layout layout) {
        final byte[] bytes = layout.frame();
        final int full = decode(layout.linkType(), bytes);
        final int fixedIp = packet.ipVersion() == 6 ? 40 : 20;
        final Expected whole = Expected.of(full, packet);

        for (int prefix = 0; prefix <= bytes.length; prefix++) {
            for (final int filler : new int[] {0x00, 0xFF}) {
                // The bytes after the prefix are set to all zeros and to all ones: the answer must not change.
                frame.put(bytes, prefix, filler);
                final int status = decoder.decode(layout.linkType(), frame.address(0), prefix, packet);
                final String at = layout.name() + ", prefix " + prefix + " of " + bytes.length + ", filler " + filler;
                if (prefix < layout.networkOffset()) {
                    assertEquals(PacketDecoder.UNPARSED, status, at);
                    assertEquals(UnparsedReason.TRUNCATED_LINK, packet.unparsedReason(), at);
                } else if (prefix < layout.networkOffset() + fixedIp || whole.status != PacketDecoder.IP) {
                    assertEquals(PacketDecoder.UNPARSED, status, at);
                    assertEquals(UnparsedReason.TRUNCATED_IP, packet.unparsedReason(), at);
                } else {
                    final boolean ports = prefix >= layout.transportOffset() + 4;
                    assertEquals(new Expected(PacketDecoder.IP, whole.ipVersion, protocolAt(layout, prefix, whole),
                        whole.srcHi, whole.srcLo, whole.dstHi, whole.dstLo, ports ? whole.srcPort : 0,
                        ports ? whole.dstPort : 0, whole.ipLength, whole.direction, whole.sourceMac, whole.ifIndex,
                        whole.networkOffset), Expected.of(status, packet), at);
                }
            }
        }
    }

    private static int protocolAt(final Layout layout, final int prefix, final Expected whole) {
        final int[] extensions = layout.extensions();
        if (extensions != null) {
            // The walk needs the first 8 bytes of an extension header to step over it.
            for (int i = 0; i < extensions.length; i += 2) {
                if (prefix < extensions[i] + 8) {
                    return extensions[i + 1];
                }
            }
        }
        return whole.protocol;
    }

    /** The fields a prefix must agree on with the whole frame. */
    record Expected(int status, int ipVersion, int protocol, long srcHi, long srcLo, long dstHi, long dstLo,
                    int srcPort, int dstPort, int ipLength, int direction, long sourceMac, int ifIndex,
                    int networkOffset) {
        static Expected of(final int status, final DecodedPacket p) {
            return new Expected(status, p.ipVersion(), p.protocol(), p.srcHi(), p.srcLo(), p.dstHi(), p.dstLo(),
                p.srcPort(), p.dstPort(), p.ipLength(), p.linkDirection(), p.sourceMac(), p.ifIndex(),
                p.networkOffset());
        }
    }
}
