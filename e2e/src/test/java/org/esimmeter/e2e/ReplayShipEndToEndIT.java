package org.esimmeter.e2e;

import static org.esimmeter.e2e.Api.params;
import static org.esimmeter.e2e.Usage.text;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.esimmeter.agent.corpus.SharedPcaps;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The whole pipeline as an operator runs it: the collector's jar on a loopback port with a fresh SQLite store, and
 * {@code esim-meter-agent replay --json --ship URL} of a capture. What the collector then answers over HTTP —
 * {@code /v1/totals} by interface and by flow, {@code /v1/usage} at every step, {@code /v1/agents} — equals the
 * replay's own JSON exactly. Each capture ships under its own agent id, so their usage never mixes.
 * <p>
 * One capture is written by the test itself, with its expected sums worked out from its frames, so the suite keeps
 * its meaning without the shared corpus; the real captures of {@code ../shared/pcaps} are skipped when it is absent.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ReplayShipEndToEndIT {
    /** Every capture of the shared corpus: link types, fragments, truncation, damage, timestamps from 1970 on. */
    private static final String[] CORPUS = {
        "ndpi__KakaoTalk_chat.pcap",
        "ndpi__dns_fragmented.pcap",
        "ndpi__syslog.pcap",
        "pcpp__DnsPackets.pcap",
        "pcpp__pcapng-example.pcapng",
        "pcpp__raw_ip.pcap",
        "suricata__decode-sll2-02.pcap",
        "suricata__linktype-228_flow-test-01.pcap",
        "suricata__smtp-to-comma_corrupt-record.pcap",
        "zeek__ipv6-http-atomic-frag.pcap",
        "zeek__ppp_quic-interop-retry.pcap",
        "zeek__tcp_timestamp.pcap",
    };
    private static final String SELF = "written-here";
    /** Well below the API's 100,000 points per series. */
    private static final long MAX_BUCKETS = 50_000;
    private static final String[] STEPS = {"1s", "1m", "1h", "1d"};
    private static final long[] STEP_SECONDS = {1, 60, 3_600, 86_400};

    @TempDir
    static Path directory;

    private static CollectorProcess.Config config;
    private static CollectorProcess collector;
    private static Api api;

    @BeforeAll
    static void startCollector() {
        config = new CollectorProcess.Config(directory.resolve("data"));
        config.agent(SELF);
        for (final String name : CORPUS) {
            config.agent(agentId(name));
        }
        collector = CollectorProcess.start(config.write(directory.resolve("collector.yaml")));
        api = new Api(collector.url(), config.readToken());
    }

    @AfterAll
    static void stopCollector() {
        if (collector != null) {
            final int exit = collector.stop();
            assertEquals(0, exit, collector::log);
        }
    }

    static Stream<String> corpus() {
        return Arrays.stream(CORPUS);
    }

    private static String agentId(final String capture) {
        return "corpus-" + capture;
    }

    @Test
    void aCaptureWrittenHereArrivesExactly() throws IOException {
        final TestCapture capture = TestCapture.standard();
        final String name = SELF + ".pcap";
        final Path file = Files.write(directory.resolve(name), capture.pcap());
        final JsonNode report = replayAndShip(file, SELF, "--router-mac", TestCapture.ROUTER_MAC);

        // First the replay against the frames as written (an oracle independent of the agent)...
        assertEquals(text(capture.seconds()), text(Usage.seconds(report)));
        assertEquals(text(capture.flows()), text(Usage.flows(report)));
        for (int direction = 0; direction < 3; direction++) {
            final String label = TestCapture.DIRECTIONS[direction];
            assertArrayEquals(capture.direction(direction), Usage.direction(report, label), label);
        }
        assertArrayEquals(capture.kind(TestCapture.Kind.NON_IP), Usage.sums(report.get("nonIp")));
        assertArrayEquals(capture.kind(TestCapture.Kind.UNPARSED), Usage.sums(report.get("unparsed")));
        // ... worked out by hand: 15 frames, 12 of them IP in 8 one-way flows; two ARP and the runt count 60 wire
        // bytes each and no IP bytes; the cut frame counts its original 1514 bytes.
        assertArrayEquals(new long[] {15, 8210, 7846}, Usage.sums(report));
        assertEquals(8, capture.flows().size());

        // ... then the collector against the replay.
        assertCollectorHolds(report, SELF, name);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void aRealCaptureArrivesExactly(final String name) {
        final Optional<Path> pcaps = SharedPcaps.directory();
        Assumptions.assumeTrue(pcaps.isPresent(), SharedPcaps.ABSENT);
        final Path file = pcaps.get().resolve(name);
        Assumptions.assumeTrue(Files.isReadable(file), file + " is not in the shared corpus; this case is skipped");
        assertCollectorHolds(replayAndShip(file, agentId(name)), agentId(name), name);
    }

    /** Replays and ships; the replay must succeed, acknowledged, saying nothing but libpcap's early stop. */
    private static JsonNode replayAndShip(final Path file, final String agentId, final String... options) {
        final List<String> args = new ArrayList<>(List.of("replay", "--json", "--ship", collector.url().toString(),
            "--agent-id", agentId, "--token", config.agent(agentId), "--ship-timeout", "60s"));
        args.addAll(List.of(options));
        args.add(file.toString());
        final AgentReplay replay = AgentReplay.run(directory, args.toArray(String[]::new));
        assertEquals(0, replay.exit(), replay::toString);
        // Two corpus files end early (damage, a second link type): their one warning is expected, nothing else.
        assertTrue(replay.err().isEmpty() || replay.err().startsWith("esim-meter-agent: warning: " + file +
            " : libpcap stopped early: ") && replay.err().indexOf('\n') == replay.err().length() - 1,
            replay::toString);
        final JsonNode report;
        try {
            report = Api.JSON.readTree(replay.out());
        } catch (final IOException e) {
            throw new AssertionError("replay output is not JSON: " + replay, e);
        }
        assertTrue(report.get("packets").asLong() > 0, replay::toString);
        return report;
    }

    /** The collector's answers for {@code agentId} equal the replay's report, whatever the question. */
    private static void assertCollectorHolds(final JsonNode report, final String agentId, final String interfaceName) {
        final SortedMap<Long, long[]> seconds = Usage.seconds(report);
        final long from = seconds.firstKey();
        final long to = seconds.lastKey() + 1;
        final long[] total = Usage.sums(report);
        assertArrayEquals(total, Usage.total(seconds), "the report's seconds add up to its totals");

        // Totals by interface: one group, each direction exact.
        final JsonNode byInterface = api.get("/v1/totals", params("from", from, "to", to, "by", "interface",
            "agent", agentId)).get("groups");
        assertEquals(1, byInterface.size(), byInterface::toString);
        final JsonNode group = byInterface.get(0);
        assertEquals(agentId, group.get("agent").asText());
        assertEquals(interfaceName, group.get("interface").asText());
        assertEquals(interfaceName, group.get("profile").asText());
        for (final String direction : TestCapture.DIRECTIONS) {
            assertArrayEquals(Usage.direction(report, direction), Usage.sums(group.get(direction)), direction);
        }
        assertArrayEquals(total, Usage.sums(group.get("total")));

        // Totals by flow: the collector keeps a direction per flow, the replay merges them per 5-tuple.
        final SortedMap<String, long[]> flows = new TreeMap<>();
        api.get("/v1/totals", params("from", from, "to", to, "by", "flow", "agent", agentId)).get("groups")
            .forEach(flow -> {
                assertArrayEquals(Usage.sums(flow.get("total")), Usage.sums(flow.get(flow.get("direction").asText())),
                    () -> "a flow group's usage lies in its direction: " + flow);
                Usage.add(flows.computeIfAbsent(Usage.flowKey(flow), key -> new long[3]), Usage.sums(flow.get("total")));
            });
        assertEquals(text(Usage.flows(report)), text(flows));

        // The series at every step: bucket by bucket the report's seconds, and in sum the totals.
        for (int step = 0; step < STEPS.length; step++) {
            final SortedMap<Long, long[]> points = new TreeMap<>();
            for (final long[] window : Usage.windows(new TreeSet<>(seconds.keySet()), STEP_SECONDS[step],
                MAX_BUCKETS)) {
                api.get("/v1/usage", params("from", window[0], "to", window[1], "step", STEPS[step], "by",
                    "interface", "agent", agentId)).get("points").forEach(point -> {
                        assertEquals(interfaceName, point.get("interface").asText());
                        Usage.add(points.computeIfAbsent(point.get("t").asLong(), t -> new long[3]),
                            Usage.sums(point.get("total")));
                    });
            }
            assertEquals(text(Usage.buckets(seconds, STEP_SECONDS[step])), text(points), STEPS[step]);
            assertArrayEquals(total, Usage.total(points), STEPS[step]);
        }

        // The agent is listed with its one interface and the newest second of usage.
        final List<JsonNode> agents = new ArrayList<>();
        api.get("/v1/agents", Map.of()).get("agents").forEach(agent -> {
            if (agentId.equals(agent.get("agent").asText())) {
                agents.add(agent);
            }
        });
        assertEquals(1, agents.size());
        final JsonNode interfaces = agents.get(0).get("interfaces");
        assertEquals(1, interfaces.size(), interfaces::toString);
        assertEquals(interfaceName, interfaces.get(0).get("interface").asText());
        assertEquals(interfaceName, interfaces.get(0).get("profile").asText());
        assertEquals(seconds.lastKey(), interfaces.get(0).get("lastSecond").asLong());
    }
}
