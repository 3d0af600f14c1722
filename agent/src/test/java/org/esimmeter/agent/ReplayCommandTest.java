package org.esimmeter.agent;

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
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.esimmeter.agent.corpus.AgentRun;
import org.esimmeter.agent.corpus.SharedPcaps;
import org.esimmeter.agent.frames.PcapWriter;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code esim-meter-agent replay}, run in-process: exact output on files written here, and every bad input. */
class ReplayCommandTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final long ROUTER_MAC = 0x02_00_00_00_00_01L;
    private static final long PEER_MAC = 0x02_00_00_00_00_02L;
    private static final long T = 1_700_000_000L;

    @TempDir
    Path dir;

    /**
     * Six frames over three seconds, every case the report distinguishes: IPv4 and IPv6 flows, a padded short
     * frame (wire 60, IP 32), a frame cut by the snaplen (40 of 102 bytes captured), ARP, and a frame too short
     * for its IP header.
     */
    private static PcapWriter sixFrames(final PcapWriter pcap) {
        final byte[] reply = ethernet(ROUTER_MAC, PEER_MAC, ETHERTYPE_IPV4,
            ipv4(UDP, "8.8.8.8", "10.0.0.2").payload(udp(53, 5000, 60)).build());
        return pcap
            .record(T, 100_000, ethernet(PEER_MAC, ROUTER_MAC, ETHERTYPE_IPV4,
                ipv4(UDP, "10.0.0.2", "8.8.8.8").payload(udp(5000, 53, 20)).build()))                   // 62 / 48
            .record(T, 900_000, ethernet(ROUTER_MAC, PEER_MAC, ETHERTYPE_IPV6,
                ipv6(TCP, "2001:db8::1", "2001:db8:0:0:1::2").payload(tcp(443, 40000, 100)).build()))   // 174 / 160
            .record(T + 1, 0, ethernetPadded(ROUTER_MAC, PEER_MAC, ETHERTYPE_ARP, zeros(28)))           // 60 non-IP
            .record(T + 1, 500_000, truncate(reply, 40), reply.length)                                  // 102 / 88
            .record(T + 3, 0, truncate(ethernet(PEER_MAC, ROUTER_MAC, ETHERTYPE_IPV4,
                ipv4(UDP, "10.0.0.2", "8.8.8.8").payload(udp(5000, 53, 0)).build()), 20))               // 20 unparsed
            .record(T + 3, 200_000, ethernetPadded(PEER_MAC, ROUTER_MAC, ETHERTYPE_IPV4,
                ipv4(UDP, "10.0.0.2", "8.8.8.8").payload(udp(5000, 53, 4)).build()));                   // 60 / 32
    }

    private static final String SIX_FRAMES_REPORT = """
        {"linkType":"EN10MB","linkTypeNumber":1,"packets":6,"wireBytes":478,"ipBytes":328,
         "nonIp":{"packets":1,"wireBytes":60},"unparsed":{"packets":1,"wireBytes":20},
         "overflow":{"packets":0,"wireBytes":0,"ipBytes":0},
         "directions":{"up":{"packets":0,"wireBytes":0,"ipBytes":0},"down":{"packets":0,"wireBytes":0,"ipBytes":0},
                       "unknown":{"packets":6,"wireBytes":478,"ipBytes":328}},
         "flows":[
           {"proto":17,"src":"10.0.0.2","srcPort":5000,"dst":"8.8.8.8","dstPort":53,
            "packets":2,"wireBytes":122,"ipBytes":80},
           {"proto":6,"src":"2001:db8::1","srcPort":443,"dst":"2001:db8::1:0:0:2","dstPort":40000,
            "packets":1,"wireBytes":174,"ipBytes":160},
           {"proto":17,"src":"8.8.8.8","srcPort":53,"dst":"10.0.0.2","dstPort":5000,
            "packets":1,"wireBytes":102,"ipBytes":88}],
         "seconds":[{"t":1700000000,"packets":2,"wireBytes":236,"ipBytes":208},
                    {"t":1700000001,"packets":2,"wireBytes":162,"ipBytes":88},
                    {"t":1700000003,"packets":2,"wireBytes":80,"ipBytes":32}]}
        """;

    @Test
    void shouldReportExactlyWhatAFileWrittenHereHolds() throws IOException {
        final Path file = sixFrames(new PcapWriter(1)).write(dir.resolve("six.pcap"));
        final AgentRun run = AgentRun.execute("replay", "--json", file.toString());

        assertEquals(0, run.exit(), run::toString);
        assertEquals("", run.err());
        assertTrue(run.out().endsWith("}\n"), "one JSON object, one line: " + run.out());
        assertEquals(1, run.out().split("\n").length);
        assertReport(SIX_FRAMES_REPORT, MAPPER.readTree(run.out()));
    }

    @Test
    void shouldReadBigEndianAndNanosecondFilesAlike() throws IOException {
        final Path file = sixFrames(new PcapWriter(ByteOrder.BIG_ENDIAN, true, 1)).write(dir.resolve("ns.pcap"));
        final AgentRun run = AgentRun.execute("replay", "--json", file.toString());

        assertEquals(0, run.exit(), run::toString);
        assertReport(SIX_FRAMES_REPORT, MAPPER.readTree(run.out()));
    }

    @Test
    void shouldSplitEthernetTrafficByTheRouterMac() throws IOException {
        final Path file = sixFrames(new PcapWriter(1)).write(dir.resolve("six.pcap"));
        final AgentRun run = AgentRun.execute("replay", "--json", "--router-mac", "02:00:00:00:00:01",
            file.toString());

        assertEquals(0, run.exit(), run::toString);
        final JsonNode report = MAPPER.readTree(run.out());
        // Up: the two UDP queries and the unparsed frame (its Ethernet header was whole); down: the rest.
        assertEquals(MAPPER.readTree("""
            {"up":{"packets":3,"wireBytes":142,"ipBytes":80},"down":{"packets":3,"wireBytes":336,"ipBytes":248}}
            """), report.get("directions"));
        assertEquals(478, report.get("wireBytes").asLong());
        assertEquals(2, report.get("flows").get(0).get("packets").asLong(), "flows merge both directions' keys");
    }

    @Test
    void shouldCountFlowsBeyondMaxFlowsInOverflow() throws IOException {
        final Path file = sixFrames(new PcapWriter(1)).write(dir.resolve("six.pcap"));
        final AgentRun run = AgentRun.execute("replay", "--json", "--max-flows", "1", file.toString());

        assertEquals(0, run.exit(), run::toString);
        final JsonNode report = MAPPER.readTree(run.out());
        assertEquals(1, report.get("flows").size());
        assertEquals(MAPPER.readTree("""
            {"proto":17,"src":"10.0.0.2","srcPort":5000,"dst":"8.8.8.8","dstPort":53,
             "packets":2,"wireBytes":122,"ipBytes":80}"""), report.get("flows").get(0));
        assertEquals(MAPPER.readTree("{\"packets\":2,\"wireBytes\":276,\"ipBytes\":248}"), report.get("overflow"));
        assertEquals(478, report.get("wireBytes").asLong(), "totals do not depend on the table's size");
    }

    @Test
    void shouldPrintASummaryForPeopleWithoutJson() throws IOException {
        final Path file = sixFrames(new PcapWriter(1)).write(dir.resolve("six.pcap"));
        final AgentRun run = AgentRun.execute("replay", file.toString());

        assertEquals(0, run.exit(), run::toString);
        final List<String> lines = run.out().lines().toList();
        assertEquals(file + " (EN10MB): 6 packets, 478 wire bytes, 328 IP bytes in 3 seconds", lines.get(0));
        assertTrue(run.out().contains("3 flows, 1 non-IP packets, 1 unparsed packets"), run.out());
    }

    @Test
    void shouldReplayAFileWithoutRecordsAsZeros() throws IOException {
        final Path file = new PcapWriter(101).write(dir.resolve("empty-capture.pcap"));
        final AgentRun run = AgentRun.execute("replay", "--json", file.toString());

        assertEquals(0, run.exit(), run::toString);
        final JsonNode report = MAPPER.readTree(run.out());
        assertEquals("RAW", report.get("linkType").asText());
        assertEquals(0, report.get("packets").asLong());
        assertEquals(0, report.get("flows").size());
        assertEquals(0, report.get("seconds").size());
    }

    @Test
    void shouldWarnAndKeepTotalsWhenTheLastRecordIsCut() throws IOException {
        // One whole record, then the header of a second that promises 100 bytes of which 30 follow.
        final byte[] frame = ethernet(PEER_MAC, ROUTER_MAC, ETHERTYPE_IPV4,
            ipv4(UDP, "10.0.0.2", "8.8.8.8").payload(udp(5000, 53, 20)).build());
        final ByteBuffer cut = ByteBuffer.allocate(16 + 30).order(ByteOrder.LITTLE_ENDIAN);
        cut.putInt((int) T).putInt(0).putInt(100).putInt(100);
        final Path file = new PcapWriter(1).record(T, 0, frame).raw(cut.array()).write(dir.resolve("cut.pcap"));

        final AgentRun run = AgentRun.execute("replay", "--json", file.toString());

        // libpcap delivers the whole record, then reports "truncated dump file; tried to read 100 captured bytes,
        // only got 30": the agent keeps what was read, says so once on stderr and in the report, and succeeds.
        assertEquals(0, run.exit(), run::toString);
        final JsonNode report = MAPPER.readTree(run.out());
        assertEquals(1, report.get("packets").asLong());
        assertEquals(62, report.get("wireBytes").asLong());
        assertEquals(48, report.get("ipBytes").asLong());
        final String warning = report.get("warning").asText();
        assertTrue(warning.contains("truncated"), warning);
        assertEquals(List.of("esim-meter-agent: warning: " + file + " : libpcap stopped early: " + warning +
            " (totals cover the packets before that point)"), run.errLines());
    }

    @Test
    void shouldWarnWhenARecordHeaderIsCut() throws IOException {
        final byte[] frame = ethernet(PEER_MAC, ROUTER_MAC, ETHERTYPE_IPV4,
            ipv4(UDP, "10.0.0.2", "8.8.8.8").payload(udp(5000, 53, 20)).build());
        final Path file = new PcapWriter(1).record(T, 0, frame).raw(new byte[8]).write(dir.resolve("half.pcap"));

        final AgentRun run = AgentRun.execute("replay", "--json", file.toString());

        assertEquals(0, run.exit(), run::toString);
        final JsonNode report = MAPPER.readTree(run.out());
        assertEquals(1, report.get("packets").asLong());
        assertTrue(report.get("warning").asText().contains("truncated"), run::toString);
        assertEquals(1, run.errLines().size(), run::toString);
    }

    @Test
    void shouldFailInOneLineOnAMissingFile() {
        final Path missing = dir.resolve("no-such.pcap");
        assertUsageError(AgentRun.execute("replay", "--json", missing.toString()), missing.toString());
    }

    @Test
    void shouldFailInOneLineOnADirectory() {
        assertUsageError(AgentRun.execute("replay", "--json", dir.toString()), dir.toString());
    }

    @Test
    void shouldFailInOneLineOnATextFile() throws IOException {
        final Path text = Files.writeString(dir.resolve("notes.txt"), "this is not a capture\n".repeat(10),
            StandardCharsets.UTF_8);
        final AgentRun run = AgentRun.execute("replay", "--json", text.toString());
        assertUsageError(run, text.toString());
        assertTrue(run.err().contains("not a capture"), run::toString);
    }

    @Test
    void shouldFailInOneLineOnAnEmptyFile() throws IOException {
        final Path empty = Files.createFile(dir.resolve("empty.pcap"));
        assertUsageError(AgentRun.execute("replay", "--json", empty.toString()), empty.toString());
    }

    @Test
    void shouldFailInOneLineOnAGlobalHeaderCutShort() throws IOException {
        final byte[] header = new PcapWriter(1).bytes();
        final Path cut = Files.write(dir.resolve("cut-header.pcap"), Arrays.copyOf(header, 12));
        assertUsageError(AgentRun.execute("replay", "--json", cut.toString()), cut.toString());
    }

    @Test
    void shouldRefuseALinkTypeItCannotDecode() throws IOException {
        // LINKTYPE_USER0: nothing says where an IP header would start.
        final Path file = new PcapWriter(147).record(T, 0, zeros(64)).write(dir.resolve("user0.pcap"));
        final AgentRun run = AgentRun.execute("replay", "--json", file.toString());
        assertUsageError(run, file.toString());
        assertTrue(run.err().contains("not supported"), run::toString);
    }

    @Test
    void shouldRejectAnUnknownOption() {
        final AgentRun run = AgentRun.execute("replay", "--bogus", "x.pcap");
        assertEquals(2, run.exit(), run::toString);
        assertEquals("", run.out());
        assertTrue(run.errLines().get(0).startsWith("esim-meter-agent: ") && run.err().contains("--bogus"),
            run::toString);
        assertNoStackTrace(run);
    }

    @ParameterizedTest
    @ValueSource(strings = {"zz", "02:00:00:00:00", "02:00:00:00:00:01:03", "02:00:00:00:00:1ff", "", "-1:0:0:0:0:0",
        "02:00:00:00:00:+1", "02::00:00:00:01"})
    void shouldRejectAMalformedRouterMac(final String mac) throws IOException {
        final Path file = sixFrames(new PcapWriter(1)).write(dir.resolve("six.pcap"));
        final AgentRun run = AgentRun.execute("replay", "--json", "--router-mac", mac, file.toString());
        assertEquals(2, run.exit(), run::toString);
        assertEquals("", run.out());
        assertEquals(1, run.errLines().size(), run::toString);
        assertTrue(run.err().startsWith("esim-meter-agent: --router-mac"), run::toString);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-5"})
    void shouldRejectAFlowTableThatHoldsNothing(final String maxFlows) throws IOException {
        final Path file = sixFrames(new PcapWriter(1)).write(dir.resolve("six.pcap"));
        final AgentRun run = AgentRun.execute("replay", "--json", "--max-flows", maxFlows, file.toString());
        assertEquals(2, run.exit(), run::toString);
        assertEquals(List.of("esim-meter-agent: --max-flows : " + maxFlows + " (expected: >= 1)"), run.errLines());
    }

    @Test
    void shouldPrintHelpAndSucceed() {
        final AgentRun run = AgentRun.execute("replay", "--help");
        assertEquals(0, run.exit(), run::toString);
        assertEquals("", run.err());
        assertTrue(run.out().contains("Usage: esim-meter-agent replay"), run.out());
        assertTrue(run.out().contains("--router-mac") && run.out().contains("--max-flows"), run.out());
    }

    @Test
    void shouldSplitARealEthernetCaptureByTheRouterMac() throws IOException {
        final Optional<Path> pcaps = SharedPcaps.directory();
        Assumptions.assumeTrue(pcaps.isPresent(), SharedPcaps.ABSENT);
        final Path capture = pcaps.get().resolve("zeek__tcp_timestamp.pcap");
        Assumptions.assumeTrue(Files.exists(capture), capture + " is not in the corpus");

        final AgentRun run = AgentRun.execute("replay", "--json", "--router-mac", "00:0c:29:ee:6c:6f",
            capture.toString());

        assertEquals(0, run.exit(), run::toString);
        final JsonNode report = MAPPER.readTree(run.out());
        final JsonNode directions = report.get("directions");
        // tshark -r zeek__tcp_timestamp.pcap -T fields -e eth.src -e frame.len, summed per source MAC:
        // 00:0c:29:ee:6c:6f sent 185 frames / 12218 bytes, b8:27:eb:45:99:91 sent 693 frames / 1045746 bytes.
        assertEquals(185, directions.get("up").get("packets").asLong());
        assertEquals(12218, directions.get("up").get("wireBytes").asLong());
        assertEquals(693, directions.get("down").get("packets").asLong());
        assertEquals(1045746, directions.get("down").get("wireBytes").asLong());
        assertFalse(directions.has("unknown"), "every frame has a source MAC");
        for (final String metric : List.of("packets", "wireBytes", "ipBytes")) {
            assertEquals(report.get(metric).asLong(),
                directions.get("up").get(metric).asLong() + directions.get("down").get(metric).asLong(), metric);
        }
        assertEquals(878, report.get("packets").asLong());
        assertEquals(1057964, report.get("wireBytes").asLong());
    }

    /** Same fields and values; flows compared as a set, since the contract does not order them. */
    private static void assertReport(final String expectedJson, final JsonNode actual) throws IOException {
        final JsonNode expected = MAPPER.readTree(expectedJson);
        assertEquals(flowSet(expected), flowSet(actual), "flows");
        final com.fasterxml.jackson.databind.node.ObjectNode expectedRest = expected.deepCopy();
        final com.fasterxml.jackson.databind.node.ObjectNode actualRest = actual.deepCopy();
        expectedRest.remove("flows");
        actualRest.remove("flows");
        assertEquals(expectedRest, actualRest);
    }

    private static Set<JsonNode> flowSet(final JsonNode report) {
        final Set<JsonNode> flows = new HashSet<>();
        report.get("flows").forEach(flows::add);
        assertEquals(report.get("flows").size(), flows.size(), "a flow listed twice");
        return flows;
    }

    private static void assertUsageError(final AgentRun run, final String file) {
        assertEquals(2, run.exit(), run::toString);
        assertEquals("", run.out(), "nothing on stdout");
        assertEquals(1, run.errLines().size(), () -> "exactly one line on stderr: " + run);
        final String line = run.errLines().get(0);
        assertTrue(line.startsWith("esim-meter-agent: "), line);
        assertTrue(line.contains(file), "names the file: " + line);
        assertNoStackTrace(run);
    }

    private static void assertNoStackTrace(final AgentRun run) {
        assertFalse(run.err().contains("\tat ") || run.err().contains("Exception"), run::toString);
    }
}
