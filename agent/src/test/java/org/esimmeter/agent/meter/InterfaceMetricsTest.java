package org.esimmeter.agent.meter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import org.esimmeter.agent.decode.DecodedPacket;
import org.esimmeter.wire.Direction;
import org.esimmeter.agent.decode.LinkType;
import org.esimmeter.agent.decode.PacketDecoder;
import org.esimmeter.agent.frames.Frames;
import org.esimmeter.agent.frames.NativeFrames;
import org.esimmeter.wire.TrafficCounters;
import org.junit.jupiter.api.Test;

class InterfaceMetricsTest {
    @Test
    void shouldExposeSealedTrafficByDirectionAndTheSummaryLine() {
        final InterfaceMeter meter = new InterfaceMeter("wwan0", "esim-eu", new FlowTable(16, 64),
            new FragmentPorts(16), second -> { });
        final SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new InterfaceMetrics(List.of(meter)).bindTo(registry);

        final PacketDecoder decoder = new PacketDecoder();
        final DecodedPacket packet = new DecodedPacket();
        // Raw-IP UDP packets of 100 and 1400 bytes (IP header 20 + UDP 8 + payload), 192.0.2.1:5000 -> :53.
        final NativeFrames frames = NativeFrames.builder()
            .add(LinkType.RAW_FILE, udpPacket(100 - 28))
            .add(LinkType.RAW_FILE, udpPacket(1400 - 28))
            .build();
        final long small = frames.address(0);
        final long large = frames.address(1);
        for (int i = 0; i < 3; i++) {
            meter.account(1_000, 100, decoder.decode(LinkType.RAW_FILE, small, 100, packet), packet, Direction.UP);
        }
        meter.account(1_001, 1400, decoder.decode(LinkType.RAW_FILE, large, 1400, packet), packet, Direction.DOWN);
        // A capture cut inside the IP header: unparsed, billed by its wire length.
        meter.account(1_001, 40, decoder.decode(LinkType.RAW_FILE, small, 10, packet), packet, Direction.DOWN);

        // Only sealed seconds count: second 1001 is still open.
        assertEquals(3, counter(registry, "esimmeter.agent.packets", "up"));
        assertEquals(300, counter(registry, "esimmeter.agent.wire.bytes", "up"));
        assertEquals(0, counter(registry, "esimmeter.agent.packets", "down"));

        meter.seal();
        meter.captureStatistics(7, 2);
        assertEquals(2, counter(registry, "esimmeter.agent.packets", "down"));
        assertEquals(1440, counter(registry, "esimmeter.agent.wire.bytes", "down"));
        assertEquals(1400, counter(registry, "esimmeter.agent.ip.bytes", "down"));
        assertEquals(1, counter(registry, "esimmeter.agent.unparsed.packets", null));
        assertEquals(2, counter(registry, "esimmeter.agent.pcap.dropped", null));
        final String summary = InterfaceMetrics.summary(registry, meter);
        // Second 1001 held one flow (the unparsed frame has none), as did 1000.
        assertEquals("wwan0 (esim-eu): up 3 packets 300 bytes, down 2 packets 1440 bytes, unparsed 1, overflow 0, " +
            "pcap dropped 2, flows 1 (peak 1 of 64)", summary);
    }

    @Test
    void shouldExposeUncapturedTrafficAndMentionItInTheSummaryOnlyWhenThereIsSome() {
        final InterfaceMeter meter = new InterfaceMeter("wwan0", "esim-eu", new FlowTable(16, 64),
            new FragmentPorts(16), second -> { });
        final SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new InterfaceMetrics(List.of(meter)).bindTo(registry);
        assertTrue(InterfaceMetrics.summary(registry, meter).startsWith(
            "wwan0 (esim-eu): up 0 packets 0 bytes, down 0 packets 0 bytes, unparsed 0,"),
            InterfaceMetrics.summary(registry, meter));

        final TrafficCounters hidden = new TrafficCounters();
        hidden.add(Direction.UP, 3, 4200, 4200);
        hidden.add(Direction.DOWN, 10, 15000, 15000);
        meter.addUncaptured(hidden, 1_000_000_100L);
        assertEquals(0, counter(registry, "esimmeter.agent.uncaptured.bytes", "up"), "only sealed seconds count");
        meter.sealIfDue(1_000_001_250L, 250);
        assertEquals(3, counter(registry, "esimmeter.agent.uncaptured.packets", "up"));
        assertEquals(4200, counter(registry, "esimmeter.agent.uncaptured.bytes", "up"));
        assertEquals(10, counter(registry, "esimmeter.agent.uncaptured.packets", "down"));
        assertEquals(15000, counter(registry, "esimmeter.agent.uncaptured.bytes", "down"));
        assertEquals(0, counter(registry, "esimmeter.agent.wire.bytes", "down"), "not part of the total");
        assertEquals(1, meter.secondsSealed(), "a second of uncaptured traffic only is sealed");
        assertEquals("wwan0 (esim-eu): up 0 packets 0 bytes, down 0 packets 0 bytes, uncaptured (kernel counters " +
            "minus capture) up 3 packets 4200 bytes, down 10 packets 15000 bytes, unparsed 0, overflow 0, " +
            "pcap dropped 0, flows 0 (peak 0 of 64)", InterfaceMetrics.summary(registry, meter));
    }

    @Test
    void shouldExposeFlowTableOccupancyAndOverflowBytesReadFromSealedSeconds() {
        // A table of 4 flows per second: 6 flows in second 1000 fill it, the last 2 go to overflow.
        final InterfaceMeter meter = new InterfaceMeter("wwan0", "esim-eu", new FlowTable(2, 4),
            new FragmentPorts(16), second -> { });
        final SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new InterfaceMetrics(List.of(meter)).bindTo(registry);
        final PacketDecoder decoder = new PacketDecoder();
        final DecodedPacket packet = new DecodedPacket();
        final NativeFrames.Builder builder = NativeFrames.builder();
        for (int port = 5000; port < 5006; port++) {
            builder.add(LinkType.RAW_FILE, Frames.ipv4(Frames.UDP, "192.0.2.1", "198.51.100.7")
                .payload(Frames.udp(port, 53, 100 - 28)).build());
        }
        final NativeFrames frames = builder.build();
        assertEquals(4, gauge(registry, "esimmeter.agent.flows.limit"));
        assertEquals(0, gauge(registry, "esimmeter.agent.flows"));

        for (int i = 0; i < 6; i++) {
            meter.account(1_000, 100, decoder.decode(LinkType.RAW_FILE, frames.address(i), 100, packet), packet,
                Direction.UP);
        }
        assertEquals(0, gauge(registry, "esimmeter.agent.flows"), "second 1000 is still open");
        meter.sealIfDue(1_001_250, 250);
        assertEquals(4, gauge(registry, "esimmeter.agent.flows"));
        assertEquals(4, gauge(registry, "esimmeter.agent.flows.peak"));
        assertEquals(2, counter(registry, "esimmeter.agent.overflow.packets", null));
        assertEquals(200, counter(registry, "esimmeter.agent.overflow.bytes", null));

        // Second 1001: one flow, twice. The peak stays; the occupancy is the last second's.
        meter.account(1_001, 100, decoder.decode(LinkType.RAW_FILE, frames.address(0), 100, packet), packet,
            Direction.UP);
        meter.account(1_001, 100, decoder.decode(LinkType.RAW_FILE, frames.address(0), 100, packet), packet,
            Direction.UP);
        meter.sealIfDue(1_002_250, 250);
        assertEquals(1, gauge(registry, "esimmeter.agent.flows"));
        assertEquals(4, gauge(registry, "esimmeter.agent.flows.peak"));
        assertTrue(InterfaceMetrics.summary(registry, meter).endsWith(
            "unparsed 0, overflow 2, pcap dropped 0, flows 1 (peak 4 of 4)"),
            InterfaceMetrics.summary(registry, meter));
        // Second 1002 passes without a packet: once it would have been sealed, no flow is in the last second.
        meter.sealIfDue(1_003_249, 250);
        assertEquals(1, gauge(registry, "esimmeter.agent.flows"));
        meter.sealIfDue(1_003_250, 250);
        assertEquals(0, gauge(registry, "esimmeter.agent.flows"));
        assertEquals(4, gauge(registry, "esimmeter.agent.flows.peak"));
    }

    private static double gauge(final SimpleMeterRegistry registry, final String name) {
        return registry.get(name).tag("interface", "wwan0").tag("profile", "esim-eu").gauge().value();
    }

    private static byte[] udpPacket(final int payloadLength) {
        return Frames.ipv4(Frames.UDP, "192.0.2.1", "198.51.100.7")
            .payload(Frames.udp(5000, 53, payloadLength))
            .build();
    }

    private static double counter(final SimpleMeterRegistry registry, final String name, final String direction) {
        var search = registry.find(name).tag("interface", "wwan0").tag("profile", "esim-eu");
        if (direction != null) {
            search = search.tag("direction", direction);
        }
        final FunctionCounter counter = search.functionCounter();
        return counter.count();
    }
}
