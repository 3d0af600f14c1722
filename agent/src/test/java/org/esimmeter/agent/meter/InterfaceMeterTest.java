package org.esimmeter.agent.meter;

import static org.esimmeter.agent.frames.Frames.ETHERTYPE_ARP;
import static org.esimmeter.agent.frames.Frames.ETHERTYPE_IPV4;
import static org.esimmeter.agent.frames.Frames.ETHERTYPE_IPV6;
import static org.esimmeter.agent.frames.Frames.IPV6_FRAGMENT_HEADER;
import static org.esimmeter.agent.frames.Frames.PACKET_HOST;
import static org.esimmeter.agent.frames.Frames.PACKET_OUTGOING;
import static org.esimmeter.agent.frames.Frames.TCP;
import static org.esimmeter.agent.frames.Frames.UDP;
import static org.esimmeter.agent.frames.Frames.ethernet;
import static org.esimmeter.agent.frames.Frames.ethernetPadded;
import static org.esimmeter.agent.frames.Frames.fragment;
import static org.esimmeter.agent.frames.Frames.ipv4;
import static org.esimmeter.agent.frames.Frames.ipv6;
import static org.esimmeter.agent.frames.Frames.sll;
import static org.esimmeter.agent.frames.Frames.sll2;
import static org.esimmeter.agent.frames.Frames.tcp;
import static org.esimmeter.agent.frames.Frames.truncate;
import static org.esimmeter.agent.frames.Frames.udp;
import static org.esimmeter.agent.frames.Frames.zeros;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.esimmeter.agent.decode.DecodedPacket;
import org.esimmeter.wire.Direction;
import org.esimmeter.agent.decode.LinkType;
import org.esimmeter.agent.decode.PacketDecoder;
import org.esimmeter.agent.frames.NativeFrames;
import org.esimmeter.agent.meter.SecondSnapshot.Flow;
import org.esimmeter.wire.TrafficCounters;
import org.junit.jupiter.api.Test;

class InterfaceMeterTest {
    private static final long T = 1_764_280_800L;
    private static final long ROUTER_MAC = 0x02_00_00_00_00_01L;
    private static final long PEER_MAC = 0x02_00_00_00_00_02L;
    private static final int UP = Direction.UP;
    private static final int DOWN = Direction.DOWN;
    private static final int UNKNOWN = Direction.UNKNOWN;
    private static final int PACKETS = TrafficCounters.PACKETS;
    private static final int WIRE = TrafficCounters.WIRE_BYTES;
    private static final int IP = TrafficCounters.IP_BYTES;

    private final List<SecondSnapshot> sealed = new ArrayList<>();
    private final UsageTotals usage = new UsageTotals(1024, true);
    private final PacketDecoder decoder = new PacketDecoder();
    private final DecodedPacket packet = new DecodedPacket();
    private DirectionRule rule = DirectionRule.ownMac(ROUTER_MAC);
    private InterfaceMeter meter = meter(1024);

    private InterfaceMeter meter(final int maxFlows) {
        return new InterfaceMeter("wwan0", "esim-a", new FlowTable(4, maxFlows), new FragmentPorts(64), second -> {
            final SecondSnapshot snapshot = SecondSnapshot.of(second);
            assertInvariants(snapshot);
            sealed.add(snapshot);
            usage.onSecond(second);
        });
    }

    /** Decodes the frame from direct memory, as the hot loop does, and hands it to the meter. */
    private void feed(final long epochSecond, final int linkType, final byte[] frame, final int wireLength) {
        final NativeFrames frames = NativeFrames.builder().add(linkType, frame, wireLength).build();
        final int status = decoder.decode(linkType, frames.address(0), frames.capturedLength(0), packet);
        meter.account(epochSecond, frames.wireLength(0), status, packet, rule.resolve(packet));
    }

    private void feed(final long epochSecond, final byte[] ethernetFrame) {
        feed(epochSecond, LinkType.EN10MB, ethernetFrame, ethernetFrame.length);
    }

    /** Ethernet + IPv4 + UDP: 42 + payload bytes on the wire, 28 + payload IP bytes; sent by the router. */
    private static byte[] udpOut(final String src, final int srcPort, final String dst, final int dstPort,
        final int payload) {
        return ethernet(PEER_MAC, ROUTER_MAC, ETHERTYPE_IPV4,
            ipv4(UDP, src, dst).payload(udp(srcPort, dstPort, payload)).build());
    }

    /** Ethernet + IPv4 + TCP: 54 + payload bytes on the wire, 40 + payload IP bytes; received by the router. */
    private static byte[] tcpIn(final String src, final int srcPort, final String dst, final int dstPort,
        final int payload) {
        return ethernet(ROUTER_MAC, PEER_MAC, ETHERTYPE_IPV4,
            ipv4(TCP, src, dst).payload(tcp(srcPort, dstPort, payload)).build());
    }

    @Test
    void shouldSealOneRecordPerSecondOfPacketTime() {
        feed(T, udpOut("10.0.0.2", 5000, "8.8.8.8", 53, 100));      // wire 142, ip 128
        feed(T, udpOut("10.0.0.2", 5000, "8.8.8.8", 53, 200));      // wire 242, ip 228
        assertEquals(0, sealed.size(), "the open second is sealed by a later packet or the clock, not before");

        feed(T + 1, tcpIn("1.1.1.1", 443, "10.0.0.2", 40000, 1000)); // wire 1054, ip 1040
        assertEquals(1, sealed.size());
        final SecondSnapshot first = sealed.get(0);
        assertEquals("wwan0", first.interfaceName);
        assertEquals("esim-a", first.profile);
        assertEquals(T, first.epochSecond);
        assertArrayEquals(new long[] {2, 384, 356}, first.total[UP]);
        assertArrayEquals(new long[] {0, 0, 0}, first.total[DOWN]);
        assertEquals(Map.of(Flow.of(UP, UDP, "10.0.0.2", 5000, "8.8.8.8", 53), List.of(2L, 384L, 356L)),
            asLists(first));

        meter.seal();
        assertEquals(2, sealed.size());
        final SecondSnapshot second = sealed.get(1);
        assertEquals(T + 1, second.epochSecond);
        assertArrayEquals(new long[] {1, 1054, 1040}, second.total[DOWN]);
        assertArrayEquals(new long[] {0, 0, 0}, second.total[UP]);
        assertEquals(Map.of(Flow.of(DOWN, TCP, "1.1.1.1", 443, "10.0.0.2", 40000), List.of(1L, 1054L, 1040L)),
            asLists(second));
        assertEquals(2, meter.secondsSealed());

        meter.seal();
        assertEquals(2, sealed.size(), "sealing again with no packet emits nothing");
    }

    @Test
    void shouldAddUncapturedTrafficToTheOpenSecondOrSealASecondOfItAlone() {
        final CurrentProfile sim = new CurrentProfile("8944500000000000001", true);
        meter = new InterfaceMeter("wwan0", sim, new FlowTable(4, 1024), new FragmentPorts(64),
            second -> sealed.add(SecondSnapshot.of(second)));
        final TrafficCounters hidden = new TrafficCounters();
        hidden.add(DOWN, 2, 3000, 2972);
        feed(T, udpOut("10.0.0.2", 5000, "8.8.8.8", 53, 100));      // wire 142, ip 128
        meter.addUncaptured(hidden, (T + 1) * 1000 + 100);           // confirmed after T ended: still T's
        meter.sealIfDue((T + 1) * 1000 + 250, 250);
        assertEquals(1, sealed.size());
        assertArrayEquals(new long[] {1, 142, 128}, sealed.get(0).total[UP]);
        assertArrayEquals(new long[] {0, 0, 0}, sealed.get(0).total[DOWN], "uncaptured is not in the total");
        assertArrayEquals(new long[] {2, 3000, 2972}, sealed.get(0).uncaptured[DOWN]);

        // Nothing captured any more (all offloaded), and the SIM changed meanwhile: a second of its own, new SIM.
        sim.set("8944500000000000002");
        meter.addUncaptured(hidden, (T + 7) * 1000 + 100);
        meter.addUncaptured(new TrafficCounters(), (T + 7) * 1000 + 200); // nothing new: no change
        meter.sealIfDue((T + 8) * 1000 + 249, 250);
        assertEquals(1, sealed.size(), "not due yet");
        meter.sealIfDue((T + 8) * 1000 + 250, 250);
        assertEquals(2, sealed.size());
        final SecondSnapshot offloaded = sealed.get(1);
        assertEquals(T + 7, offloaded.epochSecond);
        assertEquals("8944500000000000002", offloaded.profile);
        assertArrayEquals(new long[] {0, 0, 0}, offloaded.total[DOWN]);
        assertArrayEquals(new long[] {2, 3000, 2972}, offloaded.uncaptured[DOWN]);
        assertEquals(0, offloaded.flows.size());
        assertArrayEquals(new long[] {4, 6000, 5944}, new long[] {
            meter.sealedUncaptured().get(DOWN, PACKETS), meter.sealedUncaptured().get(DOWN, WIRE),
            meter.sealedUncaptured().get(DOWN, IP)});
        meter.seal();
        assertEquals(2, sealed.size(), "sealing again emits nothing");
    }

    @Test
    void shouldSwitchTheProfileAtTheNextSecondNeverInsideOne() {
        final CurrentProfile sim = new CurrentProfile("8944500000000000001", true);
        meter = new InterfaceMeter("wwan0", sim, new FlowTable(4, 1024), new FragmentPorts(64),
            second -> sealed.add(SecondSnapshot.of(second)));
        feed(T, udpOut("10.0.0.2", 5000, "8.8.8.8", 53, 100));      // wire 142
        assertTrue(sim.set("8944500000000000002"), "the poller sees another SIM while second T is open");
        assertEquals("8944500000000000002", meter.currentProfile());
        feed(T, udpOut("10.0.0.2", 5000, "8.8.8.8", 53, 200));      // wire 242: still second T, still SIM 1
        feed(T + 1, udpOut("10.0.0.2", 5000, "8.8.8.8", 53, 10));   // wire 52: the next second opens under SIM 2
        meter.sealIfDue((T + 3) * 1000, 250);

        assertEquals(List.of(T, T + 1), sealed.stream().map(s -> s.epochSecond).toList());
        assertEquals(List.of("8944500000000000001", "8944500000000000002"),
            sealed.stream().map(s -> s.profile).toList());
        assertArrayEquals(new long[] {2, 142 + 242, 128 + 228}, sealed.get(0).total[UP]);
        assertArrayEquals(new long[] {1, 52, 38}, sealed.get(1).total[UP]);
        assertEquals("discovered", meter.profileTag(), "a metrics tag cannot follow the SIM: it says so");
        assertFalse(sim.set("8944500000000000002"), "the same ICCID again is no change");
    }

    @Test
    void shouldEmitTheSameSecondAgainForLateTimestampsAndTotalsAddThemUp() {
        feed(T, udpOut("10.0.0.2", 5000, "8.8.8.8", 53, 100));      // 142 / 128
        feed(T + 1, udpOut("10.0.0.2", 5000, "8.8.8.8", 53, 10));   // 52 / 38
        feed(T, udpOut("10.0.0.2", 5000, "8.8.8.8", 53, 50));       // 92 / 78, late
        meter.seal();

        assertEquals(List.of(T, T + 1, T), sealed.stream().map(s -> s.epochSecond).toList());
        assertArrayEquals(new long[] {1, 142, 128}, sealed.get(0).total[UP]);
        assertArrayEquals(new long[] {1, 52, 38}, sealed.get(1).total[UP]);
        assertArrayEquals(new long[] {1, 92, 78}, sealed.get(2).total[UP]);

        assertEquals(2, usage.seconds().size());
        final TrafficCounters secondT = usage.seconds().get(T);
        assertEquals(2, secondT.sum(PACKETS));
        assertEquals(142 + 92, secondT.sum(WIRE));
        assertEquals(128 + 78, secondT.sum(IP));
        assertEquals(1, usage.seconds().get(T + 1).sum(PACKETS));
        assertEquals(3, usage.total().sum(PACKETS));
        assertEquals(142 + 52 + 92, usage.total().sum(WIRE));
        assertEquals(128 + 38 + 78, usage.total().sum(IP));
        assertEquals(1, usage.flows().size(), "one flow over the three records");
        assertEquals(3, usage.flows().packets(0));
        assertEquals(142 + 52 + 92, usage.flows().wireBytes(0));
        assertEquals(128 + 38 + 78, usage.flows().ipBytes(0));
    }

    @Test
    void shouldSealByWallClockOnlyOnceTheGraceHasPassed() {
        meter.sealIfDue((T + 5) * 1000, 200);
        assertEquals(0, sealed.size(), "nothing open, nothing to seal");

        feed(T, udpOut("10.0.0.2", 5000, "8.8.8.8", 53, 100));
        meter.sealIfDue(T * 1000 + 999, 200);
        meter.sealIfDue((T + 1) * 1000 + 199, 200);
        assertEquals(0, sealed.size(), "within the grace, late packets of the second still join it");

        meter.sealIfDue((T + 1) * 1000 + 200, 200);
        assertEquals(1, sealed.size());
        assertEquals(T, sealed.get(0).epochSecond);
        assertArrayEquals(new long[] {1, 142, 128}, sealed.get(0).total[UP]);

        meter.sealIfDue((T + 9) * 1000, 200);
        meter.seal();
        assertEquals(1, sealed.size(), "a sealed second is not emitted twice");

        feed(T + 9, udpOut("10.0.0.2", 5000, "8.8.8.8", 53, 10));
        meter.sealIfDue((T + 10) * 1000 + 200, 200);
        assertEquals(2, sealed.size());
        assertEquals(T + 9, sealed.get(1).epochSecond);
        assertArrayEquals(new long[] {1, 52, 38}, sealed.get(1).total[UP]);
    }

    @Test
    void shouldKeepEveryRecordExactAcrossFlowsOverflowNonIpAndUnparsed() {
        meter = meter(2);
        feed(T, udpOut("10.0.0.2", 5000, "8.8.8.8", 53, 100));                // UP 142/128, flow 1
        feed(T, tcpIn("1.1.1.1", 443, "10.0.0.2", 40000, 1000));              // DOWN 1054/1040, flow 2
        feed(T, udpOut("10.0.0.2", 5001, "8.8.8.8", 53, 20));                 // UP 62/48, table full: overflow
        feed(T, tcpIn("1.1.1.1", 443, "10.0.0.2", 40001, 0));                 // DOWN 54/40, overflow
        feed(T, udpOut("10.0.0.2", 5000, "8.8.8.8", 53, 1));                  // UP 43/29, known flow 1 still counts
        feed(T, ethernetPadded(PEER_MAC, ROUTER_MAC, ETHERTYPE_ARP, zeros(28))); // UP non-IP 60
        // Snaplen cuts: the IP header is incomplete, so unparsed, billed by the original length.
        feed(T, LinkType.EN10MB, truncate(tcpIn("1.1.1.1", 443, "10.0.0.2", 40000, 0), 30), 54); // DOWN
        feed(T, LinkType.EN10MB, truncate(udpOut("10.0.0.2", 5000, "8.8.8.8", 53, 0), 20), 42);  // UP
        meter.seal();

        assertEquals(1, sealed.size());
        final SecondSnapshot s = sealed.get(0);
        assertArrayEquals(new long[] {5, 142 + 62 + 43 + 60 + 42, 128 + 48 + 29}, s.total[UP]);
        assertArrayEquals(new long[] {3, 1054 + 54 + 54, 1040 + 40}, s.total[DOWN]);
        assertArrayEquals(new long[] {1, 62, 48}, s.overflow[UP]);
        assertArrayEquals(new long[] {1, 54, 40}, s.overflow[DOWN]);
        assertArrayEquals(new long[] {1, 60, 0}, s.nonIp[UP]);
        assertArrayEquals(new long[] {0, 0, 0}, s.nonIp[DOWN]);
        assertArrayEquals(new long[] {1, 42, 0}, s.unparsed[UP]);
        assertArrayEquals(new long[] {1, 54, 0}, s.unparsed[DOWN]);
        assertEquals(Map.of(
            Flow.of(UP, UDP, "10.0.0.2", 5000, "8.8.8.8", 53), List.of(2L, 142L + 43, 128L + 29),
            Flow.of(DOWN, TCP, "1.1.1.1", 443, "10.0.0.2", 40000), List.of(1L, 1054L, 1040L)), asLists(s));
    }

    @Test
    void shouldBillLaterIpv4FragmentsToTheFirstFragmentsPorts() {
        // A 3000-byte UDP datagram in three fragments: 1480 + 1480 + 48 payload bytes.
        final byte[] first = fragment4(77, 0x2000, udp(5353, 53, 1472));
        final byte[] middle = fragment4(77, 0x2000 | 185, zeros(1480));
        final byte[] last = fragment4(77, 370, zeros(48));
        feed(T, first);
        feed(T, middle);
        feed(T, last);
        // Same addresses and protocol, another identification whose first fragment never came.
        feed(T, fragment4(78, 185, zeros(100)));
        meter.seal();

        final SecondSnapshot s = sealed.get(0);
        assertEquals(Map.of(
            Flow.of(UP, UDP, "10.0.0.2", 5353, "8.8.8.8", 53), List.of(3L, 1514L + 1514 + 82, 1500L + 1500 + 68),
            Flow.of(UP, UDP, "10.0.0.2", 0, "8.8.8.8", 0), List.of(1L, 134L, 120L)), asLists(s));
    }

    @Test
    void shouldForgetFirstFragmentPortsAfterTheReassemblyTimeout() {
        feed(T, fragment4(5, 0x2000, udp(1234, 4321, 100)));
        feed(T + FragmentPorts.MAX_AGE_SECONDS, fragment4(5, 0x2000 | 14, zeros(8)));
        feed(T + 1, fragment4(6, 0x2000, udp(1111, 2222, 100)));
        feed(T + 1 + FragmentPorts.MAX_AGE_SECONDS + 1, fragment4(6, 14, zeros(8)));
        meter.seal();

        final Map<Flow, List<Long>> flows = usageFlows();
        assertEquals(Map.of(
            Flow.of(UP, UDP, "10.0.0.2", 1234, "8.8.8.8", 4321), List.of(2L, 142L + 42, 128L + 28),
            Flow.of(UP, UDP, "10.0.0.2", 1111, "8.8.8.8", 2222), List.of(1L, 142L, 128L),
            Flow.of(UP, UDP, "10.0.0.2", 0, "8.8.8.8", 0), List.of(1L, 42L, 28L)), flows,
            "a fragment " + FragmentPorts.MAX_AGE_SECONDS + " s after its first still joins it, one second later not");
    }

    @Test
    void shouldBillLaterIpv6FragmentsToTheFirstFragmentsPortsAndUnseenOnesToPortZero() {
        final String src = "2001:db8::2";
        final String dst = "2001:db8:1::53";
        // First fragment: fragment header (8) + UDP header (8) + 1224 bytes; later: fragment header + 800 bytes.
        final byte[] first = ipv6(IPV6_FRAGMENT_HEADER, src, dst).payload(fragment(UDP, 0, true, 0xABCDEF01L),
            udp(40000, 53, 1224)).build();
        final byte[] later = ipv6(IPV6_FRAGMENT_HEADER, src, dst).payload(fragment(UDP, 154, false, 0xABCDEF01L),
            zeros(800)).build();
        final byte[] orphan = ipv6(IPV6_FRAGMENT_HEADER, src, dst).payload(fragment(UDP, 154, false, 0x1234L),
            zeros(800)).build();
        feed(T, ethernet(PEER_MAC, ROUTER_MAC, ETHERTYPE_IPV6, first));
        feed(T, ethernet(PEER_MAC, ROUTER_MAC, ETHERTYPE_IPV6, later));
        feed(T, ethernet(PEER_MAC, ROUTER_MAC, ETHERTYPE_IPV6, orphan));
        meter.seal();

        assertEquals(Map.of(
            Flow.of(UP, UDP, src, 40000, dst, 53), List.of(2L, 14L + 1280 + 14 + 848, 1280L + 848),
            Flow.of(UP, UDP, src, 0, dst, 0), List.of(1L, 14L + 848, 848L)), asLists(sealed.get(0)));
    }

    @Test
    void shouldResolveDirectionFromHandleThenLinkHeaderThenOwnMac() {
        final byte[] ip = ipv4(UDP, "10.0.0.2", "8.8.8.8").payload(udp(1, 2, 0)).build(); // 28 bytes
        final byte[] outgoingSll = sll(PACKET_OUTGOING, ETHERTYPE_IPV4, ip);
        final byte[] incomingSll = sll(PACKET_HOST, ETHERTYPE_IPV4, ip);
        final byte[] outgoingSll2 = sll2(ETHERTYPE_IPV4, 3, PACKET_OUTGOING, ip);
        final byte[] incomingSll2 = sll2(ETHERTYPE_IPV4, 3, PACKET_HOST, ip);

        assertEquals(UP, directionOf(DirectionRule.ownMac(ROUTER_MAC), LinkType.EN10MB, udpOut("10.0.0.2", 1,
            "8.8.8.8", 2, 0)));
        assertEquals(DOWN, directionOf(DirectionRule.ownMac(ROUTER_MAC), LinkType.EN10MB, tcpIn("1.1.1.1", 1,
            "10.0.0.2", 2, 0)));
        assertEquals(UNKNOWN, directionOf(DirectionRule.fromLinkHeader(), LinkType.EN10MB, udpOut("10.0.0.2", 1,
            "8.8.8.8", 2, 0)), "an Ethernet savefile says nothing about direction by itself");
        assertEquals(UNKNOWN, directionOf(DirectionRule.ownMac(ROUTER_MAC), LinkType.RAW_FILE, ip),
            "raw IP has no MAC to compare");

        // Cooked headers state the direction; they are believed whatever MAC the rule was given.
        assertEquals(UP, directionOf(DirectionRule.ownMac(PEER_MAC), LinkType.LINUX_SLL, outgoingSll));
        assertEquals(DOWN, directionOf(DirectionRule.ownMac(PEER_MAC), LinkType.LINUX_SLL, incomingSll));
        assertEquals(UP, directionOf(DirectionRule.fromLinkHeader(), LinkType.LINUX_SLL2, outgoingSll2));
        assertEquals(DOWN, directionOf(DirectionRule.fromLinkHeader(), LinkType.LINUX_SLL2, incomingSll2));

        // A handle opened for one direction (pcap_setdirection) overrides everything in the frame.
        assertEquals(DOWN, directionOf(DirectionRule.fixed(DOWN), LinkType.LINUX_SLL, outgoingSll));
        assertEquals(UP, directionOf(DirectionRule.fixed(UP), LinkType.EN10MB, tcpIn("1.1.1.1", 1, "10.0.0.2", 2,
            0)));
        assertEquals(UP, directionOf(DirectionRule.fixed(UP), LinkType.RAW_FILE, ip));
    }

    @Test
    void shouldCountEachDirectionOfACookedCaptureApart() {
        rule = DirectionRule.fromLinkHeader();
        final byte[] ip = ipv4(TCP, "10.0.0.2", "1.1.1.1").payload(tcp(40000, 443, 100)).build(); // 140 bytes
        final byte[] reply = ipv4(TCP, "1.1.1.1", "10.0.0.2").payload(tcp(443, 40000, 500)).build(); // 540 bytes
        feed(T, LinkType.LINUX_SLL2, sll2(ETHERTYPE_IPV4, 3, PACKET_OUTGOING, ip), 160);
        feed(T, LinkType.LINUX_SLL2, sll2(ETHERTYPE_IPV4, 3, PACKET_HOST, reply), 560);
        feed(T, LinkType.LINUX_SLL2, sll2(ETHERTYPE_IPV4, 3, PACKET_HOST, reply), 560);
        meter.seal();

        final SecondSnapshot s = sealed.get(0);
        assertArrayEquals(new long[] {1, 160, 140}, s.total[UP]);
        assertArrayEquals(new long[] {2, 1120, 1080}, s.total[DOWN]);
        assertArrayEquals(new long[] {0, 0, 0}, s.total[UNKNOWN]);
    }

    private int directionOf(final DirectionRule directionRule, final int linkType, final byte[] frame) {
        final NativeFrames frames = NativeFrames.builder().add(linkType, frame).build();
        final int status = decoder.decode(linkType, frames.address(0), frames.capturedLength(0), packet);
        assertEquals(PacketDecoder.IP, status);
        return directionRule.resolve(packet);
    }

    private static byte[] fragment4(final int id, final int flagsAndOffset, final byte[] payload) {
        return ethernet(PEER_MAC, ROUTER_MAC, ETHERTYPE_IPV4,
            ipv4(UDP, "10.0.0.2", "8.8.8.8").id(id).flagsAndOffset(flagsAndOffset).payload(payload).build());
    }

    private Map<Flow, List<Long>> usageFlows() {
        final Map<Flow, List<Long>> flows = new java.util.HashMap<>();
        final FlowTable table = usage.flows();
        for (int i = 0; i < table.size(); i++) {
            final long meta = table.meta(i);
            flows.put(new Flow(FlowMeta.direction(meta), FlowMeta.ipVersion(meta), FlowMeta.protocol(meta),
                table.srcHi(i), table.srcLo(i), FlowMeta.srcPort(meta), table.dstHi(i), table.dstLo(i),
                FlowMeta.dstPort(meta)), List.of(table.packets(i), table.wireBytes(i), table.ipBytes(i)));
        }
        return flows;
    }

    private static Map<Flow, List<Long>> asLists(final SecondSnapshot snapshot) {
        final Map<Flow, List<Long>> flows = new java.util.HashMap<>();
        snapshot.flows.forEach((flow, counts) -> flows.put(flow, List.of(counts[0], counts[1], counts[2])));
        return flows;
    }

    /** flows + overflow + non-IP + unparsed == total, per direction, for packets, wire bytes and IP bytes. */
    static void assertInvariants(final SecondSnapshot s) {
        for (int direction = 0; direction < Direction.COUNT; direction++) {
            final long[] flows = s.flowSum(direction);
            for (int metric = 0; metric < TrafficCounters.METRICS; metric++) {
                assertEquals(s.total[direction][metric], flows[metric] + s.overflow[direction][metric] +
                    s.nonIp[direction][metric] + s.unparsed[direction][metric],
                    "second " + s.epochSecond + ", direction " + Direction.name(direction) + ", metric " + metric);
            }
            assertEquals(0, s.nonIp[direction][IP], "non-IP frames carry no IP bytes");
            assertEquals(0, s.unparsed[direction][IP], "unparsed frames carry no IP bytes");
        }
    }

    @Test
    void shouldHoldASealedSecondUntilTheLabelsKnowItsEndAndLetLatePacketsJoinIt() {
        final long[] readyThrough = {Long.MIN_VALUE};
        meter.holdForLabels(() -> readyThrough[0], 2000);
        final long end = (T + 1) * 1000;
        feed(T, udpOut("10.0.0.2", 5000, "8.8.8.8", 53, 100));
        feed(T + 1, udpOut("10.0.0.2", 5000, "8.8.8.8", 53, 100)); // seals T: held, not handed over
        assertTrue(sealed.isEmpty());
        // A packet of T that the kernel delivered late: it joins T instead of making T a second time.
        feed(T, udpOut("10.0.0.2", 5001, "8.8.8.8", 53, 10));
        meter.sealIfDue(end + 100, 250);
        assertTrue(sealed.isEmpty(), "labels not read past T's end yet");
        readyThrough[0] = end - 1;
        meter.sealIfDue(end + 120, 250);
        assertTrue(sealed.isEmpty(), "a read that began before T ended may miss T's connections");
        readyThrough[0] = end + 125;
        meter.sealIfDue(end + 130, 250);
        assertEquals(1, sealed.size());
        assertEquals(T, sealed.get(0).epochSecond);
        assertEquals(2, sealed.get(0).total[UP][PACKETS]);
        assertEquals(142 + 52, sealed.get(0).total[UP][WIRE]);
        assertEquals(2, sealed.get(0).flows.size());
        // T + 1 is still open, and reaches the sink at the end like any other.
        meter.seal();
        assertEquals(List.of(T, T + 1), sealed.stream().map(second -> second.epochSecond).toList());
        assertEquals(142 + 52 + 142, usage.total().get(UP, WIRE));
    }

    @Test
    void shouldNotHoldLongerThanTheBoundOrPastTheNextSecond() {
        meter.holdForLabels(() -> Long.MIN_VALUE, 500); // labels that never become ready
        feed(T, udpOut("10.0.0.2", 5000, "8.8.8.8", 53, 100));
        feed(T + 1, udpOut("10.0.0.2", 5000, "8.8.8.8", 53, 100));
        meter.sealIfDue((T + 1) * 1000 + 499, 250);
        assertTrue(sealed.isEmpty());
        meter.sealIfDue((T + 1) * 1000 + 500, 250);
        assertEquals(List.of(T), sealed.stream().map(second -> second.epochSecond).toList());
        // T + 2 seals T + 1 into the hold; T + 3 forces T + 1 out, whatever the labels say, and holds T + 2.
        feed(T + 2, udpOut("10.0.0.2", 5000, "8.8.8.8", 53, 100));
        assertEquals(List.of(T), sealed.stream().map(second -> second.epochSecond).toList());
        feed(T + 3, udpOut("10.0.0.2", 5000, "8.8.8.8", 53, 100));
        assertEquals(List.of(T, T + 1), sealed.stream().map(second -> second.epochSecond).toList());
        meter.seal();
        assertEquals(List.of(T, T + 1, T + 2, T + 3), sealed.stream().map(second -> second.epochSecond).toList());
        assertEquals(4 * 142, usage.total().get(UP, WIRE));
    }
}
