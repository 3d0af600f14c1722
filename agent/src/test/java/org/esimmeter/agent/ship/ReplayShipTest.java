package org.esimmeter.agent.ship;

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
import static org.esimmeter.agent.frames.Frames.udp;
import static org.esimmeter.agent.frames.Frames.zeros;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.esimmeter.agent.corpus.AgentRun;
import org.esimmeter.agent.corpus.SharedPcaps;
import org.esimmeter.agent.frames.PcapWriter;
import org.esimmeter.wire.Batch;
import org.esimmeter.wire.Direction;
import org.esimmeter.wire.FlowUsage;
import org.esimmeter.wire.SecondUsage;
import org.esimmeter.wire.TrafficCounters;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code replay --json --ship URL}, in-process, against the test receiver: what the collector would store adds up to
 * exactly the replay's own JSON totals — overall, per direction, per second and per flow.
 */
class ReplayShipTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final long ROUTER_MAC = 0x02_00_00_00_00_01L;
    private static final long PEER_MAC = 0x02_00_00_00_00_02L;
    private static final long T = 1_700_000_000L;

    @TempDir
    Path dir;

    private IngestReceiver receiver;

    @AfterEach
    void stop() {
        if (receiver != null) {
            receiver.close();
        }
    }

    /** Five seconds of Ethernet: IPv4 both ways, IPv6 down, ARP, a frame too short for its IP header. */
    private Path capture() throws IOException {
        final PcapWriter pcap = new PcapWriter(PcapWriter.ETHERNET);
        for (int s = 0; s < 5; s++) {
            for (int i = 0; i <= s; i++) {
                pcap.record(T + s, 1000 * i, ethernet(PEER_MAC, ROUTER_MAC, ETHERTYPE_IPV4,
                    ipv4(TCP, "10.0.0.2", "93.184.216.34").payload(tcp(40000 + i, 443, 100 * s)).build()));
                pcap.record(T + s, 1000 * i + 500, ethernet(ROUTER_MAC, PEER_MAC, ETHERTYPE_IPV4,
                    ipv4(TCP, "93.184.216.34", "10.0.0.2").payload(tcp(443, 40000 + i, 1200)).build()));
            }
            pcap.record(T + s, 900_000, ethernet(ROUTER_MAC, PEER_MAC, ETHERTYPE_IPV6,
                ipv6(UDP, "2001:db8::1", "2001:db8::2").payload(udp(53, 5353, 40 + s)).build()));
            if (s % 2 == 0) {
                pcap.record(T + s, 950_000, ethernetPadded(ROUTER_MAC, PEER_MAC, ETHERTYPE_ARP, zeros(28)));
            }
            if (s == 3) {
                pcap.record(T + s, 990_000, ethernet(PEER_MAC, ROUTER_MAC, ETHERTYPE_IPV4, zeros(10)));
            }
        }
        return pcap.write(dir.resolve("five-seconds.pcap"));
    }

    private AgentRun replayShipping(final Path file, final String... extra) {
        final List<String> args = new java.util.ArrayList<>(List.of("replay", "--json", "--router-mac",
            "02:00:00:00:00:01", "--ship", receiver.url().toString(), "--agent-id", "replay-test", "--token",
            IngestReceiver.TOKEN));
        args.addAll(List.of(extra));
        args.add(file.toString());
        return AgentRun.execute(args.toArray(String[]::new));
    }

    @Test
    void shouldShipSecondsThatAddUpToTheReplaysOwnTotals() throws IOException {
        receiver = IngestReceiver.start();
        final Path file = capture();
        final AgentRun run = replayShipping(file);
        assertEquals(0, run.exit(), run::toString);
        assertEquals("", run.err());
        assertShippedEqualsReport(MAPPER.readTree(run.out()), receiver.accepted(), file.getFileName().toString());
        // Five interface-seconds, nothing lost, nothing twice.
        assertEquals(5, receiver.accepted().stream().mapToInt(batch -> batch.seconds().size()).sum());
    }

    @Test
    void shouldShipARealCaptureExactly() throws IOException {
        final Optional<Path> pcaps = SharedPcaps.directory();
        Assumptions.assumeTrue(pcaps.isPresent(), SharedPcaps.ABSENT);
        final Path file = pcaps.get().resolve("pcpp__pcapng-example.pcapng");
        Assumptions.assumeTrue(Files.isReadable(file), file + " not in the corpus");
        receiver = IngestReceiver.start();
        final AgentRun run = AgentRun.execute("replay", "--json", "--ship", receiver.url().toString(), "--agent-id",
            "corpus", "--token", IngestReceiver.TOKEN, file.toString());
        assertEquals(0, run.exit(), run::toString);
        assertShippedEqualsReport(MAPPER.readTree(run.out()), receiver.accepted(), file.getFileName().toString());
    }

    private static void assertShippedEqualsReport(final JsonNode report, final List<Batch> batches,
        final String interfaceName) {
        assertTrue(batches.size() >= 1);
        for (int i = 1; i < batches.size(); i++) {
            assertTrue(batches.get(i).sequence() > batches.get(i - 1).sequence());
        }
        final TrafficCounters total = new TrafficCounters();
        final TrafficCounters nonIp = new TrafficCounters();
        final TrafficCounters unparsed = new TrafficCounters();
        final TrafficCounters overflow = new TrafficCounters();
        final Map<Long, long[]> perSecond = new TreeMap<>();
        final Map<String, long[]> perFlow = new TreeMap<>();
        for (final Batch batch : batches) {
            for (final SecondUsage second : batch.seconds()) {
                assertEquals(interfaceName, second.interfaceName());
                assertEquals(interfaceName, second.profile());
                total.add(second.total());
                nonIp.add(second.nonIp());
                unparsed.add(second.unparsed());
                overflow.add(second.overflow());
                final long[] sums = perSecond.computeIfAbsent(second.epochSecond(), t -> new long[3]);
                for (int metric = 0; metric < 3; metric++) {
                    sums[metric] += second.total().sum(metric);
                }
                for (final FlowUsage flow : second.flows()) {
                    // The replay report merges a 5-tuple's directions.
                    final long[] flowSums = perFlow.computeIfAbsent(flow.protocol() + " " + flow.src() + " " +
                        flow.srcPort() + " " + flow.dst() + " " + flow.dstPort(), key -> new long[3]);
                    flowSums[0] += flow.packets();
                    flowSums[1] += flow.wireBytes();
                    flowSums[2] += flow.ipBytes();
                }
            }
        }
        assertEquals(report.get("packets").asLong(), total.sum(TrafficCounters.PACKETS));
        assertEquals(report.get("wireBytes").asLong(), total.sum(TrafficCounters.WIRE_BYTES));
        assertEquals(report.get("ipBytes").asLong(), total.sum(TrafficCounters.IP_BYTES));
        for (int direction = 0; direction < Direction.COUNT; direction++) {
            final JsonNode byDirection = report.get("directions").get(Direction.name(direction));
            assertEquals(byDirection == null ? 0 : byDirection.get("packets").asLong(),
                total.get(direction, TrafficCounters.PACKETS), Direction.name(direction));
            assertEquals(byDirection == null ? 0 : byDirection.get("wireBytes").asLong(),
                total.get(direction, TrafficCounters.WIRE_BYTES), Direction.name(direction));
            assertEquals(byDirection == null ? 0 : byDirection.get("ipBytes").asLong(),
                total.get(direction, TrafficCounters.IP_BYTES), Direction.name(direction));
        }
        assertEquals(report.get("nonIp").get("packets").asLong(), nonIp.sum(TrafficCounters.PACKETS));
        assertEquals(report.get("nonIp").get("wireBytes").asLong(), nonIp.sum(TrafficCounters.WIRE_BYTES));
        assertEquals(report.get("unparsed").get("packets").asLong(), unparsed.sum(TrafficCounters.PACKETS));
        assertEquals(report.get("unparsed").get("wireBytes").asLong(), unparsed.sum(TrafficCounters.WIRE_BYTES));
        assertEquals(report.get("overflow").get("packets").asLong(), overflow.sum(TrafficCounters.PACKETS));
        final Map<Long, long[]> reportedSeconds = new TreeMap<>();
        report.get("seconds").forEach(second -> reportedSeconds.put(second.get("t").asLong(), new long[] {
            second.get("packets").asLong(), second.get("wireBytes").asLong(), second.get("ipBytes").asLong()}));
        assertEquals(text(reportedSeconds), text(perSecond));
        final Map<String, long[]> reportedFlows = new TreeMap<>();
        report.get("flows").forEach(flow -> reportedFlows.put(flow.get("proto").asInt() + " " +
            flow.get("src").asText() + " " + flow.get("srcPort").asInt() + " " + flow.get("dst").asText() + " " +
            flow.get("dstPort").asInt(), new long[] {flow.get("packets").asLong(), flow.get("wireBytes").asLong(),
            flow.get("ipBytes").asLong()}));
        assertEquals(text(reportedFlows), text(perFlow));
        assertTrue(total.sum(TrafficCounters.PACKETS) > 0);
    }

    private static String text(final Map<?, long[]> sums) {
        final StringBuilder text = new StringBuilder();
        sums.forEach((key, values) -> text.append(key).append(" = ").append(Arrays.toString(values)).append('\n'));
        return text.toString();
    }

    @Test
    void shouldExitOneWithOneLineWhenTheCollectorRefuses() throws IOException {
        receiver = IngestReceiver.start();
        final Path file = capture();
        final AgentRun run = AgentRun.execute("replay", "--json", "--ship", receiver.url().toString(), "--agent-id",
            "replay-test", "--token", "wrong", file.toString());
        assertEquals(1, run.exit(), run::toString);
        assertEquals(1, run.errLines().size(), run::toString);
        assertEquals("esim-meter-agent: collector " + receiver.url() + "/v1/ingest : token refused: HTTP 401 " +
            "token : missing or wrong", run.errLines().get(0), run::toString);
        assertTrue(receiver.accepted().isEmpty());
        // The metering result is printed all the same.
        // Per second s: 2 (s + 1) IPv4, one IPv6, ARP when s is even, the short frame at s = 3: 4 + 5 + 8 + 10 + 12.
        assertEquals(39, MAPPER.readTree(run.out()).get("packets").asLong());
    }

    @Test
    void shouldExitOneWhenTheCollectorDoesNotAnswerInTime() throws IOException {
        receiver = IngestReceiver.start();
        receiver.hang();
        final AgentRun run = replayShipping(capture(), "--ship-timeout", "300ms");
        assertEquals(1, run.exit(), run::toString);
        assertEquals(List.of("esim-meter-agent: collector " + receiver.url() + "/v1/ingest : not every batch was " +
            "acknowledged within 300ms (0 acknowledged, 0 failed attempts)"), run.errLines());
    }

    @Test
    void shouldRefuseIncompleteShippingOptions() throws IOException {
        final Path file = capture();
        assertUsage("esim-meter-agent: --ship needs --agent-id ID",
            AgentRun.execute("replay", "--ship", "http://127.0.0.1:1", "--token", "t", file.toString()));
        assertUsage("esim-meter-agent: --ship needs one of --token TOKEN or --token-env NAME",
            AgentRun.execute("replay", "--ship", "http://127.0.0.1:1", "--agent-id", "a", file.toString()));
        assertUsage("esim-meter-agent: --agent-id, --token and --token-env need --ship URL",
            AgentRun.execute("replay", "--agent-id", "a", file.toString()));
        assertUsage("esim-meter-agent: --ship : ftp://h (expected: http(s)://host:port, no query)",
            AgentRun.execute("replay", "--ship", "ftp://h", "--agent-id", "a", "--token", "t", file.toString()));
        assertUsage("esim-meter-agent: --token-env : ESIM_METER_TEST_UNSET_VARIABLE is not set in the environment",
            AgentRun.execute("replay", "--ship", "http://127.0.0.1:1", "--agent-id", "a", "--token-env",
                "ESIM_METER_TEST_UNSET_VARIABLE", file.toString()));
        assertUsage("esim-meter-agent: --ship-timeout : soon (expected: a duration such as 500ms, 60s or 2m)",
            AgentRun.execute("replay", "--ship", "http://127.0.0.1:1", "--agent-id", "a", "--token", "t",
                "--ship-timeout", "soon", file.toString()));
    }

    private static void assertUsage(final String line, final AgentRun run) {
        assertEquals(2, run.exit(), run::toString);
        assertEquals(List.of(line), run.errLines());
        assertEquals("", run.out());
    }
}
