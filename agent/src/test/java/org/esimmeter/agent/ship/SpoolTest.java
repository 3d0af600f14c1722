package org.esimmeter.agent.ship;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.esimmeter.wire.Batch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link CollectorSink} with a {@link Spool}: persisted sequences and store-and-forward across restarts. */
class SpoolTest {
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

    private static CollectorSink.Settings settings(final URI url, final long spoolFlushMillis) {
        return CollectorSink.Settings.of(url, "router-7", IngestReceiver.TOKEN, 1 << 20, 64 << 20)
            .withTimes(HOUR_MILLIS, 20, 200).withSpoolFlush(spoolFlushMillis);
    }

    private CollectorSink open(final URI url, final long spoolFlushMillis, final long leaseBlock) throws IOException {
        return new CollectorSink(settings(url, spoolFlushMillis), Spool.open(directory, leaseBlock));
    }

    private static URI deadUrl() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return URI.create("http://127.0.0.1:" + probe.getLocalPort());
        }
    }

    private List<Path> segments() throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.filter(p -> p.getFileName().toString().startsWith(Spool.SEGMENT_PREFIX)).sorted().toList();
        }
    }

    private static int seenOnce(final List<Batch> batches) {
        return new java.util.HashSet<>(sequences(batches)).size() == batches.size() ? batches.size() : -1;
    }

    private static List<Long> sequences(final List<Batch> batches) {
        return batches.stream().map(Batch::sequence).toList();
    }

    /** Feeds each second as its own batch. */
    private static void feed(final CollectorSink sink, final List<TestSeconds.Second> seconds) {
        for (final TestSeconds.Second second : seconds) {
            sink.onSecond(second);
            sink.flush();
        }
    }

    @Test
    void shouldIncreaseSequencesAcrossACleanRestartAndAnAbandonedSink() throws Exception {
        receiver = IngestReceiver.start();
        final List<TestSeconds.Second> fed = TestSeconds.seconds(9, T);
        // A lease block of 2: the three runs cross several leases.
        CollectorSink sink = open(receiver.url(), HOUR_MILLIS, 2);
        feed(sink, fed.subList(0, 3));
        assertTrue(sink.awaitDelivered(10, TimeUnit.SECONDS));
        sink.close(0);
        sink = open(receiver.url(), HOUR_MILLIS, 2);
        feed(sink, fed.subList(3, 6));
        assertTrue(sink.awaitDelivered(10, TimeUnit.SECONDS));
        sink.abandon(); // as kill -9: nothing written on the way out
        sink = open(receiver.url(), HOUR_MILLIS, 2);
        feed(sink, fed.subList(6, 9));
        assertTrue(sink.awaitDelivered(10, TimeUnit.SECONDS));
        sink.close(0);

        final List<Long> seen = sequences(receiver.accepted());
        assertEquals(9, seen.size());
        for (int i = 1; i < seen.size(); i++) {
            assertTrue(seen.get(i) > seen.get(i - 1), "sequences " + seen);
        }
        assertEquals(TestSeconds.describeFed(fed), TestSeconds.describeReceived(receiver.accepted()));
        assertTrue(segments().isEmpty(), "everything acknowledged: no segment left");
    }

    @Test
    void shouldDeliverEverySecondOnceInOrderAfterAnOutageAndARestart() throws Exception {
        final URI dead = deadUrl();
        final List<TestSeconds.Second> fed = TestSeconds.seconds(20, T);
        CollectorSink sink = open(dead, HOUR_MILLIS, Spool.DEFAULT_LEASE_BLOCK);
        feed(sink, fed.subList(0, 12));
        sink.close(0); // collector down: close writes all twelve batches to the spool
        assertEquals(1, segments().size());

        receiver = IngestReceiver.start();
        sink = open(receiver.url(), HOUR_MILLIS, Spool.DEFAULT_LEASE_BLOCK);
        feed(sink, fed.subList(12, 20));
        assertTrue(sink.awaitDelivered(10, TimeUnit.SECONDS));
        sink.close(0);

        final List<Batch> batches = receiver.accepted();
        assertEquals(20, batches.size());
        assertEquals(20, seenOnce(batches), "nothing sent twice");
        final List<Long> seen = sequences(batches);
        for (int i = 1; i < seen.size(); i++) {
            assertTrue(seen.get(i) > seen.get(i - 1), "spooled first, in order: " + seen);
        }
        assertEquals(TestSeconds.describeFed(fed), TestSeconds.describeReceived(batches));
        assertTrue(segments().isEmpty(), "acknowledged segments are deleted");
    }

    @Test
    void shouldDiscardATornLastFrameAndDeliverTheOthers() throws Exception {
        final List<TestSeconds.Second> fed = TestSeconds.seconds(4, T);
        CollectorSink sink = open(deadUrl(), HOUR_MILLIS, Spool.DEFAULT_LEASE_BLOCK);
        feed(sink, fed);
        sink.close(0);
        final Path segment = segments().get(0);
        final byte[] whole = Files.readAllBytes(segment);
        // kill -9 in the middle of the fourth frame's write: its last 7 bytes never reached the file.
        Files.write(segment, java.util.Arrays.copyOf(whole, whole.length - 7));

        receiver = IngestReceiver.start();
        final Spool spool = Spool.open(directory, Spool.DEFAULT_LEASE_BLOCK);
        assertEquals(1, spool.framesDiscarded());
        sink = new CollectorSink(settings(receiver.url(), HOUR_MILLIS), spool);
        assertTrue(sink.awaitDelivered(10, TimeUnit.SECONDS));
        sink.close(0);
        assertEquals(TestSeconds.describeFed(fed.subList(0, 3)), TestSeconds.describeReceived(receiver.accepted()));
        assertTrue(segments().isEmpty());
    }

    @Test
    void shouldWriteTheSpoolAtTheIntervalNotPerBatch() throws Exception {
        receiver = IngestReceiver.start();
        receiver.hang(); // nothing is acknowledged: every batch stays to be spooled
        final List<TestSeconds.Second> fed = TestSeconds.seconds(30, T);
        CollectorSink sink = open(receiver.url(), HOUR_MILLIS, Spool.DEFAULT_LEASE_BLOCK);
        feed(sink, fed);
        assertEquals(0, sink.spoolWrites(), "30 batches closed, the interval not reached: no write");
        assertTrue(segments().isEmpty());
        receiver.release();
        receiver.close();
        receiver = null;
        sink.close(0);
        // Close writes once, and once more if the released request's batches were acknowledged after that write (the
        // segment is rewritten without them).
        assertTrue(sink.spoolWrites() >= 1 && sink.spoolWrites() <= 2, "close wrote " + sink.spoolWrites());
        assertTrue(segments().size() <= 1);

        // A short interval: the batch thread writes without close, one segment holding all that waits.
        final CollectorSink second = open(deadUrl(), 50, Spool.DEFAULT_LEASE_BLOCK);
        try {
            feed(second, TestSeconds.seconds(5, T + 100));
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (second.spoolWrites() == 0) {
                assertTrue(System.nanoTime() < deadline, "no spool write within 10 s");
                TimeUnit.MILLISECONDS.sleep(5); // re-check interval of a condition wait
            }
        } finally {
            second.close(0);
        }
    }

    @Test
    void shouldRefuseADirectoryThatCannotBeCreatedOrIsInUse() throws Exception {
        final Path file = Files.writeString(directory.resolve("plain-file"), "x");
        assertThrows(IOException.class, () -> Spool.open(file.resolve("spool"), 10));
        try (Spool first = Spool.open(directory.resolve("s"), 10)) {
            final IOException e = assertThrows(IOException.class, () -> Spool.open(directory.resolve("s"), 10));
            assertTrue(e.getMessage().startsWith("in use by another agent"), e.getMessage());
            assertEquals(1, first.leaseWrites());
        }
    }
}
