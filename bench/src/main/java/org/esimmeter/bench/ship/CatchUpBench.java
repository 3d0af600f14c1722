package org.esimmeter.bench.ship;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.esimmeter.agent.ship.CollectorSink;
import org.esimmeter.agent.ship.Spool;

/**
 * Issue 4's catch-up goal, measured: "a 1-hour backlog of a busy router delivered in under 30 s over loopback".
 * Run by scripts/bench-catchup.sh.
 * <ol>
 *   <li><b>Outage.</b> An agent-side {@link CollectorSink} with a {@link Spool} ships to a loopback port where
 *   nothing listens; {@link BusyRouter} meters {@code seconds} seconds of packet time (timestamps from
 *   {@code seconds} ago up to now) through the agent's decoder and meters into it, one batch per second; then the
 *   sink is closed, which writes every unacknowledged batch to the spool directory, as SIGTERM does. The spool is
 *   read back with the wire codec: files, bytes, batches, interface-seconds, flow-second records.</li>
 *   <li><b>Catch-up</b>, {@code runs} times, each on a copy of that spool and a fresh collector: the collector jar
 *   starts (temp data directory, a loopback port, the agent's token) and, once it listens, the clock starts: the
 *   spool is opened and a new sink started on it, as an agent restarting after the outage does; the clock stops
 *   when {@link CollectorSink#awaitDelivered} reports every batch answered. Then the run is checked: every batch
 *   acknowledged (none refused or dropped), the spool directory empty, and the collector's {@code /v1/totals}
 *   equal to what was fed, byte for byte (see {@link CollectorAnswers}). A run that fails a check fails the
 *   benchmark: a fast wrong answer is no evidence.</li>
 * </ol>
 * Only public API of the agent ({@code Spool.open}, {@code CollectorSink}'s constructors, settings, counters and
 * {@code awaitDelivered}) and of the collector (its jar and HTTP API) is used, so the benchmark measures whatever
 * batching and storing those do today.
 * <pre>
 * java -cp benchmarks.jar org.esimmeter.bench.ship.CatchUpBench collectorJar=PATH [work=DIR] [runs=3]
 *     [seconds=3600] [flows=150] [pps=4000] [seed=2026] [timeout=600]
 * </pre>
 * {@code flows} and {@code pps} are per interface. Progress goes to stderr, the markdown report to stdout; exit
 * status 1 if a run missed a check.
 */
public final class CatchUpBench {
    static final String AGENT_ID = "busy-router";
    /** The agent's defaults (config collector.batchMaxBytes); the spool cap is the largest the config allows. */
    static final int BATCH_MAX_BYTES = 1 << 20;
    static final long SPOOL_MAX_BYTES = 1L << 30;
    static final long DEFAULT_SPOOL_MAX_BYTES = 32L << 20;

    private CatchUpBench() {
    }

    /** One catch-up. */
    record Run(double openSeconds, double catchUpSeconds, long batches, long interfaceSeconds, long flowSeconds,
        long attemptsFailed, double ingestP50Ms, double ingestP99Ms, List<String> mismatches) {

        double batchesPerSecond() {
            return batches / catchUpSeconds;
        }

        double recordsPerSecond() {
            return flowSeconds / catchUpSeconds;
        }
    }

    public static void main(final String[] args) throws Exception {
        final Map<String, String> options = options(args);
        final Path jar = Path.of(require(options, "collectorJar"));
        if (!Files.isRegularFile(jar)) {
            usage("collectorJar : " + jar + " (expected: the collector's shaded jar)");
        }
        final Path work = options.containsKey("work") ? Path.of(options.get("work")) :
            Files.createTempDirectory("esim-catchup");
        if (options.containsKey("work") && Files.isDirectory(work)) {
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(work)) {
                if (entries.iterator().hasNext()) {
                    usage("work : " + work + " is not empty (expected: a new or empty directory: an old spool " +
                        "there would join the backlog)");
                }
            }
        }
        final int runs = integer(options, "runs", 3);
        final int seconds = integer(options, "seconds", 3600);
        final BusyRouter router = new BusyRouter(integer(options, "flows", 150), integer(options, "pps", 4000),
            integer(options, "seed", 2026));
        final long timeoutSeconds = integer(options, "timeout", 600);
        final String token = newToken();

        System.err.println("== outage: " + router.describe() + "; " + seconds + " s of packet time into a spool");
        final Path spool = work.resolve("spool");
        final long lastSecond = System.currentTimeMillis() / 1000;
        final long firstSecond = lastSecond - seconds;
        final long buildStart = System.nanoTime();
        buildBacklog(router, spool, firstSecond, seconds, token);
        final double buildSeconds = (System.nanoTime() - buildStart) / 1e9;
        final SpoolContents backlog = SpoolContents.read(spool);
        if (backlog.interfaceSeconds() != (long) seconds * BusyRouter.INTERFACES.length) {
            throw new IllegalStateException("the spool holds " + backlog.interfaceSeconds() + " interface-seconds " +
                "(expected: " + (long) seconds * BusyRouter.INTERFACES.length + ")");
        }
        System.err.printf("   spooled in %.1f s: %s%n", buildSeconds, backlog);

        final List<Run> results = new ArrayList<>();
        for (int run = 1; run <= runs; run++) {
            System.err.println("== catch-up run " + run + " of " + runs);
            final Run result = catchUp(jar, work.resolve("run-" + run), spool, router, firstSecond, lastSecond,
                backlog, token, timeoutSeconds);
            System.err.printf("   %.2f s (spool open %.2f s): %d batches, %.0f batches/s, %.0f flow-second " +
                "records/s, %d failed attempts, collector ingest p50 %.1f ms p99 %.1f ms; %s%n",
                result.catchUpSeconds(), result.openSeconds(), result.batches(), result.batchesPerSecond(),
                result.recordsPerSecond(), result.attemptsFailed(), result.ingestP50Ms(), result.ingestP99Ms(),
                result.mismatches().isEmpty() ? "stored totals equal the fed ones" : result.mismatches());
            results.add(result);
        }
        CatchUpReport.print(System.out, router, seconds, backlog, buildSeconds, results, Files.getFileStore(
            work).type());
        final boolean failed = results.stream().anyMatch(r -> !r.mismatches().isEmpty());
        if (failed) {
            System.err.println("CatchUpBench: a run failed its checks; kept " + work + " (collector logs, spools)");
        } else if (!options.containsKey("work")) {
            delete(work);
        }
        System.exit(failed ? 1 : 0);
    }

    /** The outage: everything goes to a port where nothing listens, then close() spools it all. */
    private static void buildBacklog(final BusyRouter router, final Path directory, final long firstSecond,
        final int seconds, final String token) throws IOException, InterruptedException {
        final URI nowhere = URI.create("http://127.0.0.1:" + unusedPort());
        // The batch interval is the packet second (BusyRouter flushes after each): the wall-clock interval of a
        // running agent would cut this faster-than-real-time feed at arbitrary points.
        final CollectorSink.Settings settings = CollectorSink.Settings.of(nowhere, AGENT_ID, token, BATCH_MAX_BYTES,
            SPOOL_MAX_BYTES).withTimes(TimeUnit.HOURS.toMillis(24), 500, 30_000);
        final CollectorSink sink = new CollectorSink(settings, Spool.open(directory, Spool.DEFAULT_LEASE_BLOCK));
        router.feed(firstSecond, seconds, sink);
        sink.close(0);
        if (sink.batchesAcknowledged() != 0 || sink.batchesDropped() != 0 || sink.secondsRefused() != 0 ||
            sink.spoolWriteFailures() != 0) {
            throw new IllegalStateException("outage: " + sink.batchesAcknowledged() + " batches acknowledged by " +
                nowhere + " (expected: 0, nothing listens there), " + sink.batchesDropped() + " dropped, " +
                sink.secondsRefused() + " seconds refused, " + sink.spoolWriteFailures() + " spool write failures");
        }
    }

    private static Run catchUp(final Path jar, final Path directory, final Path backlogSpool,
        final BusyRouter router, final long firstSecond, final long lastSecond, final SpoolContents backlog,
        final String token, final long timeoutSeconds) throws IOException, InterruptedException {
        final Path spool = directory.resolve("spool");
        Files.createDirectories(spool);
        try (DirectoryStream<Path> files = Files.newDirectoryStream(backlogSpool)) {
            for (final Path file : files) {
                Files.copy(file, spool.resolve(file.getFileName()));
            }
        }
        try (CollectorJar collector = CollectorJar.start(jar, directory, AGENT_ID, token)) {
            final long start = System.nanoTime();
            final Spool opened = Spool.open(spool, Spool.DEFAULT_LEASE_BLOCK);
            final long openedNanos = System.nanoTime();
            final CollectorSink sink = new CollectorSink(CollectorSink.Settings.of(collector.url(), AGENT_ID, token,
                BATCH_MAX_BYTES, SPOOL_MAX_BYTES), opened);
            final boolean delivered = sink.awaitDelivered(timeoutSeconds, TimeUnit.SECONDS);
            final long end = System.nanoTime();
            sink.close();
            final List<String> mismatches = new ArrayList<>();
            if (!delivered) {
                mismatches.add("not every batch answered within " + timeoutSeconds + " s");
            }
            expect(mismatches, "batches acknowledged", sink.batchesAcknowledged(), backlog.batches());
            expect(mismatches, "seconds acknowledged", sink.secondsAcknowledged(), backlog.interfaceSeconds());
            expect(mismatches, "batches refused", sink.batchesRejected(), 0);
            expect(mismatches, "batches dropped", sink.batchesDropped(), 0);
            expect(mismatches, "segment files left in the spool", SpoolContents.segmentFiles(spool), 0);
            final CollectorAnswers answers = new CollectorAnswers(collector.url());
            mismatches.addAll(answers.check(AGENT_ID, router, firstSecond, lastSecond, backlog));
            if (!mismatches.isEmpty()) {
                mismatches.add("collector log: " + collector.log());
            }
            return new Run((openedNanos - start) / 1e9, (end - start) / 1e9, sink.batchesAcknowledged(),
                sink.secondsAcknowledged(), backlog.flowSeconds(), sink.attemptsFailed(),
                answers.metric("esim_ingest_latency_seconds{quantile=\"0.5\"}") * 1000,
                answers.metric("esim_ingest_latency_seconds{quantile=\"0.99\"}") * 1000, mismatches);
        } finally {
            delete(directory.resolve("data"));
        }
    }

    private static void expect(final List<String> mismatches, final String what, final long actual,
        final long expected) {
        if (actual != expected) {
            mismatches.add(what + " : " + actual + " (expected: " + expected + ")");
        }
    }

    /** 32 hex digits: the collector wants a bearer token of at least 16 visible characters. */
    private static String newToken() {
        final byte[] bytes = new byte[16];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /** A loopback port nobody listens on: the kernel's pick, released at once. */
    private static int unusedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static void delete(final Path directory) throws IOException {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            for (final Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    private static Map<String, String> options(final String[] args) {
        final Map<String, String> options = new LinkedHashMap<>();
        for (final String arg : args) {
            final int equals = arg.indexOf('=');
            if (equals <= 0) {
                usage("argument : " + arg + " (expected: key=value)");
            }
            options.put(arg.substring(0, equals), arg.substring(equals + 1));
        }
        for (final String key : options.keySet()) {
            if (!List.of("collectorJar", "work", "runs", "seconds", "flows", "pps", "seed", "timeout").contains(key)) {
                usage("option : " + key + " (expected: collectorJar, work, runs, seconds, flows, pps, seed, timeout)");
            }
        }
        return options;
    }

    private static String require(final Map<String, String> options, final String key) {
        final String value = options.get(key);
        if (value == null || value.isBlank()) {
            usage(key + " : missing");
        }
        return value;
    }

    private static int integer(final Map<String, String> options, final String key, final int otherwise) {
        final String value = options.get(key);
        if (value == null) {
            return otherwise;
        }
        try {
            final int parsed = Integer.parseInt(value);
            if (parsed < 1) {
                usage(key + " : " + value + " (expected: >= 1)");
            }
            return parsed;
        } catch (final NumberFormatException e) {
            usage(key + " : " + value + " (expected: an integer)");
            return otherwise;
        }
    }

    private static void usage(final String problem) {
        System.err.println("CatchUpBench: " + problem);
        System.err.println("usage: CatchUpBench collectorJar=PATH [work=DIR] [runs=3] [seconds=3600] [flows=150] " +
            "[pps=4000] [seed=2026] [timeout=600]");
        System.exit(2);
    }
}
