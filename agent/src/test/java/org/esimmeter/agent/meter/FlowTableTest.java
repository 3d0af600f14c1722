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
import static org.esimmeter.agent.frames.Frames.ppp;
import static org.esimmeter.agent.frames.Frames.sll;
import static org.esimmeter.agent.frames.Frames.sll2;
import static org.esimmeter.agent.frames.Frames.tcp;
import static org.esimmeter.agent.frames.Frames.truncate;
import static org.esimmeter.agent.frames.Frames.udp;
import static org.esimmeter.agent.frames.Frames.zeros;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.esimmeter.agent.decode.DecodedPacket;
import org.esimmeter.wire.Direction;
import org.esimmeter.agent.decode.LinkType;
import org.esimmeter.agent.decode.PacketDecoder;
import org.esimmeter.agent.frames.NativeFrames;
import org.esimmeter.wire.TrafficCounters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FlowTableTest {
    private static final long V4_MAPPED = 0x0000_FFFF_0000_0000L;

    /** Five-long key as the table sees it. */
    private record Key(long srcHi, long srcLo, long dstHi, long dstLo, long meta) {
    }

    /**
     * The specification written plainly: the first {@code maxFlows} distinct keys get their own counters, every
     * later distinct key counts in the overflow of its direction.
     */
    private static final class ReferenceModel {
        final int maxFlows;
        final Map<Key, long[]> flows = new LinkedHashMap<>();
        final long[][] overflow = new long[Direction.COUNT][3];
        final long[] everything = new long[3];

        ReferenceModel(final int maxFlows) {
            this.maxFlows = maxFlows;
        }

        void add(final Key key, final long packets, final long wire, final long ip) {
            everything[0] += packets;
            everything[1] += wire;
            everything[2] += ip;
            long[] counters = flows.get(key);
            if (counters == null) {
                if (flows.size() >= maxFlows) {
                    final long[] bucket = overflow[FlowMeta.direction(key.meta)];
                    bucket[0] += packets;
                    bucket[1] += wire;
                    bucket[2] += ip;
                    return;
                }
                counters = new long[3];
                flows.put(key, counters);
            }
            counters[0] += packets;
            counters[1] += wire;
            counters[2] += ip;
        }
    }

    private static void add(final FlowTable table, final ReferenceModel model, final Key key, final long packets,
        final long wire, final long ip) {
        table.add(key.srcHi, key.srcLo, key.dstHi, key.dstLo, key.meta, packets, wire, ip);
        model.add(key, packets, wire, ip);
    }

    /** Same flows, same order (the table lists flows in insertion order), same counters, same overflow. */
    private static void assertMatches(final ReferenceModel model, final FlowTable table) {
        assertEquals(model.flows.size(), table.size(), "flows held");
        int index = 0;
        final long[] sum = new long[3];
        for (final Map.Entry<Key, long[]> flow : model.flows.entrySet()) {
            final Key key = flow.getKey();
            final Key actual = new Key(table.srcHi(index), table.srcLo(index), table.dstHi(index),
                table.dstLo(index), table.meta(index));
            assertEquals(key, actual, "flow at index " + index);
            assertEquals(flow.getValue()[0], table.packets(index), "packets of " + key);
            assertEquals(flow.getValue()[1], table.wireBytes(index), "wire bytes of " + key);
            assertEquals(flow.getValue()[2], table.ipBytes(index), "IP bytes of " + key);
            sum[0] += table.packets(index);
            sum[1] += table.wireBytes(index);
            sum[2] += table.ipBytes(index);
            index++;
        }
        for (int direction = 0; direction < Direction.COUNT; direction++) {
            for (int metric = 0; metric < 3; metric++) {
                assertEquals(model.overflow[direction][metric], table.overflow().get(direction, metric),
                    "overflow " + Direction.name(direction) + " metric " + metric);
            }
        }
        for (int metric = 0; metric < 3; metric++) {
            assertEquals(model.everything[metric], sum[metric] + table.overflow().sum(metric),
                "flows + overflow == everything added, metric " + metric);
        }
    }

    private static Key randomKey(final SplittableRandom random) {
        final boolean v6 = random.nextBoolean();
        final long srcHi = v6 ? random.nextLong() : 0;
        final long srcLo = v6 ? random.nextLong() : V4_MAPPED | random.nextInt(0, 1 << 16);
        final long dstHi = v6 ? random.nextLong() : 0;
        final long dstLo = v6 ? random.nextLong() : V4_MAPPED | random.nextInt(0, 1 << 16);
        return new Key(srcHi, srcLo, dstHi, dstLo, FlowMeta.pack(v6 ? 6 : 4, random.nextBoolean() ? TCP : UDP,
            random.nextInt(1 << 16), random.nextInt(1 << 16), random.nextInt(Direction.COUNT)));
    }

    @Test
    void shouldAddAndReadBackExactCounters() {
        final FlowTable table = new FlowTable(16, 1024);
        final long meta = FlowMeta.pack(4, TCP, 51970, 5201, Direction.UP);
        table.add(0, V4_MAPPED | 0x0A000001L, 0, V4_MAPPED | 0x0A000002L, meta, 1, 1514, 1500);
        table.add(0, V4_MAPPED | 0x0A000001L, 0, V4_MAPPED | 0x0A000002L, meta, 2, 120, 92);

        assertEquals(1, table.size());
        assertEquals(0, table.srcHi(0));
        assertEquals(V4_MAPPED | 0x0A000001L, table.srcLo(0));
        assertEquals(0, table.dstHi(0));
        assertEquals(V4_MAPPED | 0x0A000002L, table.dstLo(0));
        assertEquals(meta, table.meta(0));
        assertEquals(3, table.packets(0));
        assertEquals(1634, table.wireBytes(0));
        assertEquals(1592, table.ipBytes(0));
        assertTrue(table.overflow().isEmpty());
        assertEquals(6, FlowMeta.protocol(table.meta(0)));
        assertEquals(51970, FlowMeta.srcPort(table.meta(0)));
        assertEquals(5201, FlowMeta.dstPort(table.meta(0)));
        assertEquals(4, FlowMeta.ipVersion(table.meta(0)));
        assertEquals(Direction.UP, FlowMeta.direction(table.meta(0)));
    }

    @Test
    void shouldPackEveryFieldOfTheMetaWithoutSpilling() {
        final long meta = FlowMeta.pack(6, 255, 65535, 65535, Direction.UNKNOWN);
        assertEquals(6, FlowMeta.ipVersion(meta));
        assertEquals(255, FlowMeta.protocol(meta));
        assertEquals(65535, FlowMeta.srcPort(meta));
        assertEquals(65535, FlowMeta.dstPort(meta));
        assertEquals(Direction.UNKNOWN, FlowMeta.direction(meta));
        final long zero = FlowMeta.pack(4, 0, 0, 0, Direction.UP);
        assertFalse(zero == 0, "an occupied slot never looks empty, even for protocol 0 without ports");
        assertEquals(Direction.DOWN, FlowMeta.direction(FlowMeta.withDirection(meta, Direction.DOWN)));
        assertEquals(65535, FlowMeta.srcPort(FlowMeta.withDirection(meta, Direction.DOWN)));
    }

    @Test
    void shouldKeepEveryCounterWhileGrowingFromSmallToMax() {
        final int maxFlows = 100_000;
        final FlowTable table = new FlowTable(1, maxFlows);
        final ReferenceModel model = new ReferenceModel(maxFlows);
        final long initialFootprint = table.footprintBytes();
        final SplittableRandom random = new SplittableRandom(7);
        final List<Key> keys = new ArrayList<>();
        for (int i = 0; i < maxFlows; i++) {
            final Key key = randomKey(random);
            keys.add(key);
            add(table, model, key, 1, 100 + i % 1400, 80 + i % 1400);
            // Touch an older flow too, so counters moved by every doubling keep being added to.
            final Key old = keys.get(random.nextInt(keys.size()));
            add(table, model, old, 1, 64, 40);
        }
        assertMatches(model, table);
        assertEquals(model.flows.size(), table.size());
        assertTrue(table.footprintBytes() > initialFootprint * 1000, "the table grew: " + table.footprintBytes());
    }

    @ParameterizedTest(name = "{0} distinct flows into a table of 1000")
    @ValueSource(ints = {1, 999, 1000, 1001, 10_000})
    void shouldKeepTotalsExactAtAnyFlowCount(final int distinctFlows) {
        final int maxFlows = 1000;
        final FlowTable table = new FlowTable(16, maxFlows);
        final ReferenceModel model = new ReferenceModel(maxFlows);
        final SplittableRandom random = new SplittableRandom(distinctFlows);
        final Key[] keys = new Key[distinctFlows];
        for (int i = 0; i < distinctFlows; i++) {
            keys[i] = randomKey(random);
        }
        for (int i = 0; i < 50_000; i++) {
            // First every key in order, then at random: known flows keep counting after the table is full.
            final Key key = i < distinctFlows ? keys[i] : keys[random.nextInt(distinctFlows)];
            add(table, model, key, 1 + random.nextInt(3), random.nextInt(60, 65_536), random.nextInt(20, 65_536));
        }
        assertMatches(model, table);
        assertEquals(Math.min(distinctFlows, maxFlows), table.size());
        assertEquals(distinctFlows > maxFlows, !table.overflow().isEmpty());
    }

    @Test
    void shouldSendNewFlowsToOverflowByDirectionOnceFullWhileKnownFlowsKeepCounting() {
        final FlowTable table = new FlowTable(2, 3);
        final long[] src = {V4_MAPPED | 1, V4_MAPPED | 2, V4_MAPPED | 3, V4_MAPPED | 4, V4_MAPPED | 5};
        for (int i = 0; i < 3; i++) {
            table.add(0, src[i], 0, V4_MAPPED | 9, FlowMeta.pack(4, UDP, 1, 2, Direction.UP), 1, 100, 80);
        }
        table.add(0, src[3], 0, V4_MAPPED | 9, FlowMeta.pack(4, UDP, 1, 2, Direction.UP), 1, 200, 180);
        table.add(0, src[4], 0, V4_MAPPED | 9, FlowMeta.pack(4, UDP, 1, 2, Direction.DOWN), 2, 300, 280);
        table.add(0, src[0], 0, V4_MAPPED | 9, FlowMeta.pack(4, UDP, 1, 2, Direction.UP), 1, 50, 30);

        assertEquals(3, table.size());
        assertEquals(2, table.packets(0));
        assertEquals(150, table.wireBytes(0));
        assertEquals(110, table.ipBytes(0));
        assertEquals(1, table.overflow().get(Direction.UP, TrafficCounters.PACKETS));
        assertEquals(200, table.overflow().get(Direction.UP, TrafficCounters.WIRE_BYTES));
        assertEquals(180, table.overflow().get(Direction.UP, TrafficCounters.IP_BYTES));
        assertEquals(2, table.overflow().get(Direction.DOWN, TrafficCounters.PACKETS));
        assertEquals(300, table.overflow().get(Direction.DOWN, TrafficCounters.WIRE_BYTES));
        assertEquals(280, table.overflow().get(Direction.DOWN, TrafficCounters.IP_BYTES));
    }

    @Test
    void shouldBeEmptyAndReusableAfterClear() {
        final int maxFlows = 500;
        final FlowTable table = new FlowTable(16, maxFlows);
        final SplittableRandom random = new SplittableRandom(3);
        final Key[] keys = new Key[2000];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = randomKey(random);
        }
        for (int round = 0; round < 3; round++) {
            final ReferenceModel model = new ReferenceModel(maxFlows);
            // Each round starts at another key, so flows that overflowed before now get a slot, and vice versa.
            for (int i = 0; i < 20_000; i++) {
                add(table, model, keys[(round * 700 + i) % keys.length], 1, 10 + round, 5 + round);
            }
            assertMatches(model, table);
            final long footprint = table.footprintBytes();
            table.clear();
            assertEquals(0, table.size());
            assertTrue(table.overflow().isEmpty());
            assertEquals(footprint, table.footprintBytes(), "clear keeps the capacity");
        }
        final ReferenceModel model = new ReferenceModel(maxFlows);
        add(table, model, keys[0], 1, 60, 40);
        assertMatches(model, table);
    }

    @Test
    void shouldKeepKeysThatDifferInOneFieldApart() {
        final long ip1 = V4_MAPPED | 0xC0A80001L;
        final long ip2 = V4_MAPPED | 0xC0A80002L;
        final List<Key> keys = List.of(
            new Key(0, ip1, 0, ip2, FlowMeta.pack(4, TCP, 1000, 80, Direction.UP)),
            // The same 128 bits as an IPv4-mapped IPv6 address in an IPv6 header: another flow.
            new Key(0, ip1, 0, ip2, FlowMeta.pack(6, TCP, 1000, 80, Direction.UP)),
            new Key(0, ip1, 0, ip2, FlowMeta.pack(4, TCP, 1000, 80, Direction.DOWN)),
            new Key(0, ip1, 0, ip2, FlowMeta.pack(4, TCP, 1000, 80, Direction.UNKNOWN)),
            new Key(0, ip1, 0, ip2, FlowMeta.pack(4, UDP, 1000, 80, Direction.UP)),
            new Key(0, ip1, 0, ip2, FlowMeta.pack(4, TCP, 80, 1000, Direction.UP)),
            new Key(0, ip1, 0, ip2, FlowMeta.pack(4, TCP, 1001, 80, Direction.UP)),
            new Key(0, ip1, 0, ip2, FlowMeta.pack(4, TCP, 1000, 81, Direction.UP)),
            new Key(0, ip2, 0, ip1, FlowMeta.pack(4, TCP, 1000, 80, Direction.UP)),
            new Key(1, ip1, 0, ip2, FlowMeta.pack(6, TCP, 1000, 80, Direction.UP)),
            new Key(0, ip1, 1, ip2, FlowMeta.pack(6, TCP, 1000, 80, Direction.UP)),
            new Key(0, 0, 0, 0, FlowMeta.pack(4, 0, 0, 0, Direction.UP)));
        final FlowTable table = new FlowTable(1, 64);
        final ReferenceModel model = new ReferenceModel(64);
        for (int round = 1; round <= 3; round++) {
            for (int i = 0; i < keys.size(); i++) {
                add(table, model, keys.get(i), 1, 1000 * round + i, 100 * round + i);
            }
        }
        assertEquals(new java.util.HashSet<>(keys).size(), table.size(), "every distinct key has its own flow");
        assertMatches(model, table);
    }

    @Test
    void shouldRejectATableThatHoldsNothing() {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new FlowTable(16, 0));
        assertEquals("maxFlows : 0 (expected: >= 1)", e.getMessage());
    }

    // ---------------------------------------------------------------------------------------------------------
    // The hot loop allocates nothing per packet.

    /** Reads what a shipper reads, allocating nothing: totals and every flow's key and counters. */
    private static final class ReadingSink implements SecondSink {
        long seconds;
        long packets;
        long bucketedPackets;
        long keyDigest;

        @Override
        public void onSecond(final SecondRecord second) {
            seconds++;
            packets += second.total().sum(TrafficCounters.PACKETS);
            final FlowTable flows = second.flows();
            for (int i = 0; i < flows.size(); i++) {
                bucketedPackets += flows.packets(i);
                keyDigest += flows.srcHi(i) ^ flows.srcLo(i) ^ flows.dstHi(i) ^ flows.dstLo(i) ^ flows.meta(i) ^
                    flows.wireBytes(i) ^ flows.ipBytes(i);
            }
            bucketedPackets += flows.overflow().sum(TrafficCounters.PACKETS) +
                second.nonIp().sum(TrafficCounters.PACKETS) + second.unparsed().sum(TrafficCounters.PACKETS);
        }
    }

    /** The capture thread's per-packet work, with the frames already in memory: decode, direction, attribute. */
    private static final class HotLoop {
        private final NativeFrames frames;
        private final PacketDecoder decoder = new PacketDecoder();
        private final DecodedPacket packet = new DecodedPacket();
        private final DirectionRule ownMac = DirectionRule.ownMac(ROUTER_MAC);
        private final InterfaceMeter meter;

        HotLoop(final NativeFrames frames, final SecondSink sink) {
            this.frames = frames;
            // Small at first: the table must reach its working size during the warm-up, then stop growing.
            this.meter = new InterfaceMeter("wwan0", "esim-a", new FlowTable(16, 1 << 16), new FragmentPorts(4096),
                sink);
        }

        /** @param firstPacket packet number of the run's first packet; its second is derived from it */
        void run(final long firstPacket, final int packets) {
            final NativeFrames frames = this.frames;
            final int count = frames.count();
            for (long n = firstPacket; n < firstPacket + packets; n++) {
                final int i = (int) (n % count);
                final int linkType = frames.linkType(i);
                final int status = decoder.decode(linkType, frames.address(i), frames.capturedLength(i), packet);
                meter.account(EPOCH + n / PACKETS_PER_SECOND, frames.wireLength(i), status, packet,
                    ownMac.resolve(packet));
            }
            meter.sealIfDue((EPOCH + (firstPacket + packets) / PACKETS_PER_SECOND + 1) * 1000 + 250, 250);
        }
    }

    private static final long ROUTER_MAC = 0x02_00_00_00_00_01L;
    private static final long PEER_MAC = 0x02_00_00_00_00_02L;
    private static final long EPOCH = 1_764_280_800L;
    private static final int PACKETS_PER_SECOND = 10_000;

    /** Several link types, many flows, IPv4 and IPv6 fragments, non-IP and truncated frames. */
    static NativeFrames corpus(final int flows) {
        final NativeFrames.Builder builder = NativeFrames.builder();
        for (int f = 0; f < flows; f++) {
            final String client = "10.0." + (f >> 8 & 0xFF) + "." + (f & 0xFF);
            final String client6 = "2001:db8::" + Integer.toHexString(f + 1);
            final int port = 1024 + f;
            switch (f % 8) {
                case 0 -> builder.add(LinkType.EN10MB, ethernet(PEER_MAC, ROUTER_MAC, ETHERTYPE_IPV4,
                    ipv4(TCP, client, "93.184.216.34").payload(tcp(port, 443, 1200)).build()));
                case 1 -> builder.add(LinkType.EN10MB, ethernet(ROUTER_MAC, PEER_MAC, ETHERTYPE_IPV6,
                    ipv6(UDP, "2001:db8:ffff::1", client6).payload(udp(443, port, 1200)).build()));
                case 2 -> builder.add(LinkType.RAW_FILE,
                    ipv4(UDP, client, "8.8.8.8").payload(udp(port, 53, 40)).build(), 68);
                case 3 -> builder.add(LinkType.LINUX_SLL, sll(f % 16 == 3 ? PACKET_OUTGOING : PACKET_HOST,
                    ETHERTYPE_IPV4, ipv4(TCP, "1.1.1.1", client).payload(tcp(443, port, 0)).build()));
                case 4 -> builder.add(LinkType.LINUX_SLL2, sll2(ETHERTYPE_IPV6, 4, PACKET_OUTGOING,
                    ipv6(TCP, client6, "2001:db8:ffff::2").payload(tcp(port, 80, 64)).build()));
                case 5 -> builder.add(LinkType.PPP, ppp(0x0021, ipv4(1, client, "9.9.9.9").payload(zeros(56)).build()));
                case 6 -> {
                    // A datagram in two IPv4 fragments, and another in two IPv6 fragments.
                    builder.add(LinkType.EN10MB, ethernet(PEER_MAC, ROUTER_MAC, ETHERTYPE_IPV4,
                        ipv4(UDP, client, "9.9.9.9").id(f).flagsAndOffset(0x2000).payload(udp(port, 4500, 1472))
                            .build()));
                    builder.add(LinkType.EN10MB, ethernet(PEER_MAC, ROUTER_MAC, ETHERTYPE_IPV4,
                        ipv4(UDP, client, "9.9.9.9").id(f).flagsAndOffset(185).payload(zeros(300)).build()));
                    builder.add(LinkType.RAW_FILE, ipv6(IPV6_FRAGMENT_HEADER, client6, "2001:db8:ffff::3")
                        .payload(fragment(UDP, 0, true, f), udp(port, 4500, 1000)).build());
                    builder.add(LinkType.RAW_FILE, ipv6(IPV6_FRAGMENT_HEADER, client6, "2001:db8:ffff::3")
                        .payload(fragment(UDP, 126, false, f), zeros(200)).build());
                }
                default -> {
                    builder.add(LinkType.EN10MB, ethernetPadded(PEER_MAC, ROUTER_MAC, ETHERTYPE_ARP, zeros(28)));
                    builder.add(LinkType.EN10MB, truncate(ethernet(ROUTER_MAC, PEER_MAC, ETHERTYPE_IPV4,
                        ipv4(TCP, "1.1.1.1", client).payload(tcp(443, port, 0)).build()), 24), 54);
                }
            }
        }
        return builder.build();
    }

    @Test
    void shouldAllocateNothingPerPacketInSteadyState() {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assertTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled(),
            "this JVM cannot count a thread's allocations");
        final NativeFrames frames = corpus(8192);
        final ReadingSink sink = new ReadingSink();
        final HotLoop loop = new HotLoop(frames, sink);
        final int packets = 1_000_000;

        // Warm-up: the JIT compiles the loop and the flow table reaches its working size.
        long next = 0;
        for (int round = 0; round < 5; round++) {
            loop.run(next, packets);
            next += packets;
        }

        // What reading the counter costs by itself, measured the same way (0 on HotSpot 17, which reads a
        // per-thread field); called a few times first so that no one-time initialisation is measured.
        for (int i = 0; i < 3; i++) {
            threads.getCurrentThreadAllocatedBytes();
        }
        final long probeBefore = threads.getCurrentThreadAllocatedBytes();
        final long probeAfter = threads.getCurrentThreadAllocatedBytes();
        final long probeCost = probeAfter - probeBefore;

        final long secondsBefore = sink.seconds;
        final long packetsBefore = sink.packets;
        final long before = threads.getCurrentThreadAllocatedBytes();
        loop.run(next, packets);
        final long after = threads.getCurrentThreadAllocatedBytes();

        assertEquals(0, after - before - probeCost,
            "bytes allocated by " + packets + " packets in steady state (probe cost " + probeCost + " B)");
        assertEquals(packets / PACKETS_PER_SECOND, sink.seconds - secondsBefore, "seconds sealed while measuring");
        assertEquals(packets, sink.packets - packetsBefore, "every packet reached a sealed second");
        assertEquals(sink.packets, sink.bucketedPackets, "flows + overflow + non-IP + unparsed == total");
        assertTrue(sink.keyDigest != 0, "the sink read the flows");
    }
}
