package org.esimmeter.agent.output;

import static org.esimmeter.agent.frames.Frames.ETHERTYPE_ARP;
import static org.esimmeter.agent.frames.Frames.ETHERTYPE_IPV4;
import static org.esimmeter.agent.frames.Frames.ETHERTYPE_IPV6;
import static org.esimmeter.agent.frames.Frames.TCP;
import static org.esimmeter.agent.frames.Frames.UDP;
import static org.esimmeter.agent.frames.Frames.ethernet;
import static org.esimmeter.agent.frames.Frames.ethernetPadded;
import static org.esimmeter.agent.frames.Frames.ipv4;
import static org.esimmeter.agent.frames.Frames.ipv6;
import static org.esimmeter.agent.frames.Frames.tcp;
import static org.esimmeter.agent.frames.Frames.truncate;
import static org.esimmeter.agent.frames.Frames.udp;
import static org.esimmeter.agent.frames.Frames.zeros;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.esimmeter.agent.decode.DecodedPacket;
import org.esimmeter.agent.decode.LinkType;
import org.esimmeter.agent.decode.PacketDecoder;
import org.esimmeter.agent.frames.NativeFrames;
import org.esimmeter.agent.meter.DirectionRule;
import org.esimmeter.agent.meter.FlowTable;
import org.esimmeter.agent.meter.FragmentPorts;
import org.esimmeter.agent.meter.InterfaceMeter;
import org.junit.jupiter.api.Test;

class JsonLinesSinkTest {
    private static final long T = 1_764_280_800L;
    private static final long ROUTER_MAC = 0x02_00_00_00_00_01L;
    private static final long PEER_MAC = 0x02_00_00_00_00_02L;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final PacketDecoder decoder = new PacketDecoder();
    private final DecodedPacket packet = new DecodedPacket();
    private final DirectionRule rule = DirectionRule.ownMac(ROUTER_MAC);

    private void feed(final InterfaceMeter meter, final long second, final int linkType, final byte[] frame,
        final int wireLength) {
        final NativeFrames frames = NativeFrames.builder().add(linkType, frame, wireLength).build();
        final int status = decoder.decode(linkType, frames.address(0), frames.capturedLength(0), packet);
        meter.account(second, frames.wireLength(0), status, packet, rule.resolve(packet));
    }

    private void feed(final InterfaceMeter meter, final long second, final byte[] ethernetFrame) {
        feed(meter, second, LinkType.EN10MB, ethernetFrame, ethernetFrame.length);
    }

    @Test
    void shouldWriteEachSealedSecondAsOneJsonLine() throws Exception {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonLinesSink sink = new JsonLinesSink(out)) {
            final InterfaceMeter meter = new InterfaceMeter("wwan0", "esim-travel", new FlowTable(16, 2),
                new FragmentPorts(16), sink);
            meter.captureStatistics(1000, 3);
            // Second T: up UDP 142/128 twice, down TCP 1054/1040, up non-IP 60, down unparsed 54 (20 captured),
            // a third flow that finds the table (max 2 flows) full: overflow, down 94/80 IPv6 TCP.
            feed(meter, T, ethernet(PEER_MAC, ROUTER_MAC, ETHERTYPE_IPV4,
                ipv4(UDP, "10.0.0.2", "8.8.8.8").payload(udp(5000, 53, 100)).build()));
            feed(meter, T, ethernet(ROUTER_MAC, PEER_MAC, ETHERTYPE_IPV4,
                ipv4(TCP, "1.1.1.1", "10.0.0.2").payload(tcp(443, 40000, 1000)).build()));
            feed(meter, T, ethernet(PEER_MAC, ROUTER_MAC, ETHERTYPE_IPV4,
                ipv4(UDP, "10.0.0.2", "8.8.8.8").payload(udp(5000, 53, 100)).build()));
            feed(meter, T, ethernetPadded(PEER_MAC, ROUTER_MAC, ETHERTYPE_ARP, zeros(28)));
            feed(meter, T, LinkType.EN10MB, truncate(ethernet(ROUTER_MAC, PEER_MAC, ETHERTYPE_IPV4,
                ipv4(TCP, "1.1.1.1", "10.0.0.2").payload(tcp(443, 40000, 0)).build()), 20), 54);
            feed(meter, T, ethernet(ROUTER_MAC, PEER_MAC, ETHERTYPE_IPV6,
                ipv6(TCP, "2001:db8::1", "2001:db8:0:0:1::2").payload(tcp(443, 40001, 20)).build()));
            meter.captureStatistics(2500, 7);
            // Second T + 1: a raw-IP packet, whose direction the MAC rule cannot tell: "unknown" appears.
            feed(meter, T + 1, LinkType.RAW_FILE,
                ipv6(UDP, "2001:db8::2", "2001:db8::53").payload(udp(5353, 53, 12)).build(), 60);
            meter.seal();
        }

        final String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.endsWith("\n"), "every record ends its line");
        final String[] lines = text.split("\n", -1);
        assertEquals(3, lines.length, "two records, one line each: " + text);
        assertEquals("", lines[2]);

        final JsonNode first = MAPPER.readTree(lines[0]);
        assertEquals(MAPPER.readTree("""
            {"interface":"wwan0","profile":"esim-travel","t":1764280800,
             "total":{"up":{"packets":3,"wireBytes":344,"ipBytes":256},
                      "down":{"packets":3,"wireBytes":1202,"ipBytes":1120}},
             "nonIp":{"up":{"packets":1,"wireBytes":60,"ipBytes":0},"down":{"packets":0,"wireBytes":0,"ipBytes":0}},
             "unparsed":{"up":{"packets":0,"wireBytes":0,"ipBytes":0},"down":{"packets":1,"wireBytes":54,"ipBytes":0}},
             "overflow":{"up":{"packets":0,"wireBytes":0,"ipBytes":0},"down":{"packets":1,"wireBytes":94,"ipBytes":80}},
             "pcap":{"received":2500,"dropped":7},
             "flows":[
               {"dir":"up","proto":17,"src":"10.0.0.2","srcPort":5000,"dst":"8.8.8.8","dstPort":53,
                "packets":2,"wireBytes":284,"ipBytes":256},
               {"dir":"down","proto":6,"src":"1.1.1.1","srcPort":443,"dst":"10.0.0.2","dstPort":40000,
                "packets":1,"wireBytes":1054,"ipBytes":1040}]}
            """), first);

        final JsonNode second = MAPPER.readTree(lines[1]);
        assertEquals(MAPPER.readTree("""
            {"interface":"wwan0","profile":"esim-travel","t":1764280801,
             "total":{"up":{"packets":0,"wireBytes":0,"ipBytes":0},"down":{"packets":0,"wireBytes":0,"ipBytes":0},
                      "unknown":{"packets":1,"wireBytes":60,"ipBytes":60}},
             "nonIp":{"up":{"packets":0,"wireBytes":0,"ipBytes":0},"down":{"packets":0,"wireBytes":0,"ipBytes":0}},
             "unparsed":{"up":{"packets":0,"wireBytes":0,"ipBytes":0},"down":{"packets":0,"wireBytes":0,"ipBytes":0}},
             "overflow":{"up":{"packets":0,"wireBytes":0,"ipBytes":0},"down":{"packets":0,"wireBytes":0,"ipBytes":0}},
             "pcap":{"received":2500,"dropped":7},
             "flows":[
               {"dir":"unknown","proto":17,"src":"2001:db8::2","srcPort":5353,"dst":"2001:db8::53","dstPort":53,
                "packets":1,"wireBytes":60,"ipBytes":60}]}
            """), second);
    }

    @Test
    void shouldNameEachFlowsDeviceAndServiceAndTheServingNetwork() throws Exception {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final org.esimmeter.wire.Device phone = new org.esimmeter.wire.Device("02:00:00:00:00:17", "192.168.8.23",
            "alices-phone");
        try (JsonLinesSink sink = new JsonLinesSink(out)) {
            // DNS flows are the phone's, inferred; the HTTPS flow is example.com with no device known.
            sink.labelFlowsWith((second, index, into) -> {
                if (org.esimmeter.agent.meter.FlowMeta.dstPort(second.flows().meta(index)) == 53) {
                    into.device = phone;
                    into.approximate = true;
                } else {
                    into.service = "example.com";
                }
            });
            final org.esimmeter.agent.meter.CurrentProfile profile =
                new org.esimmeter.agent.meter.CurrentProfile("8944500000000000001", true);
            profile.set("8944500000000000001", "23415");
            final InterfaceMeter meter = new InterfaceMeter("wwan0", profile, new FlowTable(16, 16),
                new FragmentPorts(16), sink);
            feed(meter, T, ethernet(PEER_MAC, ROUTER_MAC, ETHERTYPE_IPV4,
                ipv4(UDP, "10.0.0.2", "8.8.8.8").payload(udp(5000, 53, 100)).build()));
            feed(meter, T, ethernet(ROUTER_MAC, PEER_MAC, ETHERTYPE_IPV4,
                ipv4(TCP, "93.184.216.34", "10.0.0.2").payload(tcp(443, 40000, 1000)).build()));
            meter.seal();
        }
        final JsonNode line = MAPPER.readTree(out.toString(StandardCharsets.UTF_8).split("\n")[0]);
        assertEquals("23415", line.path("network").asText());
        assertEquals(MAPPER.readTree("""
            [{"dir":"up","proto":17,"src":"10.0.0.2","srcPort":5000,"dst":"8.8.8.8","dstPort":53,
              "packets":1,"wireBytes":142,"ipBytes":128,
              "device":{"key":"02:00:00:00:00:17","address":"192.168.8.23","hostname":"alices-phone"},
              "approximate":true},
             {"dir":"down","proto":6,"src":"93.184.216.34","srcPort":443,"dst":"10.0.0.2","dstPort":40000,
              "packets":1,"wireBytes":1054,"ipBytes":1040,"service":"example.com"}]
            """), line.path("flows"));
    }
}
