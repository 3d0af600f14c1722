package org.esimmeter.agent.corpus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.esimmeter.wire.Direction;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Replays every real capture of {@code ../shared/pcaps} through the agent's own command line (in-process, the same
 * reader, decoder and meter as live capture) and holds the JSON against the tshark-derived truths: totals, non-IP,
 * per-second totals and per-flow bytes, exactly. See {@code SOURCES.md} there.
 */
class CorpusReplayTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String TRUTH_SUFFIX = ".truth.json";
    private static final String PREFIX_TRUTH_SUFFIX = ".prefix.truth.json";

    /** Link types as SOURCES.md lists them (for pcapng: the first interface, where libpcap's reading begins). */
    private static final Map<String, String> LINK_TYPES = Map.ofEntries(
        Map.entry("ndpi__KakaoTalk_chat.pcap", "LINUX_SLL"),
        Map.entry("ndpi__dns_fragmented.pcap", "EN10MB"),
        Map.entry("ndpi__syslog.pcap", "EN10MB"),
        Map.entry("pcpp__DnsPackets.pcap", "EN10MB"),
        Map.entry("pcpp__raw_ip.pcap", "RAW"),
        Map.entry("pcpp__pcapng-example.pcapng", "EN10MB"),
        Map.entry("suricata__decode-sll2-02.pcap", "LINUX_SLL2"),
        Map.entry("suricata__linktype-228_flow-test-01.pcap", "IPV4"),
        Map.entry("suricata__smtp-to-comma_corrupt-record.pcap", "EN10MB"),
        Map.entry("zeek__ipv6-http-atomic-frag.pcap", "EN10MB"),
        Map.entry("zeek__ppp_quic-interop-retry.pcap", "PPP"),
        Map.entry("zeek__tcp_timestamp.pcap", "EN10MB"));

    /**
     * Direction split of the cooked captures by tshark, a second opinion beside the record walk below:
     * {@code tshark -r FILE -T fields -e sll.pkttype -e frame.len}, summed per packet type (4 = outgoing).
     * file -> {up packets, up wire bytes, down packets, down wire bytes}.
     */
    private static final Map<String, long[]> TSHARK_DIRECTIONS = Map.of(
        "ndpi__KakaoTalk_chat.pcap", new long[] {180, 25214, 167, 46722},
        "suricata__decode-sll2-02.pcap", new long[] {74, 5418, 85, 2605003});

    record FlowKey(int proto, String src, int srcPort, String dst, int dstPort) {
        GroupKey group() {
            return new GroupKey(proto, src, dst);
        }
    }

    record GroupKey(int proto, String src, String dst) {
    }

    @TestFactory
    Stream<DynamicTest> replayEqualsTheTruth() throws IOException {
        final Optional<Path> directory = SharedPcaps.directory();
        if (directory.isEmpty()) {
            // One aborted test rather than an aborted factory, so the report counts it as skipped.
            return Stream.of(DynamicTest.dynamicTest("shared corpus", () -> Assumptions.abort(SharedPcaps.ABSENT)));
        }
        final List<Path> truths;
        try (Stream<Path> files = Files.list(directory.get())) {
            truths = files.filter(f -> f.getFileName().toString().endsWith(TRUTH_SUFFIX))
                .filter(Predicate.not(f -> f.getFileName().toString().endsWith(PREFIX_TRUTH_SUFFIX)))
                .sorted().toList();
        }
        assertFalse(truths.isEmpty(), "no *.truth.json in " + directory.get());
        return truths.stream().map(truth -> DynamicTest.dynamicTest(truth.getFileName().toString(), truth.toUri(),
            () -> checkReplay(truth)));
    }

    private static void checkReplay(final Path truthFile) throws IOException {
        final JsonNode fullTruth = MAPPER.readTree(truthFile.toFile());
        final Path dir = truthFile.getParent();
        final String base = truthFile.getFileName().toString().replace(TRUTH_SUFFIX, "");
        final Path capture = dir.resolve(fullTruth.get("file").asText());
        final Path prefixFile = dir.resolve(base + PREFIX_TRUTH_SUFFIX);
        final boolean damaged = Files.exists(prefixFile);

        final AgentRun run = AgentRun.execute("replay", "--json", capture.toString());
        assertEquals(0, run.exit(), run::toString);
        final JsonNode report = MAPPER.readTree(run.out());

        final JsonNode truth;
        if (damaged) {
            // libpcap cannot read this file to the end: the totals of what it delivered, and a clear warning.
            truth = MAPPER.readTree(prefixFile.toFile());
            assertTrue(report.hasNonNull("warning") && !report.get("warning").asText().isBlank(), run::toString);
            assertEquals(1, run.errLines().size(), run::toString);
            final String line = run.errLines().get(0);
            assertTrue(line.startsWith("esim-meter-agent: warning: ") && line.contains(capture.toString()), line);
            assertTrue(line.contains(report.get("warning").asText()), "stderr gives libpcap's reason: " + line);
        } else {
            truth = fullTruth;
            assertNull(report.get("warning"), run::toString);
            assertEquals("", run.err(), "a clean file replays silently on stderr");
        }

        checkLinkType(capture, report);
        assertEquals(truth.get("packets").asLong(), report.get("packets").asLong(), "packets");
        assertEquals(truth.get("wireBytes").asLong(), report.get("wireBytes").asLong(), "wireBytes");
        assertEquals(truth.get("ipBytes").asLong(), report.get("ipBytes").asLong(), "ipBytes");
        assertEquals(truth.get("nonIp").get("packets").asLong(), report.get("nonIp").get("packets").asLong(),
            "nonIp packets");
        assertEquals(truth.get("nonIp").get("wireBytes").asLong(), report.get("nonIp").get("wireBytes").asLong(),
            "nonIp wireBytes");
        // The truth sorts every frame into IP or non-IP: none of these files has a frame the meter cannot parse.
        assertEquals(0, report.get("unparsed").get("packets").asLong(), "unparsed packets");
        assertEquals(0, report.get("overflow").get("packets").asLong(), "no flow beyond the default table");

        assertEquals(seconds(truth), seconds(report), "per-second totals");
        checkFlows(truth, report, damaged ? Optional.empty() : Optional.of(dir.resolve(capture.getFileName() +
            ".truth.txt")));
        checkInvariants(report);
        checkDirections(capture, report);
    }

    private static void checkLinkType(final Path capture, final JsonNode report) throws IOException {
        final String name = report.get("linkType").asText();
        final String listed = LINK_TYPES.get(capture.getFileName().toString());
        if (listed != null) {
            assertEquals(listed, name, "link type per SOURCES.md");
        }
        assertEquals(PcapWalk.linkTypeName(PcapWalk.read(capture).linkType()), name, "link type in the file header");
        assertEquals(name, PcapWalk.linkTypeName(report.get("linkTypeNumber").asInt()), "linkTypeNumber");
    }

    /** t -> [packets, wireBytes, ipBytes]. */
    private static Map<Long, List<Long>> seconds(final JsonNode json) {
        final Map<Long, List<Long>> seconds = new TreeMap<>();
        for (final JsonNode second : json.get("seconds")) {
            final List<Long> previous = seconds.put(second.get("t").asLong(), counts(second));
            assertNull(previous, "second " + second.get("t") + " listed twice");
        }
        return seconds;
    }

    private static List<Long> counts(final JsonNode node) {
        return List.of(node.get("packets").asLong(), node.get("wireBytes").asLong(), node.get("ipBytes").asLong());
    }

    private static Map<FlowKey, List<Long>> flows(final JsonNode json) {
        final Map<FlowKey, List<Long>> flows = new HashMap<>();
        for (final JsonNode flow : json.get("flows")) {
            final FlowKey key = new FlowKey(flow.get("proto").asInt(), flow.get("src").asText(),
                flow.get("srcPort").asInt(), flow.get("dst").asText(), flow.get("dstPort").asInt());
            assertNull(flows.put(key, counts(flow)), "flow listed twice: " + key);
        }
        return flows;
    }

    /**
     * Exact per flow, except where non-first fragments exist: tshark lists those under ports 0 while the meter bills
     * them to their datagram's flow, so each (proto, src, dst) group holding a port-0 flow is compared by its sums.
     * Where the truth.txt also gives the attributed table (section 4b), that is compared exactly too.
     */
    private static void checkFlows(final JsonNode truth, final JsonNode report, final Optional<Path> truthText)
        throws IOException {
        final Map<FlowKey, List<Long>> expected = flows(truth);
        final Map<FlowKey, List<Long>> actual = flows(report);
        final Optional<String> text = truthText.filter(Files::exists).map(CorpusReplayTest::readString);
        // Without the truth.txt, assume fragments may exist.
        final boolean fragments = text.map(t -> nonFirstFragments(t) > 0).orElse(true);
        final Set<GroupKey> relaxed = fragments ? expected.keySet().stream()
            .filter(k -> k.srcPort() == 0 && k.dstPort() == 0).map(FlowKey::group).collect(Collectors.toSet()) :
            Set.of();

        assertSame(outside(expected, relaxed), outside(actual, relaxed), "flows outside fragment groups");
        assertSame(groupSums(expected, relaxed), groupSums(actual, relaxed), "(proto, src, dst) fragment groups");

        final Optional<Map<FlowKey, List<Long>>> attributed = text.flatMap(CorpusReplayTest::attributedFlows);
        if (attributed.isPresent()) {
            assertSame(attributed.get(), normalized(actual), "flows with fragments attributed (truth.txt 4b)");
        }
    }

    /** Map equality, failing with just the differences: a corpus has hundreds of flows. */
    private static <K> void assertSame(final Map<K, List<Long>> expected, final Map<K, List<Long>> actual,
        final String what) {
        final StringBuilder differences = new StringBuilder();
        final Set<K> keys = new java.util.LinkedHashSet<>(expected.keySet());
        keys.addAll(actual.keySet());
        for (final K key : keys) {
            if (!java.util.Objects.equals(expected.get(key), actual.get(key))) {
                differences.append("\n  ").append(key).append(" expected ").append(expected.get(key))
                    .append(" but was ").append(actual.get(key));
            }
        }
        assertTrue(differences.length() == 0, what + " [packets, wireBytes, ipBytes] differ:" + differences);
    }

    private static Map<FlowKey, List<Long>> outside(final Map<FlowKey, List<Long>> flows, final Set<GroupKey> groups) {
        return flows.entrySet().stream().filter(e -> !groups.contains(e.getKey().group()))
            .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    private static Map<GroupKey, List<Long>> groupSums(final Map<FlowKey, List<Long>> flows,
        final Set<GroupKey> groups) {
        final Map<GroupKey, List<Long>> sums = new HashMap<>();
        flows.forEach((key, counts) -> {
            if (groups.contains(key.group())) {
                sums.merge(key.group(), counts, (a, b) -> List.of(a.get(0) + b.get(0), a.get(1) + b.get(1),
                    a.get(2) + b.get(2)));
            }
        });
        return sums;
    }

    private static final Pattern NON_FIRST_FRAGMENTS =
        Pattern.compile("^non-first IP fragments \\(v4\\+v6\\)\\s*=\\s*(\\d+)", Pattern.MULTILINE);

    private static long nonFirstFragments(final String truthText) {
        final Matcher matcher = NON_FIRST_FRAGMENTS.matcher(truthText);
        return matcher.find() ? Long.parseLong(matcher.group(1)) : Long.MAX_VALUE;
    }

    /** Section 4b of a truth.txt: "IPv4 src dst proto sport dport | frames frame_len l3_len cap_len". */
    private static Optional<Map<FlowKey, List<Long>>> attributedFlows(final String truthText) {
        final int start = truthText.indexOf("\n## 4b.");
        if (start < 0) {
            return Optional.empty();
        }
        final int end = truthText.indexOf("\n## ", start + 1);
        final Map<FlowKey, List<Long>> flows = new HashMap<>();
        for (final String line : truthText.substring(start + 1, end < 0 ? truthText.length() : end).split("\n")) {
            if (!line.startsWith("IPv4 ") && !line.startsWith("IPv6 ")) {
                continue;
            }
            final String[] halves = line.split("\\|");
            final String[] key = halves[0].trim().split("\\s+");
            final String[] values = halves[1].trim().split("\\s+");
            final FlowKey flow = new FlowKey(Integer.parseInt(key[3]), canonical(key[1]), port(key[4]),
                canonical(key[2]), port(key[5]));
            assertNull(flows.put(flow, List.of(Long.parseLong(values[0]), Long.parseLong(values[1]),
                Long.parseLong(values[2]))), "4b lists " + flow + " twice");
        }
        return Optional.of(flows);
    }

    private static int port(final String text) {
        return "-".equals(text) ? 0 : Integer.parseInt(text);
    }

    private static Map<FlowKey, List<Long>> normalized(final Map<FlowKey, List<Long>> flows) {
        return flows.entrySet().stream().collect(Collectors.toMap(
            e -> new FlowKey(e.getKey().proto(), canonical(e.getKey().src()), e.getKey().srcPort(),
                canonical(e.getKey().dst()), e.getKey().dstPort()), Map.Entry::getValue));
    }

    /** tshark and the agent both print RFC 5952 text; compare addresses by value all the same. */
    private static String canonical(final String literal) {
        try {
            return InetAddress.getByName(literal).getHostAddress();
        } catch (final IOException e) {
            throw new AssertionError("not an address literal: " + literal, e);
        }
    }

    private static String readString(final Path file) {
        try {
            return Files.readString(file);
        } catch (final IOException e) {
            throw new AssertionError(file + " : unreadable", e);
        }
    }

    /** sum(flows) + overflow + nonIp + unparsed == totals; sum(seconds) == totals; sum(directions) == totals. */
    private static void checkInvariants(final JsonNode report) {
        final String[] metrics = {"packets", "wireBytes", "ipBytes"};
        for (final String metric : metrics) {
            long flows = 0;
            for (final JsonNode flow : report.get("flows")) {
                flows += flow.get(metric).asLong();
            }
            long seconds = 0;
            for (final JsonNode second : report.get("seconds")) {
                seconds += second.get(metric).asLong();
            }
            long directions = 0;
            for (final JsonNode direction : report.get("directions")) {
                directions += direction.get(metric).asLong();
            }
            final long total = report.get(metric).asLong();
            assertEquals(total, flows + report.get("overflow").get(metric).asLong() +
                report.get("nonIp").path(metric).asLong(0) + report.get("unparsed").path(metric).asLong(0),
                "flows + overflow + nonIp + unparsed == total " + metric);
            assertEquals(total, seconds, "sum(seconds) == total " + metric);
            assertEquals(total, directions, "sum(directions) == total " + metric);
        }
    }

    /**
     * Cooked captures say which way each packet went (packet type 4, PACKET_OUTGOING, is upload); the split is
     * recomputed here by walking the file's records independently. Other link types carry no direction, and a
     * replay without --router-mac must not invent one.
     */
    private static void checkDirections(final Path capture, final JsonNode report) throws IOException {
        final JsonNode directions = report.get("directions");
        final PcapWalk walk = PcapWalk.read(capture);
        final int linkType = walk.linkType();
        if ((linkType == 113 || linkType == 276) && !walk.pcapng()) {
            final long[] up = new long[2];
            final long[] down = new long[2];
            for (final PcapWalk.Record record : walk.records()) {
                final byte[] data = record.data();
                final int packetType = linkType == 113 ? ((data[0] & 0xFF) << 8 | (data[1] & 0xFF)) : data[10] & 0xFF;
                final long[] bucket = packetType == 4 ? up : down;
                bucket[0]++;
                bucket[1] += record.wireLength();
            }
            assertEquals(report.get("packets").asLong(), walk.records().size(), "records walked");
            assertEquals(up[0], directions.get("up").get("packets").asLong(), "up packets");
            assertEquals(up[1], directions.get("up").get("wireBytes").asLong(), "up wireBytes");
            assertEquals(down[0], directions.get("down").get("packets").asLong(), "down packets");
            assertEquals(down[1], directions.get("down").get("wireBytes").asLong(), "down wireBytes");
            assertNull(directions.get("unknown"), "a cooked capture leaves no direction unknown");
            final long[] tshark = TSHARK_DIRECTIONS.get(capture.getFileName().toString());
            if (tshark != null) {
                assertEquals(tshark[0], up[0], "walk agrees with tshark: up packets");
                assertEquals(tshark[1], up[1], "walk agrees with tshark: up wireBytes");
                assertEquals(tshark[2], down[0], "walk agrees with tshark: down packets");
                assertEquals(tshark[3], down[1], "walk agrees with tshark: down wireBytes");
            }
        } else {
            assertEquals(0, directions.get("up").get("packets").asLong(), "no direction without --router-mac");
            assertEquals(0, directions.get("down").get("packets").asLong(), "no direction without --router-mac");
            assertNotNull(directions.get("unknown"));
            assertEquals(report.get("packets").asLong(), directions.get("unknown").get("packets").asLong());
        }
    }
}
