package org.esimmeter.agent.label.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ConntrackParserTest {
    /** Lines as Linux 6.x prints them (the tcp one from the brief, the others from a masquerading router). */
    static final String TABLE = String.join("\n",
        "ipv4     2 tcp      6 431999 ESTABLISHED src=192.168.8.23 dst=93.184.216.34 sport=51000 dport=443 " +
            "src=93.184.216.34 dst=10.0.0.2 sport=443 dport=51000 [ASSURED] mark=0 zone=0 use=2",
        "ipv4     2 udp      17 28 src=192.168.8.24 dst=8.8.8.8 sport=40000 dport=53 [UNREPLIED] src=8.8.8.8 " +
            "dst=10.0.0.2 sport=53 dport=1024 mark=0 zone=0 use=2",
        "ipv4     2 icmp     1 29 src=192.168.8.23 dst=1.1.1.1 type=8 code=0 id=4711 src=1.1.1.1 dst=10.0.0.2 " +
            "type=0 code=0 id=4711 mark=0 zone=0 use=2",
        "ipv6     10 tcp      6 117 TIME_WAIT src=2001:0db8:0000:0000:0000:0000:0000:0017 " +
            "dst=2a00:1450:4001:082a:0000:0000:0000:200e sport=50000 dport=443 packets=12 bytes=1500 " +
            "src=2a00:1450:4001:082a:0000:0000:0000:200e dst=2001:0db8:0000:0000:0000:0000:0000:0017 sport=443 " +
            "dport=50000 packets=10 bytes=9000 [ASSURED] mark=0 secctx=system_u:object_r:unlabeled_t:s0 zone=0 use=2",
        // The old /proc/net/ip_conntrack has no layer-3 prefix.
        "tcp      6 60 SYN_SENT src=192.168.8.25 dst=10.9.9.9 sport=1 dport=2 [UNREPLIED] src=10.9.9.9 " +
            "dst=10.0.0.2 sport=2 dport=1 mark=0 use=1",
        "");

    private record Seen(int protocol, String originalSrc, int originalSrcPort, String originalDst, int originalDstPort,
        String replySrc, int replySrcPort, String replyDst, int replyDstPort) {
    }

    private static List<Seen> parse(final ConntrackParser parser, final String text) {
        final byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
        final List<Seen> seen = new ArrayList<>();
        final int count = parser.parse(bytes, bytes.length, e -> seen.add(new Seen(e.protocol,
            AddressText.formatIp(e.originalSrcHi, e.originalSrcLo), e.originalSrcPort,
            AddressText.formatIp(e.originalDstHi, e.originalDstLo), e.originalDstPort,
            AddressText.formatIp(e.replySrcHi, e.replySrcLo), e.replySrcPort,
            AddressText.formatIp(e.replyDstHi, e.replyDstLo), e.replyDstPort)));
        assertEquals(count, seen.size());
        return seen;
    }

    @Test
    void shouldReadBothDirectionsOfEveryKindOfLine() {
        final ConntrackParser parser = new ConntrackParser();
        assertEquals(List.of(
            new Seen(6, "192.168.8.23", 51000, "93.184.216.34", 443, "93.184.216.34", 443, "10.0.0.2", 51000),
            new Seen(17, "192.168.8.24", 40000, "8.8.8.8", 53, "8.8.8.8", 53, "10.0.0.2", 1024),
            // ICMP ids are not ports: the meter's ICMP flows have none either.
            new Seen(1, "192.168.8.23", 0, "1.1.1.1", 0, "1.1.1.1", 0, "10.0.0.2", 0),
            new Seen(6, "2001:db8::17", 50000, "2a00:1450:4001:82a::200e", 443, "2a00:1450:4001:82a::200e", 443,
                "2001:db8::17", 50000),
            new Seen(6, "192.168.8.25", 1, "10.9.9.9", 2, "10.9.9.9", 2, "10.0.0.2", 1)), parse(parser, TABLE));
        assertEquals(0, parser.malformed());
        assertNull(parser.firstProblem());
    }

    @Test
    void shouldSkipBadLinesAndSayWhichWasFirst() {
        final ConntrackParser parser = new ConntrackParser();
        final String text = "ipv4 2 tcp 6 1 ESTABLISHED src=1.2.3.4 dst=5.6.7.8 sport=1 dport=2\n" +
            "ipv4 2 tcp 6 1 ESTABLISHED src=1.2.3.4 dst=5.6.7.8 sport=1 dport=2 src=5.6.7.8 dst=9.9.9.9 sport=2 " +
            "dport=3\n" +
            "ipv4 2 tcp x 1 src=1.2.3.4\n" +
            "ipv4 2 udp 17 1 src=1.2.3.999 dst=5.6.7.8 src=5.6.7.8 dst=1.2.3.4\n" +
            "ipv4 2 udp 17 1 src=1.2.3.4 dst=5.6.7.8 sport=70000 dport=1 src=5.6.7.8 dst=1.2.3.4\n" +
            "ipv4 2 udp 17 1 src=1.2.3.4 dst=5.6.7.8 src=5::8 dst=1::4\n";
        assertEquals(1, parse(parser, text).size());
        assertEquals(5, parser.malformed());
        assertEquals("line 1: expected two src= and two dst=: 'ipv4 2 tcp 6 1 ESTABLISHED src=1.2.3.4 dst=5.6.7.8 " +
            "sport=1 dport=2'", parser.firstProblem());
    }

    @Test
    void shouldSurviveGarbageWithOneLineWarnings() {
        final Random random = new Random(42);
        final byte[] real = TABLE.getBytes(StandardCharsets.ISO_8859_1);
        final ConntrackParser parser = new ConntrackParser();
        int problems = 0;
        for (int round = 0; round < 20_000; round++) {
            final byte[] text;
            if (round % 2 == 0) {
                text = new byte[random.nextInt(600)];
                random.nextBytes(text);
            } else {
                // Real lines with a few bytes flipped or cut: the plausible kind of damage.
                text = java.util.Arrays.copyOf(real, 1 + random.nextInt(real.length));
                final String damage = " =.:\n0129afAF[]\t\rx\u00ff";
                for (int flips = random.nextInt(6); flips > 0; flips--) {
                    text[random.nextInt(text.length)] = (byte) damage.charAt(random.nextInt(damage.length()));
                }
            }
            final int connections = parser.parse(text, text.length, e -> {
                assertTrue(e.protocol >= 0 && e.protocol <= 255);
                assertTrue(e.originalSrcPort >= 0 && e.originalSrcPort <= 0xFFFF);
                assertTrue(e.replyDstPort >= 0 && e.replyDstPort <= 0xFFFF);
            });
            assertTrue(connections >= 0 && connections <= 6);
            final String problem = parser.firstProblem();
            if (problem != null) {
                problems++;
                assertFalse(problem.contains("\n") || problem.contains("\r"), problem);
                assertTrue(problem.length() < 260, problem);
            }
        }
        assertTrue(problems > 10_000, "problems reported: " + problems);
    }

    /** 10,000 connections of the usual mix: how many lines a second the refresher parses (printed), bounded. */
    @Test
    void shouldParseTenThousandConnectionsQuickly() {
        final StringBuilder text = new StringBuilder();
        for (int i = 0; i < 10_000; i++) {
            final String lan = "192.168." + (i >> 8 & 0xFF) + "." + (i & 0xFF);
            text.append(i % 3 == 0 ?
                "ipv4     2 udp      17 28 src=" + lan + " dst=8.8.4.4 sport=" + (30000 + i % 30000) +
                    " dport=53 src=8.8.4.4 dst=100.64.7.9 sport=53 dport=" + (1024 + i) + " mark=0 zone=0 use=2\n" :
                "ipv4     2 tcp      6 431999 ESTABLISHED src=" + lan + " dst=142.250.185.78 sport=" +
                    (40000 + i % 20000) + " dport=443 src=142.250.185.78 dst=100.64.7.9 sport=443 dport=" +
                    (1024 + i) + " [ASSURED] mark=0 zone=0 use=2\n");
        }
        final byte[] bytes = text.toString().getBytes(StandardCharsets.ISO_8859_1);
        final ConntrackParser parser = new ConntrackParser();
        final long[] ports = new long[1];
        long bestNanos = Long.MAX_VALUE;
        for (int run = 0; run < 30; run++) {
            final long start = System.nanoTime();
            assertEquals(10_000, parser.parse(bytes, bytes.length, e -> ports[0] += e.replyDstPort));
            bestNanos = Math.min(bestNanos, System.nanoTime() - start);
        }
        final double perSecond = 10_000 / (bestNanos / 1e9);
        System.out.printf("conntrack parse: 10,000 lines (%d bytes) in %.2f ms best of 30: %.0f lines/s%n",
            bytes.length, bestNanos / 1e6, perSecond);
        // Generous bound for a shared CI core; measured figures are in the README.
        assertTrue(bestNanos < 200_000_000L, "10,000 lines took " + bestNanos / 1e6 + " ms");
    }
}
