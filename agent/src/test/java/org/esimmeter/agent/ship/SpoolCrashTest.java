package org.esimmeter.agent.ship;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.esimmeter.agent.corpus.AgentRun;
import org.esimmeter.wire.Batch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The spool across a real kill -9 (a child JVM), its size cap, and an unusable spool directory at start. */
class SpoolCrashTest {
    private static final long T = 1_700_000_000L;
    private static final long HOUR_MILLIS = 3_600_000;

    @TempDir
    Path directory;
    private IngestReceiver receiver;

    @AfterEach
    void stop() {
        if (receiver != null) {
            receiver.close();
        }
    }

    /** The child: ships a second per batch to args[0] from spool args[1] with a lease block of 3, forever. */
    public static void main(final String[] args) throws Exception {
        final CollectorSink sink = new CollectorSink(CollectorSink.Settings.of(URI.create(args[0]), "router-7",
            IngestReceiver.TOKEN, 1 << 20, 64 << 20).withTimes(HOUR_MILLIS, 20, 200),
            Spool.open(Path.of(args[1]), 3));
        for (long t = T; ; t++) {
            sink.onSecond(TestSeconds.second("wwan0", t, 1));
            sink.awaitDelivered(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void shouldResumeAboveEverySequenceSentAfterKill9() throws Exception {
        receiver = IngestReceiver.start();
        final Path spool = directory.resolve("spool");
        final Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp", System.getProperty("java.class.path"), SpoolCrashTest.class.getName(), receiver.url().toString(),
            spool.toString()).redirectErrorStream(true).redirectOutput(directory.resolve("child.log").toFile())
            .start();
        try {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (receiver.accepted().size() < 10) {
                assertTrue(child.isAlive(), () -> "child died: " + read(directory.resolve("child.log")));
                assertTrue(System.nanoTime() < deadline, "child shipped " + receiver.accepted().size() + " batches");
                TimeUnit.MILLISECONDS.sleep(5); // re-check interval of a condition wait
            }
        } finally {
            child.destroyForcibly(); // SIGKILL: no shutdown hook, no close
            child.waitFor(10, TimeUnit.SECONDS);
        }
        final long highest = receiver.accepted().stream().mapToLong(Batch::sequence).max().orElseThrow();
        final CollectorSink sink = new CollectorSink(CollectorSink.Settings.of(receiver.url(), "router-7",
            IngestReceiver.TOKEN, 1 << 20, 64 << 20).withTimes(HOUR_MILLIS, 20, 200), Spool.open(spool, 3));
        try {
            sink.onSecond(TestSeconds.second("wwan0", T + 100_000, 1));
            assertTrue(sink.awaitDelivered(10, TimeUnit.SECONDS));
        } finally {
            sink.close(0);
        }
        final List<Batch> accepted = receiver.accepted();
        final long next = accepted.get(accepted.size() - 1).sequence();
        assertEquals(T + 100_000, accepted.get(accepted.size() - 1).seconds().get(0).epochSecond());
        assertTrue(next > highest, "after kill -9: " + next + " must be above " + highest);
    }

    private static String read(final Path log) {
        try {
            return Files.readString(log);
        } catch (final IOException e) {
            return e.toString();
        }
    }

    @Test
    void shouldMergeTheOldestSpooledBatchesAtTheCapNeverTheOneOnTheWire() throws Exception {
        final URI nobody;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            nobody = URI.create("http://127.0.0.1:" + probe.getLocalPort());
        }
        final List<TestSeconds.Second> same = List.of(TestSeconds.second("wwan0", T, 0),
            TestSeconds.second("wwan0", T + 1, 0), TestSeconds.second("wwan0", T + 2, 0),
            TestSeconds.second("wwan0", T + 3, 0), TestSeconds.second("wwan0", T + 4, 0));
        final Path spool = directory.resolve("spool");
        // First run: five equal batches spooled at close (no collector: none acknowledged).
        CollectorSink sink = new CollectorSink(CollectorSink.Settings.of(nobody, "router-7",
            IngestReceiver.TOKEN, 4096, 64 << 20).withTimes(HOUR_MILLIS, 20, 200).withSpoolFlush(HOUR_MILLIS),
            Spool.open(spool, 10));
        for (final TestSeconds.Second second : same) {
            sink.onSecond(second);
            sink.flush();
        }
        sink.close(0);
        // The frame length of one such batch, from the spool: five of them in one segment.
        final long frameBytes;
        try (var files = Files.list(spool)) {
            frameBytes = files.filter(p -> p.getFileName().toString().startsWith(Spool.SEGMENT_PREFIX))
                .mapToLong(p -> p.toFile().length()).sum() / 5;
        }
        // Second run, room for three and a half of them, collector hanging: a new batch sends the queue over the cap.
        receiver = IngestReceiver.start();
        receiver.hang();
        sink = new CollectorSink(CollectorSink.Settings.of(receiver.url(), "router-7", IngestReceiver.TOKEN, 4096,
            3 * frameBytes + frameBytes / 2).withTimes(HOUR_MILLIS, 20, 200).withMaxFramesPerRequest(1),
            Spool.open(spool, 10));
        assertTrue(receiver.awaitFirstRequest(10, TimeUnit.SECONDS), "spooled batch 0 is on the wire");
        sink.onSecond(TestSeconds.second("wwan0", T + 5, 0));
        sink.flush();
        // Queue 0 (on the wire, never merged), 1, 2, 3, 4, then 5: over 3.5 frames, so 1 to 5 (the oldest, up to a
        // quarter of the cap per merge, until the queue fits in three quarters of it) become minute records.
        assertEquals(0, sink.batchesDropped());
        assertTrue(sink.merges() >= 1, "merges " + sink.merges());
        receiver.release();
        assertTrue(sink.awaitDelivered(10, TimeUnit.SECONDS));
        sink.close(0);
        final List<TestSeconds.Second> fed = List.of(same.get(0), same.get(1), same.get(2), same.get(3), same.get(4),
            TestSeconds.second("wwan0", T + 5, 0));
        // Every byte arrives once: the sum of what was received is the sum of what was fed, record by record merged.
        assertEquals(TestSeconds.describeMerged(fed, 3600, true), TestSeconds.describeMerged(
            TestSeconds.asRecords(receiver.accepted()), 3600, true));
        assertEquals(TestSeconds.describe(fed.get(0)), TestSeconds.describe(receiver.accepted().get(0).seconds()
            .get(0)), "the batch on the wire went as it was");
    }

    @Test
    void shouldExit2NamingTheKeyWhenTheSpoolDirectoryIsUnusable() throws IOException {
        final Path file = Files.writeString(directory.resolve("plain-file"), "x");
        final Path spool = file.resolve("spool");
        final Path config = directory.resolve("agent.yaml");
        Files.writeString(config, "interfaces:\n  - name: lo\ncollector:\n  url: http://127.0.0.1:9\n" +
            "  agentId: a\n  token: t\n  spoolDirectory: " + spool + "\n");
        final AgentRun run = AgentRun.execute("run", "--config", config.toString());
        assertEquals(2, run.exit(), run::toString);
        assertEquals(1, run.errLines().size(), run::toString);
        assertTrue(run.errLines().get(0).startsWith("esim-meter-agent: " + config + " : collector.spoolDirectory : " +
            spool + " : "),
            run::toString);
    }
}
