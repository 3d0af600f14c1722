package org.esimmeter.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.esimmeter.agent.capture.LiveNetwork;
import org.esimmeter.agent.capture.LiveNetwork.Counters;
import org.esimmeter.agent.capture.LiveUplinks;

/**
 * One live test's router: the namespaces and uplinks of {@link LiveUplinks}, the agent's configuration, spool and
 * JSON lines in the test's directory, the collector on a fixed port of the router namespace's own loopback, and
 * everything started in it, taken down by {@link #close()} whatever failed half way.
 * <p>
 * The agent's files are the same for every start ({@code agent.yaml}, {@code spool/}, {@code seconds.jsonl},
 * appended to): a restart is the same agent on the same configuration, as systemd would run it again.
 */
final class LiveRouter implements AutoCloseable {
    static final Map<String, String> PROFILES = Map.of("up0", "lan-uplink", "wwan0", "esim-test");
    /** Fixed, so the agent's URL stays valid across collector restarts; free, since the namespace is the test's. */
    static final int COLLECTOR_PORT = 47470;
    static final Duration QUIET_FOR = Duration.ofMillis(400);
    static final Duration QUIET_TIMEOUT = Duration.ofSeconds(10);

    final LiveNetwork network;
    final LiveUplinks uplinks;
    private final Path dir;
    private final Path agentJar;
    private final List<CollectorProcess> collectors = new ArrayList<>();
    /** Set by {@link #configureShipping}. */
    private Shipping shipping;
    /** Opened by the first {@link #api()}. */
    private PortBridge bridge;
    /** Complete JSON lines in the file when the agent last started: where that run's lines begin. */
    private int linesBeforeStart;

    private LiveRouter(final Path dir, final Path agentJar) {
        this.network = new LiveNetwork(dir);
        this.uplinks = new LiveUplinks(network);
        this.dir = dir;
        this.agentJar = agentJar;
    }

    /**
     * Checks root, the jars and the tools, then builds the network; fails (or skips, see
     * {@link LiveNetwork#requireRoot}) before creating anything when one is missing.
     */
    static LiveRouter build(final String test, final Path dir) {
        LiveNetwork.requireRoot(test);
        final Path agentJar = Jars.agent();
        Jars.collector(); // fails now, with the reason, rather than after the network is built
        LiveNetwork.requireTools("ip", "ss", "socat", "iperf3", "ping", "nc");
        LiveNetwork.deleteStaleNamespaces();
        final LiveRouter router = new LiveRouter(dir, agentJar);
        try {
            router.uplinks.build();
        } catch (final RuntimeException | Error e) {
            router.close();
            throw e;
        }
        return router;
    }

    /**
     * Where the agent and the collector of a test find each other: both configurations, written, and the collector's
     * read token.
     */
    record Shipping(Path collectorConfig, Path agentConfig, String readToken) {
    }

    /**
     * Writes the collector's configuration ({@link #COLLECTOR_PORT}, data in {@link #dataDirectory()}, {@code agent}
     * registered) and the agent's ({@link #writeAgentConfig}); starts nothing.
     */
    Shipping configureShipping(final String agent, final String... collectorSettings) throws IOException {
        final CollectorProcess.Config config = new CollectorProcess.Config(dataDirectory()).port(COLLECTOR_PORT);
        final String token = config.agent(agent);
        shipping = new Shipping(config.write(dir.resolve("collector.yaml")),
            writeAgentConfig(agent, token, collectorSettings), config.readToken());
        return shipping;
    }

    /** What a shipping test starts with: the collector, and the agent capturing on links that were quiet. */
    record Started(CollectorProcess collector, Process agent, long fromSecond) {
    }

    /**
     * {@link #configureShipping}, the collector started, quiet links awaited, then the agent started.
     * {@code fromSecond}: every second the agent seals from then on is stamped at or after it (the kernel's clock).
     */
    Started startShipping(final String agent, final String... collectorSettings) throws IOException {
        configureShipping(agent, collectorSettings);
        final CollectorProcess collector = startCollector(shipping.collectorConfig());
        final long fromSecond = System.currentTimeMillis() / 1000;
        awaitQuiet();
        return new Started(collector, startAgent(), fromSecond);
    }

    Path dataDirectory() {
        return dir.resolve("data");
    }

    /** Starts the collector in the router namespace; {@link #close()} stops it if the test does not. */
    CollectorProcess startCollector(final Path config) {
        final CollectorProcess collector = CollectorProcess.startInNamespace(network.router, config);
        collectors.add(collector);
        return collector;
    }

    /**
     * The HTTP API of the collector on {@link #COLLECTOR_PORT}, as this process reaches it (the router namespace's
     * loopback is not this one's: a {@link PortBridge}), with the read token. Asks whichever collector runs there.
     */
    Api api() {
        if (bridge == null) {
            bridge = PortBridge.open(network, network.router, COLLECTOR_PORT, dir);
        }
        return new Api(bridge.url(), shipping.readToken());
    }

    /** The agent's URL for the collector: the router namespace's loopback, {@link #COLLECTOR_PORT}. */
    static URI collectorUrl() {
        return URI.create("http://127.0.0.1:" + COLLECTOR_PORT);
    }

    /** How the collector ended: its exit status after SIGTERM, its log, and what it had stored. */
    record CollectorEnd(int exitStatus, String log, StoredUsage stored) {
    }

    /**
     * SIGTERM to the collector, then its store read through the store API (totals and 1 s series by interface) over
     * {@code [fromSecond, now + 1 s)}: every second sealed since {@code fromSecond} lies in it.
     */
    CollectorEnd stopCollector(final CollectorProcess collector, final long fromSecond) throws Exception {
        final int status = collector.stop();
        final long toSecond = System.currentTimeMillis() / 1000 + 1;
        return new CollectorEnd(status, collector.log(), StoredUsage.read(dataDirectory(), fromSecond, toSecond));
    }

    /**
     * Writes {@code DIR/agent.yaml}: both uplinks with {@link #PROFILES}, the collector at {@link #collectorUrl()}
     * with the test's own spool directory (the machine-wide default, /run/esim-meter, could hold another run's
     * batches), {@code collectorSettings} (YAML lines of the collector section), and JSON lines to
     * {@link #jsonLinesFile()}: the agent's own account, to compare the store and the kernel with.
     */
    private Path writeAgentConfig(final String agent, final String token, final String... collectorSettings)
        throws IOException {
        final List<String> yaml = new ArrayList<>(List.of(
            "interfaces:",
            "  - name: up0",
            "    profile: " + PROFILES.get("up0"),
            "  - name: wwan0",
            "    profile: " + PROFILES.get("wwan0"),
            "collector:",
            "  url: \"" + collectorUrl() + "\"",
            "  agentId: " + agent,
            "  token: \"" + token + "\"",
            "  spoolDirectory: " + spool()));
        for (final String setting : collectorSettings) {
            yaml.add("  " + setting);
        }
        yaml.addAll(List.of("output:", "  jsonLines: " + jsonLinesFile(), ""));
        return Files.writeString(dir.resolve("agent.yaml"), String.join("\n", yaml));
    }

    Path spool() {
        return dir.resolve("spool");
    }

    Path jsonLinesFile() {
        return dir.resolve("seconds.jsonl");
    }

    /**
     * Starts {@code run} on the configuration {@link #configureShipping} wrote and waits until it captures on both
     * uplinks; its log is {@link #agentLog()}. The same configuration, spool and JSON lines file every time.
     */
    Process startAgent() {
        linesBeforeStart = jsonLinesSoFar().size();
        return uplinks.startAgent(agentJar, shipping.agentConfig());
    }

    /** The log (stderr) of the agent started last: each start begins it afresh. */
    String agentLog() {
        return network.read(network.err("agent"));
    }

    /** Waits until the log of the agent started last contains {@code text}. */
    void awaitAgentLog(final String text, final Duration timeout) {
        LiveNetwork.await("the agent's log to say \"" + text + "\"", timeout, () -> agentLog().contains(text),
            this::agentLog);
    }

    /**
     * How an agent's run ended: its exit status, the time from the signal to its exit, its whole log, the JSON lines
     * it wrote (complete ones; {@code linesComplete} is false if it left a partial line behind), the spool's segment
     * files and the uplinks' kernel counters right after it exited.
     */
    record Stopped(int exitStatus, long millis, String log, List<JsonNode> lines, boolean linesComplete,
        List<String> spoolSegments, Map<String, Counters> uplinksAfter) {

        /** {@link ShipSummary#assertEverySecondAcknowledged} for this run's log and lines. */
        ShipSummary assertEverySecondAcknowledged() {
            return ShipSummary.assertEverySecondAcknowledged(log, lines.size());
        }

        /** {@link ShipSummary#assertEverySecondAcknowledgedOrMerged} for this run's log and lines. */
        ShipSummary assertEverySecondAcknowledgedOrMerged() {
            return ShipSummary.assertEverySecondAcknowledgedOrMerged(log, lines.size());
        }

        /** Nothing crossed the uplinks from when {@code counters} were read to the agent's exit. */
        void assertUplinksQuietSince(final Map<String, Counters> counters) {
            assertEquals(onUplinks(counters), uplinksAfter, "uplink counters moved after the capture window closed");
        }

        /** Prints the log's shipping summaries and the lines that contain any of {@code texts}, for the report. */
        void printShipping(final String... texts) {
            log.lines().filter(line -> ShipSummary.PATTERN.matcher(line).find() ||
                Stream.of(texts).anyMatch(line::contains)).forEach(System.out::println);
        }
    }

    /**
     * Sends {@code signal} ("TERM", "KILL") to the agent and waits up to {@code timeout} for it to exit, timing it.
     * {@code ip netns exec} execs the JVM in place: the signal reaches the agent itself.
     */
    Stopped stopAgent(final Process agent, final String signal, final Duration timeout) throws IOException {
        final long startNs = System.nanoTime();
        LiveNetwork.signal(agent, signal);
        final int status = network.awaitExit(agent, "agent", timeout);
        final long millis = (System.nanoTime() - startNs) / 1_000_000;
        final Map<String, Counters> uplinksAfter = onUplinks(LiveNetwork.counters(network.router));
        final List<JsonNode> lines = jsonLinesSoFar();
        return new Stopped(status, millis, agentLog(), List.copyOf(lines.subList(linesBeforeStart, lines.size())),
            Files.readString(jsonLinesFile()).endsWith("\n"), spoolSegments(), uplinksAfter);
    }

    /** The segment files in the spool directory, by name. */
    List<String> spoolSegments() {
        try (Stream<Path> files = Files.list(spool())) {
            return files.map(file -> file.getFileName().toString()).filter(name -> name.startsWith("segment-"))
                .sorted().toList();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The spool's persisted sequence bound: every sequence the agent ever handed out is below it. */
    long spoolSequenceBound() {
        try {
            return Long.parseLong(Files.readString(spool().resolve("sequence")).trim());
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Map<String, Counters> awaitQuiet() {
        return LiveNetwork.awaitQuiet(network.router, QUIET_FOR, QUIET_TIMEOUT);
    }

    /**
     * The kernel counters at a quiet moment, and a whole wall-clock second after it in which no packet crossed any
     * link: every packet before it is stamped earlier, every packet after it later, so the agent's per-second lines
     * split there into what the kernel counted before and after these counters.
     */
    record QuietSecond(long second, Map<String, Counters> counters) {
    }

    QuietSecond awaitQuietSecond() {
        final long deadlineNs = System.nanoTime() + QUIET_TIMEOUT.toNanos();
        while (true) {
            final Map<String, Counters> counters = awaitQuiet();
            final long second = System.currentTimeMillis() / 1000 + 1;
            LiveNetwork.await("the end of second " + second, Duration.ofSeconds(3),
                () -> System.currentTimeMillis() >= (second + 1) * 1000, () -> "");
            // The uplinks only: the agent's shipping to the collector moves lo. A late packet (a TCP retransmission
            // after the links looked quiet) spoils this second: then another one.
            final Map<String, Counters> now = LiveNetwork.counters(network.router);
            if (onUplinks(counters).equals(onUplinks(now))) {
                return new QuietSecond(second, counters);
            }
            assertTrue(System.nanoTime() - deadlineNs < 0, "no whole second without a packet on the uplinks within " +
                QUIET_TIMEOUT + ": " + onUplinks(counters) + " then " + onUplinks(now));
        }
    }

    /** Every TCP transfer of these rounds delivered its exact size: the traffic really went through. */
    static void assertTransfersComplete(final List<LiveUplinks.Transfers> rounds) {
        for (final LiveUplinks.Transfers round : rounds) {
            assertEquals(LiveUplinks.UPLOAD_BYTES, round.uploadReceived(), "bytes the upload's receiver got");
            assertEquals(LiveUplinks.DOWNLOAD_BYTES, round.downloadReceived(), "bytes the download's receiver got");
        }
    }

    /** The counters of the metered interfaces ({@link LiveUplinks#INTERFACES}) only. */
    static Map<String, Counters> onUplinks(final Map<String, Counters> counters) {
        final Map<String, Counters> uplinks = new TreeMap<>();
        for (final String iface : LiveUplinks.INTERFACES) {
            uplinks.put(iface, counters.get(iface));
        }
        return uplinks;
    }

    /** Counter deltas {@code to - from} of the metered interfaces. */
    static Map<String, Counters> delta(final Map<String, Counters> from, final Map<String, Counters> to) {
        final Map<String, Counters> delta = new TreeMap<>();
        for (final String iface : LiveUplinks.INTERFACES) {
            delta.put(iface, to.get(iface).minus(from.get(iface)));
        }
        return delta;
    }

    /**
     * Waits until the agent started last has written, for each uplink, lines of at least {@code seconds} distinct
     * seconds after {@code afterSecond}: it is capturing the traffic and sealing it.
     */
    void awaitSecondsOnBothLinks(final long afterSecond, final int seconds, final Duration timeout) {
        LiveNetwork.await("the agent's lines of " + seconds + " seconds after " + afterSecond + " on both uplinks",
            timeout, () -> {
                final List<JsonNode> lines = jsonLinesSoFar();
                final List<JsonNode> ofThisRun = lines.subList(Math.min(linesBeforeStart, lines.size()), lines.size());
                return LiveUplinks.INTERFACES.stream().allMatch(iface -> ofThisRun.stream()
                    .filter(line -> iface.equals(line.path("interface").asText()))
                    .mapToLong(line -> line.path("t").asLong()).filter(t -> t > afterSecond).distinct()
                    .count() >= seconds);
            }, this::agentLog);
    }

    /** The JSON lines written so far, complete lines only (the agent may be writing the next one). */
    List<JsonNode> jsonLinesSoFar() {
        return JsonLinesTail.complete(jsonLinesFile());
    }

    @Override
    public void close() {
        try {
            for (final CollectorProcess collector : collectors) {
                collector.close();
            }
        } finally {
            try {
                if (bridge != null) {
                    bridge.close();
                }
            } finally {
                network.close();
            }
        }
    }
}
