package org.esimmeter.agent.meter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.util.internal.PlatformDependent;
import java.nio.ByteBuffer;
import java.util.List;
import org.esimmeter.agent.decode.DecodedPacket;
import org.esimmeter.wire.Direction;
import org.esimmeter.agent.decode.LinkType;
import org.esimmeter.agent.decode.PacketDecoder;
import org.junit.jupiter.api.Test;

class InterfaceMetricsTest {
    /** A raw-IP IPv4/UDP packet of {@code totalLength} bytes, 192.0.2.1:5000 -> 198.51.100.7:53. */
    private static ByteBuffer udpPacket(final int totalLength) {
        final ByteBuffer frame = ByteBuffer.allocateDirect(totalLength);
        frame.put(0, (byte) 0x45);
        frame.putShort(2, (short) totalLength);
        frame.put(8, (byte) 64);
        frame.put(9, (byte) 17);
        frame.put(12, (byte) 192).put(13, (byte) 0).put(14, (byte) 2).put(15, (byte) 1);
        frame.put(16, (byte) 198).put(17, (byte) 51).put(18, (byte) 100).put(19, (byte) 7);
        frame.putShort(20, (short) 5000).putShort(22, (short) 53);
        return frame;
    }

    @Test
    void shouldExposeSealedTrafficByDirectionAndTheSummaryLine() {
        final InterfaceMeter meter = new InterfaceMeter("wwan0", "esim-eu", new FlowTable(16, 64),
            new FragmentPorts(16), second -> { });
        final SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new InterfaceMetrics(List.of(meter)).bindTo(registry);

        final PacketDecoder decoder = new PacketDecoder();
        final DecodedPacket packet = new DecodedPacket();
        final ByteBuffer small = udpPacket(100);
        final ByteBuffer large = udpPacket(1400);
        final long smallAddress = PlatformDependent.directBufferAddress(small);
        final long largeAddress = PlatformDependent.directBufferAddress(large);
        for (int i = 0; i < 3; i++) {
            meter.account(1_000, 100, decoder.decode(LinkType.RAW_FILE, smallAddress, 100, packet), packet,
                Direction.UP);
        }
        meter.account(1_001, 1400, decoder.decode(LinkType.RAW_FILE, largeAddress, 1400, packet), packet,
            Direction.DOWN);
        meter.account(1_001, 40, decoder.decode(LinkType.RAW_FILE, smallAddress, 10, packet), packet,
            Direction.DOWN);

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
        assertTrue(summary.startsWith("wwan0 (esim-eu): up 3 packets 300 bytes, down 2 packets 1440 bytes, " +
            "unparsed 1, overflow 0, pcap dropped 2"), summary);
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
