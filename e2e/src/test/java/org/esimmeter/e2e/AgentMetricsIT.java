package org.esimmeter.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.esimmeter.agent.capture.LiveNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's {@code GET /metrics} as a scraper sees it: the shaded agent runs on {@code lo}, with a BPF filter on a
 * UDP port only this test sends to, shipping to the real collector on loopback, its endpoint on a port the kernel
 * picks. {@value #FLOWS} sockets send {@value #PAYLOAD}-byte datagrams ten times a second for about
 * {@value #ROUNDS} / 10 s. Then the scrape says exactly what was sent: packets and wire and IP bytes, a flow-table
 * occupancy of {@value #FLOWS} while the traffic flows and 0 after a quiet second, libpcap's kernel count (each
 * loopback packet twice), no drop, an empty spool, as many latency samples as acknowledged batches and as many
 * acknowledged batches as the collector stored; other paths get 404, other methods 405, and a taken port exit 2.
 * Needs root (live capture); elsewhere {@code -Desimmeter.skipPrivileged=true} skips it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AgentMetricsIT {
    private static final int FLOWS = 6;
    private static final int ROUNDS = 35;
    private static final int PAYLOAD = 100;
    /** Ethernet (lo's link type is EN10MB), IPv4 and UDP headers. */
    private static final int WIRE_OVERHEAD = 14 + 20 + 8;
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final Pattern METRICS_URL = Pattern.compile("metrics on (http://\\S+)/metrics");
    private static final String AGENT_ID = "metrics-it";
    private static final String LO = "interface=\"lo\"";

    @TempDir
    static Path dir;

    private static DatagramSocket sink;
    private static CollectorProcess collector;
    private static Api collectorApi;
    private static Process agent;
    private static URI agentBase;
    private static Api agentApi;
    private static int sent;
    private static Api.Metrics duringTraffic;
    private static Api.Metrics settled;
    private static Api.Metrics collectorSettled;

    @BeforeAll
    static void meterTrafficOnLoopback() throws Exception {
        LiveNetwork.requireRoot("AgentMetricsIT");
        // Bound and never read: the datagrams have a receiver, so the kernel answers none with ICMP.
        sink = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        final CollectorProcess.Config config = new CollectorProcess.Config(dir.resolve("data"));
        final String token = config.agent(AGENT_ID);
        collector = CollectorProcess.start(config.write(dir.resolve("collector.yaml")));
        collectorApi = new Api(collector.url(), config.readToken());

        agent = startAgent(Files.writeString(dir.resolve("agent.yaml"), String.join("\n",
            "capture:",
            "  filter: \"udp and dst port " + sink.getLocalPort() + "\"",
            "interfaces:",
            "  - name: lo",
            "    profile: loopback-test",
            "collector:",
            "  url: \"" + collector.url() + "\"",
            "  agentId: " + AGENT_ID,
            "  token: \"" + token + "\"",
            "  spoolDirectory: \"" + dir.resolve("spool") + "\"",
            "output:",
            "  jsonLines: \"" + dir.resolve("seconds.jsonl") + "\"",
            "metrics:",
            "  listen: 127.0.0.1:0",
            "")), "agent");
        LiveNetwork.await("the agent's metrics endpoint", TIMEOUT, () -> METRICS_URL.matcher(log("agent")).find(),
            () -> log("agent"));
        final Matcher url = METRICS_URL.matcher(log("agent"));
        assertTrue(url.find());
        agentBase = URI.create(url.group(1));
        agentApi = new Api(agentBase, "unused");

        final CompletableFuture<Integer> sender = CompletableFuture.supplyAsync(AgentMetricsIT::send);
        // Every whole second of the traffic holds one datagram or more of each socket: FLOWS flows.
        LiveNetwork.await("a second of " + FLOWS + " flows", TIMEOUT,
            () -> agentApi.metrics().value("esimmeter_agent_flows", LO) == FLOWS, () -> agentApi.metrics().text());
        duringTraffic = agentApi.metrics();
        sent = sender.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        LiveNetwork.await("the agent to count " + sent + " packets and find the link quiet", TIMEOUT, () -> {
            final Api.Metrics now = agentApi.metrics();
            return packets(now) == sent && now.value("esimmeter_agent_flows", LO) == 0 &&
                now.value("esimmeter_agent_pcap_received_total", LO) == 2L * sent;
        }, () -> "sent " + sent + "\n" + agentApi.metrics().text());
        LiveNetwork.await("every batch acknowledged and stored", TIMEOUT, () -> {
            final Api.Metrics now = agentApi.metrics();
            final long acknowledged = now.value("esimmeter_agent_ship_batches_total", "outcome=\"acknowledged\"");
            return now.value("esimmeter_agent_spool_bytes") == 0 && acknowledged > 0 &&
                acknowledged == collectorApi.metrics().value("esim_ingest_batches_total", "outcome=\"stored\"");
        }, () -> agentApi.metrics().text() + "\n--- collector ---\n" + collectorApi.metrics().text());
        settled = agentApi.metrics();
        collectorSettled = collectorApi.metrics();
    }

    /** FLOWS sockets, one datagram each per round, a round every 100 ms; the number of datagrams sent. */
    private static int send() {
        final List<DatagramSocket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < FLOWS; i++) {
                sockets.add(new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)));
            }
            final DatagramPacket datagram = new DatagramPacket(new byte[PAYLOAD], PAYLOAD,
                InetAddress.getLoopbackAddress(), sink.getLocalPort());
            int count = 0;
            final long startNanos = System.nanoTime();
            for (int round = 0; round < ROUNDS; round++) {
                for (final DatagramSocket socket : sockets) {
                    socket.send(datagram);
                    count++;
                }
                // Paced by the clock, not by a guess: round r leaves at r x 100 ms.
                final long nextNanos = startNanos + TimeUnit.MILLISECONDS.toNanos(100L * (round + 1));
                TimeUnit.NANOSECONDS.sleep(Math.max(0, nextNanos - System.nanoTime()));
            }
            return count;
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            sockets.forEach(DatagramSocket::close);
        }
    }

    private static Process startAgent(final Path config, final String name) throws IOException {
        return new ProcessBuilder(Jars.command(Jars.agent(), "run", "--config", config.toString()))
            .redirectOutput(dir.resolve(name + ".out").toFile())
            .redirectError(dir.resolve(name + ".err").toFile())
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
            .start();
    }

    private static String log(final String name) {
        try {
            final Path file = dir.resolve(name + ".err");
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long packets(final Api.Metrics metrics) {
        return metrics.value("esimmeter_agent_packets_total", LO, "direction=\"up\"") +
            metrics.value("esimmeter_agent_packets_total", LO, "direction=\"down\"");
    }

    private static long both(final Api.Metrics metrics, final String name) {
        return metrics.value(name, LO, "direction=\"up\"") + metrics.value(name, LO, "direction=\"down\"");
    }

    private static double sample(final Api.Metrics metrics, final String series) {
        final Double value = metrics.samples().get(series);
        assertTrue(value != null, series + " in:\n" + metrics.text());
        return value;
    }

    @AfterAll
    static void tearDown() {
        if (agent != null && agent.isAlive()) {
            agent.destroyForcibly();
        }
        if (collector != null) {
            collector.close();
        }
        if (sink != null) {
            sink.close();
        }
    }

    @Test
    @Order(1)
    void countsExactlyWhatWasSentOnLoopback() throws IOException {
        assertEquals((long) FLOWS * ROUNDS, sent);
        assertEquals(sent, packets(settled));
        assertEquals((long) sent * (WIRE_OVERHEAD + PAYLOAD), both(settled, "esimmeter_agent_wire_bytes_total"));
        assertEquals((long) sent * (20 + 8 + PAYLOAD), both(settled, "esimmeter_agent_ip_bytes_total"));
        assertEquals(0, settled.value("esimmeter_agent_unparsed_packets_total", LO));
        assertEquals(0, settled.value("esimmeter_agent_nonip_packets_total", LO));
        assertEquals(0, settled.value("esimmeter_agent_overflow_packets_total", LO));
        assertEquals(0, settled.value("esimmeter_agent_overflow_bytes_total", LO));
        // The JSON lines, written from the same seconds by another path, agree.
        long linePackets = 0;
        final ObjectMapper json = new ObjectMapper();
        for (final String line : Files.readAllLines(dir.resolve("seconds.jsonl"))) {
            final JsonNode total = json.readTree(line).path("total");
            linePackets += total.path("up").path("packets").asLong() + total.path("down").path("packets").asLong();
        }
        assertEquals(sent, linePackets);
    }

    @Test
    @Order(1)
    void reportsLibpcapCountsAndNoDrop() {
        // The kernel hands each loopback packet to packet sockets twice (outgoing, then incoming) and counts both;
        // libpcap discards the outgoing copy (tcpdump's "received by filter" shows the same double).
        assertEquals(2L * sent, settled.value("esimmeter_agent_pcap_received_total", LO));
        assertEquals(0, settled.value("esimmeter_agent_pcap_dropped_total", LO));
    }

    @Test
    @Order(1)
    void reportsFlowTableOccupancy() {
        assertEquals(FLOWS, duringTraffic.value("esimmeter_agent_flows", LO), duringTraffic.text());
        assertEquals(0, settled.value("esimmeter_agent_flows", LO), "after a second without packets");
        assertEquals(FLOWS, settled.value("esimmeter_agent_flows_peak", LO));
        assertEquals(65_536, settled.value("esimmeter_agent_flows_limit", LO), "capture.maxFlowsPerSecond default");
        assertTrue(settled.text().contains("esimmeter_agent_flows{interface=\"lo\",profile=\"loopback-test\"} 0"),
            settled.text());
    }

    @Test
    @Order(1)
    void reportsShippingAndItsLatency() {
        final long acknowledged = settled.value("esimmeter_agent_ship_batches_total", "outcome=\"acknowledged\"");
        assertEquals(collectorSettled.value("esim_ingest_batches_total", "outcome=\"stored\""), acknowledged);
        assertEquals(0, collectorSettled.value("esim_ingest_batches_total", "outcome=\"duplicate\""));
        assertEquals(acknowledged, settled.value("esimmeter_agent_ship_latency_seconds_count"),
            "a latency sample per acknowledged batch");
        assertEquals(settled.value("esimmeter_agent_ship_requests_total"),
            settled.value("esimmeter_agent_ship_roundtrip_seconds_count"), "a round trip per acknowledged request");
        for (final String outcome : List.of("refused", "merged", "dropped")) {
            assertEquals(0, settled.value("esimmeter_agent_ship_batches_total", "outcome=\"" + outcome + "\""),
                outcome);
        }
        assertEquals(0, settled.value("esimmeter_agent_spool_bytes"));
        assertEquals(0, settled.value("esimmeter_agent_spool_memory_bytes"));
        assertEquals(0, settled.value("esimmeter_agent_clock_steps_total"));
        assertEquals(0, settled.value("esimmeter_agent_ship_attempts_failed_total"));
        final double p50 = sample(settled, "esimmeter_agent_ship_latency_seconds{quantile=\"0.5\"}");
        final double p99 = sample(settled, "esimmeter_agent_ship_latency_seconds{quantile=\"0.99\"}");
        // A batch waits for nothing but its POST here: above 0, far below the request timeout.
        assertTrue(p50 > 0 && p50 <= p99 && p99 < 10, "p50 " + p50 + " s, p99 " + p99 + " s");
        assertTrue(sample(settled, "esimmeter_agent_ship_latency_seconds_max") >= p99 / 1.01,
            settled.text());
    }

    @Test
    @Order(1)
    void servesJvmMetricsToo() {
        assertTrue(settled.samples().keySet().stream().anyMatch(series -> series.startsWith(
            "jvm_memory_used_bytes{area=\"heap\"")), settled.text());
        assertTrue(sample(settled, "process_uptime_seconds") > 0);
        assertTrue(sample(settled, "jvm_threads_live_threads") > 0);
        assertTrue(agentBase.toString().startsWith("http://127.0.0.1:"), agentBase.toString());
    }

    @Test
    @Order(1)
    void refusesOtherPathsAndMethods() throws Exception {
        final HttpClient client = HttpClient.newHttpClient();
        final HttpResponse<String> root = client.send(HttpRequest.newBuilder(agentBase.resolve("/")).GET().build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(404, root.statusCode());
        assertEquals("path : / (expected: /metrics)\n", root.body());
        final HttpResponse<String> post = client.send(HttpRequest.newBuilder(agentBase.resolve("/metrics"))
            .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(405, post.statusCode());
        assertEquals(List.of("GET"), post.headers().allValues("Allow"));
        assertEquals("method : POST (expected: GET)\n", post.body());
    }

    @Test
    @Order(2)
    void aSecondAgentOnTheSamePortExits2NamingTheKey() throws Exception {
        final String listen = "127.0.0.1:" + agentBase.getPort();
        final Process second = startAgent(Files.writeString(dir.resolve("second.yaml"), String.join("\n",
            "capture:",
            "  filter: \"udp and dst port " + sink.getLocalPort() + "\"",
            "interfaces:",
            "  - name: lo",
            "output:",
            "  jsonLines: none",
            "metrics:",
            "  listen: " + listen,
            "")), "second");
        assertTrue(second.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS), "the second agent still runs");
        assertEquals(2, second.exitValue(), log("second"));
        final List<String> errors = log("second").lines().filter(line -> line.startsWith("esim-meter-agent: "))
            .toList();
        assertEquals(List.of("esim-meter-agent: metrics.listen : cannot listen on " + listen +
            " (Address already in use)"), errors, log("second"));
    }

    @Test
    @Order(3)
    void stopsOnSigtermWithTheSummaryInItsLog() throws Exception {
        LiveNetwork.signal(agent, "TERM");
        assertTrue(agent.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS), "the agent still runs after SIGTERM");
        assertEquals(0, agent.exitValue(), log("agent"));
        final Matcher summary = Pattern.compile("collector \\S+: .*; clock steps 0; latency p99 \\d+\\.\\d{3} s, " +
            "max \\d+\\.\\d{3} s").matcher(log("agent"));
        assertTrue(summary.find(), log("agent"));
    }
}
