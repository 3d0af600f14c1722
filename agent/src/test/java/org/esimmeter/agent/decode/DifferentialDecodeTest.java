package org.esimmeter.agent.decode;

import org.esimmeter.agent.corpus.SharedPcaps;
import org.esimmeter.agent.frames.NativeFrames;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.Pcaps;
import org.pcap4j.packet.Dot1qVlanTagPacket;
import org.pcap4j.packet.EthernetPacket;
import org.pcap4j.packet.FragmentedPacket;
import org.pcap4j.packet.IllegalPacket;
import org.pcap4j.packet.IpPacket;
import org.pcap4j.packet.IpV4Packet;
import org.pcap4j.packet.IpV6ExtFragmentPacket;
import org.pcap4j.packet.IpV6ExtOptionsPacket;
import org.pcap4j.packet.IpV6ExtRoutingPacket;
import org.pcap4j.packet.IpV6ExtUnknownPacket;
import org.pcap4j.packet.IpV6Packet;
import org.pcap4j.packet.Packet;
import org.pcap4j.packet.TcpPacket;
import org.pcap4j.packet.UdpPacket;
import org.pcap4j.packet.UnknownPacket;
import org.pcap4j.packet.factory.PacketFactories;
import org.pcap4j.packet.factory.PacketFactory;
import org.pcap4j.packet.namednumber.DataLinkType;
import org.pcap4j.packet.namednumber.EtherType;
import org.pcap4j.packet.namednumber.IpNumber;

import java.io.EOFException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A second opinion on real captures: every packet of every file in {@code ../shared/pcaps} is decoded by pcap4j's
 * own packet factory (pcap4j-packetfactory-static) and by {@link PacketDecoder} over the same bytes in direct
 * memory, and the two must agree on IP version, addresses, the outer protocol (after IPv6 extension headers), TCP
 * and UDP ports, and the IP length (IPv4 total length, 40 + IPv6 payload length).
 * <p>
 * pcap4j 1.8.2 has no DataLinkType for IPV4/IPV6 (228/229) or LINUX_SLL2 (276): there pcap4j is handed the IP part
 * of the frame, located from the link header's own fields (LINUX_SLL2: the EtherType at offset 0, IP at 20) and
 * not from our decoder. Where pcap4j cannot parse a packet (its factory yields an {@link IllegalPacket} or throws)
 * nothing can be compared; those packets are counted per file and the counts are part of the specification below,
 * so that a change in either decoder shows up.
 */
class DifferentialDecodeTest {
    /**
     * Per file: records libpcap delivers, packets compared at the IP level, packets both call non-IP, packets pcap4j
     * cannot parse. Figures observed with pcap4j 1.8.2 and libpcap 1.10 (Debian 12).
     */
    private static final Map<String, Expectation> EXPECTED = Map.ofEntries(
        Map.entry("ndpi__KakaoTalk_chat.pcap", new Expectation(347, 347, 0, 0)),
        Map.entry("ndpi__dns_fragmented.pcap", new Expectation(66, 66, 0, 0)),
        Map.entry("ndpi__syslog.pcap", new Expectation(94, 94, 0, 0)),
        Map.entry("pcpp__DnsPackets.pcap", new Expectation(464, 464, 0, 0)),
        Map.entry("pcpp__pcapng-example.pcapng", new Expectation(59, 59, 0, 0)),
        Map.entry("pcpp__raw_ip.pcap", new Expectation(100, 100, 0, 0)),
        Map.entry("suricata__decode-sll2-02.pcap", new Expectation(159, 159, 0, 0)),
        Map.entry("suricata__linktype-228_flow-test-01.pcap", new Expectation(7, 7, 0, 0)),
        Map.entry("suricata__smtp-to-comma_corrupt-record.pcap", new Expectation(18, 18, 0, 0)),
        Map.entry("zeek__ipv6-http-atomic-frag.pcap", new Expectation(38, 38, 0, 0)),
        Map.entry("zeek__ppp_quic-interop-retry.pcap", new Expectation(26, 26, 0, 0)),
        Map.entry("zeek__tcp_timestamp.pcap", new Expectation(878, 878, 0, 0)));

    private static final PacketFactory<Packet, DataLinkType> BY_LINK_TYPE =
        PacketFactories.getFactory(Packet.class, DataLinkType.class);
    private static final PacketFactory<Packet, EtherType> BY_ETHER_TYPE =
        PacketFactories.getFactory(Packet.class, EtherType.class);
    private static final PacketFactory<Packet, IpNumber> BY_IP_NUMBER =
        PacketFactories.getFactory(Packet.class, IpNumber.class);

    record Expectation(int packets, int comparedIp, int nonIp, int pcap4jFailed) {
    }

    @TestFactory
    Stream<DynamicTest> shouldAgreeWithPcap4jOnEveryPacket() throws Exception {
        final Optional<Path> shared = SharedPcaps.directory();
        assumeTrue(shared.isPresent(), SharedPcaps.ABSENT);
        final Path dir = shared.get();
        final List<Path> captures = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.filter(f -> f.toString().endsWith(".pcap") || f.toString().endsWith(".pcapng")).sorted()
                .forEach(captures::add);
        }
        assertTrue(captures.size() >= EXPECTED.size(), "captures in " + dir + ": " + captures);
        return captures.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> compare(f)));
    }

    private static void compare(final Path file) throws PcapNativeException, NotOpenException {
        final String name = file.getFileName().toString();
        final Expectation expected = EXPECTED.get(name);
        final Tally tally = new Tally();
        final NativeFrames frame = NativeFrames.slot(262_144);
        final PacketDecoder decoder = new PacketDecoder();
        final DecodedPacket ours = new DecodedPacket();

        final PcapHandle handle = Pcaps.openOffline(file.toString());
        final int linkType = handle.getDlt().value();
        try {
            while (true) {
                final byte[] raw;
                try {
                    raw = handle.getNextRawPacketEx();
                } catch (final EOFException e) {
                    break;
                } catch (final PcapNativeException e) {
                    tally.readError = e.getMessage();   // damaged record or a link type change in pcapng
                    break;
                } catch (final TimeoutException e) {
                    throw new AssertionError("timeout reading a savefile", e);
                }
                tally.packets++;
                frame.put(raw, 0xA5);
                final int status = decoder.decode(linkType, frame.address(0), raw.length, ours);
                comparePacket(tally, linkType, raw, status, ours);
            }
        } finally {
            handle.close();
        }

        System.out.printf("%s: DLT %d, %d packets, %d compared at IP level (ports compared on %d; pcap4j parsed"
                + " the link header of %d, was handed the IP part of %d), %d non-IP on both sides,"
                + " %d pcap4j could not parse%s%n",
            name, linkType, tally.packets, tally.comparedIp, tally.comparedPorts, tally.viaLink, tally.ipOnly,
            tally.nonIp, tally.pcap4jFailed, tally.readError == null ? "" : ", read stopped: " + tally.readError);
        assertTrue(tally.mismatches.isEmpty(),
            () -> tally.mismatches.size() + " disagreements in " + name + ", first: "
                + String.join("\n", tally.mismatches.subList(0, Math.min(20, tally.mismatches.size()))));
        assertTrue(expected != null, "no expectation for " + name + " — add one after checking its figures");
        assertAll(
            () -> assertEquals(expected.packets(), tally.packets, "packets read"),
            () -> assertEquals(expected.comparedIp(), tally.comparedIp, "packets compared at the IP level"),
            () -> assertEquals(expected.nonIp(), tally.nonIp, "packets both call non-IP"),
            () -> assertEquals(expected.pcap4jFailed(), tally.pcap4jFailed, "packets pcap4j cannot parse"));
        // Whatever pcap4j cannot parse, the comparison must still cover a large majority of each file.
        assertTrue(tally.comparedIp + tally.nonIp >= tally.packets * 9 / 10,
            "compared " + (tally.comparedIp + tally.nonIp) + " of " + tally.packets);
    }

    static final class Tally {
        int packets;
        int comparedIp;
        int comparedPorts;
        int nonIp;
        int pcap4jFailed;
        /** Packets where pcap4j parsed the link header itself, or was handed the IP part only. */
        int viaLink;
        int ipOnly;
        String readError;
        final List<String> mismatches = new ArrayList<>();
    }

    private static void comparePacket(
        final Tally tally, final int linkType, final byte[] raw, final int status, final DecodedPacket ours) {
        final String at = "packet " + tally.packets + ": ";
        final Packet theirs;
        try {
            theirs = pcap4j(linkType, raw);
        } catch (final RuntimeException e) {
            tally.pcap4jFailed++;
            return;
        }
        final IpPacket ip = outermostIp(theirs);
        if (ip != null && !(theirs instanceof IpPacket)) {
            tally.viaLink++;
        } else if (ip != null) {
            tally.ipOnly++;
        }
        if (ip == null) {
            if (contains(theirs, IllegalPacket.class)) {
                tally.pcap4jFailed++;
            } else if (status == PacketDecoder.NON_IP) {
                tally.nonIp++;
            } else {
                tally.mismatches.add(at + "pcap4j sees no IP (" + describe(theirs) + "), we say status " + status);
            }
            return;
        }
        if (status != PacketDecoder.IP) {
            tally.mismatches.add(at + "pcap4j sees " + describe(theirs) + ", we say status " + status + " reason "
                + UnparsedReason.name(ours.unparsedReason()));
            return;
        }
        final Expected expected = ip instanceof IpV4Packet ? ipv4((IpV4Packet) ip) : ipv6((IpV6Packet) ip);
        final Expected actual = new Expected(ours.ipVersion(), ours.srcHi(), ours.srcLo(), ours.dstHi(), ours.dstLo(),
            ours.protocol(), ours.ipLength(), expected.ports == null ? null
                : new int[] {ours.srcPort(), ours.dstPort()});
        if (!expected.sameAs(actual)) {
            tally.mismatches.add(at + "pcap4j " + expected + ", ours " + actual);
            return;
        }
        tally.comparedIp++;
        if (expected.ports != null) {
            tally.comparedPorts++;
        }
    }

    /**
     * pcap4j's parse of the frame. For link types pcap4j does not know, the IP part is handed to its EtherType
     * factory, located by the link header's own fields.
     */
    private static Packet pcap4j(final int linkType, final byte[] raw) {
        switch (linkType) {
            case 228:
                return BY_ETHER_TYPE.newInstance(raw, 0, raw.length, EtherType.IPV4);
            case 229:
                return BY_ETHER_TYPE.newInstance(raw, 0, raw.length, EtherType.IPV6);
            case 276: {
                final int header = 20;
                if (raw.length < header) {
                    throw new IllegalArgumentException("short LINUX_SLL2 header");
                }
                final short etherType = (short) (((raw[0] & 0xFF) << 8) | (raw[1] & 0xFF));
                return BY_ETHER_TYPE.newInstance(raw, header, raw.length - header, EtherType.getInstance(etherType));
            }
            default:
                return pppoeSession(BY_LINK_TYPE.newInstance(raw, 0, raw.length, DataLinkType.getInstance(linkType)));
        }
    }

    /**
     * pcap4j's EtherType factory knows IPv4, IPv6, ARP and 802.1Q only: a PPPoE session (0x8864) ends its parse in
     * an {@link UnknownPacket}. That packet holds the PPPoE header (6 bytes) and the PPP frame, which pcap4j's PPP
     * factory parses; the location comes from pcap4j's own parse of the Ethernet and VLAN headers.
     */
    private static Packet pppoeSession(final Packet packet) {
        int etherType = -1;
        for (Packet p = packet; p != null; p = p.getPayload()) {
            if (p instanceof EthernetPacket) {
                etherType = ((EthernetPacket) p).getHeader().getType().value() & 0xFFFF;
            } else if (p instanceof Dot1qVlanTagPacket) {
                etherType = ((Dot1qVlanTagPacket) p).getHeader().getType().value() & 0xFFFF;
            } else if (p instanceof UnknownPacket && etherType == 0x8864 && p.length() >= 8) {
                final byte[] session = p.getRawData();
                return BY_LINK_TYPE.newInstance(session, 6, session.length - 6, DataLinkType.PPP);
            }
        }
        return packet;
    }

    private static IpPacket outermostIp(final Packet packet) {
        for (Packet p = packet; p != null; p = p.getPayload()) {
            if (p instanceof IpPacket) {
                return (IpPacket) p;
            }
        }
        return null;
    }

    private static boolean contains(final Packet packet, final Class<? extends Packet> type) {
        for (Packet p = packet; p != null; p = p.getPayload()) {
            if (type.isInstance(p)) {
                return true;
            }
        }
        return false;
    }

    private static String describe(final Packet packet) {
        final StringBuilder chain = new StringBuilder();
        for (Packet p = packet; p != null; p = p.getPayload()) {
            chain.append(chain.length() == 0 ? "" : " > ").append(p.getClass().getSimpleName());
        }
        return chain.toString();
    }

    /** What pcap4j says, in the decoder's terms; {@code ports} null when pcap4j has no TCP/UDP header to offer. */
    record Expected(int version, long srcHi, long srcLo, long dstHi, long dstLo, int protocol, int ipLength,
                    int[] ports) {
        boolean sameAs(final Expected other) {
            return version == other.version && srcHi == other.srcHi && srcLo == other.srcLo && dstHi == other.dstHi
                && dstLo == other.dstLo && protocol == other.protocol && ipLength == other.ipLength
                && (ports == null || java.util.Arrays.equals(ports, other.ports));
        }

        @Override
        public String toString() {
            return "v" + version + " " + Long.toHexString(srcHi) + ":" + Long.toHexString(srcLo) + " -> "
                + Long.toHexString(dstHi) + ":" + Long.toHexString(dstLo) + " proto " + protocol + " len " + ipLength
                + " ports " + (ports == null ? "-" : ports[0] + "->" + ports[1]);
        }
    }

    private static Expected ipv4(final IpV4Packet ip) {
        final IpV4Packet.IpV4Header header = ip.getHeader();
        final int protocol = header.getProtocol().value() & 0xFF;
        int[] ports = null;
        if (protocol == 6 || protocol == 17) {
            if (header.getFragmentOffset() != 0) {
                ports = new int[] {0, 0};                       // a later fragment has no transport header
            } else {
                ports = ports(ip.getPayload(), protocol);
            }
        }
        return new Expected(4, 0L, mapped(header.getSrcAddr().getAddress()), 0L,
            mapped(header.getDstAddr().getAddress()), protocol, header.getTotalLengthAsInt(), ports);
    }

    private static Expected ipv6(final IpV6Packet ip) {
        final IpV6Packet.IpV6Header header = ip.getHeader();
        int next = header.getNextHeader().value() & 0xFF;
        Packet payload = ip.getPayload();
        boolean later = false;
        // pcap4j parses each extension header into its own packet; the last one names the upper layer.
        while (!later) {
            if (payload instanceof IpV6ExtOptionsPacket) {
                next = ((IpV6ExtOptionsPacket) payload).getHeader().getNextHeader().value() & 0xFF;
            } else if (payload instanceof IpV6ExtRoutingPacket) {
                next = ((IpV6ExtRoutingPacket) payload).getHeader().getNextHeader().value() & 0xFF;
            } else if (payload instanceof IpV6ExtFragmentPacket) {
                final IpV6ExtFragmentPacket.IpV6ExtFragmentHeader fragment =
                    ((IpV6ExtFragmentPacket) payload).getHeader();
                next = fragment.getNextHeader().value() & 0xFF;
                later = fragment.getFragmentOffset() != 0;
            } else if (payload instanceof IpV6ExtUnknownPacket) {
                next = ((IpV6ExtUnknownPacket) payload).getHeader().getNextHeader().value() & 0xFF;
            } else {
                break;
            }
            payload = payload.getPayload();
        }
        final int[] ports = next == 6 || next == 17 ? later ? new int[] {0, 0} : ports(payload, next) : null;
        final byte[] src = header.getSrcAddr().getAddress();
        final byte[] dst = header.getDstAddr().getAddress();
        return new Expected(6, ByteBuffer.wrap(src).getLong(0), ByteBuffer.wrap(src).getLong(8),
            ByteBuffer.wrap(dst).getLong(0), ByteBuffer.wrap(dst).getLong(8), next,
            40 + header.getPayloadLengthAsInt(), ports);
    }

    /**
     * Ports from pcap4j's TCP/UDP packet. A first fragment reaches us as a {@link FragmentedPacket} (pcap4j does not
     * parse inside fragments), so its bytes are given to pcap4j's transport factory.
     */
    private static int[] ports(final Packet payload, final int protocol) {
        Packet transport = payload;
        if (transport instanceof FragmentedPacket) {
            final byte[] data = transport.getRawData();
            transport = BY_IP_NUMBER.newInstance(data, 0, data.length, IpNumber.getInstance((byte) protocol));
        }
        if (transport instanceof TcpPacket) {
            final TcpPacket.TcpHeader tcp = ((TcpPacket) transport).getHeader();
            return new int[] {tcp.getSrcPort().valueAsInt(), tcp.getDstPort().valueAsInt()};
        }
        if (transport instanceof UdpPacket) {
            final UdpPacket.UdpHeader udp = ((UdpPacket) transport).getHeader();
            return new int[] {udp.getSrcPort().valueAsInt(), udp.getDstPort().valueAsInt()};
        }
        return null;
    }

    private static long mapped(final byte[] ipv4) {
        return 0x0000_FFFF_0000_0000L | (ByteBuffer.wrap(ipv4).getInt() & 0xFFFF_FFFFL);
    }
}
