package org.esimmeter.agent.ship;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.esimmeter.wire.Batch;
import org.esimmeter.wire.WireFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link CollectorSink} against a real HTTP receiver on loopback that decodes with the real BatchReader. */
class CollectorSinkTest {
    private static final long FIRST_SEQUENCE = 1_700_000_000_000_000L;
    private static final long T = 1_700_000_000L;
    private static final long HOUR_MILLIS = 3_600_000;

    private IngestReceiver receiver;
    private CollectorSink sink;

    @AfterEach
    void stop() throws InterruptedException {
        if (sink != null) {
            sink.close(0);
        }
        if (receiver != null) {
            receiver.close();
        }
    }

    private static CollectorSink.Settings settings(final URI url, final int batchMaxBytes, final long queueMaxBytes,
        final long flushIntervalMillis) {
        return CollectorSink.Settings.of(url, "router-7", IngestReceiver.TOKEN, batchMaxBytes, queueMaxBytes)
            .withTimes(flushIntervalMillis, 20, 200);
    }

    private static void await(final String what, final BooleanSupplier condition) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            TimeUnit.MILLISECONDS.sleep(5); // re-check interval of a condition wait, not a guess at a duration
        }
    }

    private static void assertSequencesStrictlyIncreasing(final List<Batch> batches) {
        for (int i = 1; i < batches.size(); i++) {
            assertTrue(batches.get(i).sequence() > batches.get(i - 1).sequence(), "batch " + i + " out of order");
        }
    }

    @Test
    void shouldDeliverEverySecondOnceInOrderWithItsCounters() throws Exception {
        receiver = IngestReceiver.start();
        // Small batches: the size bound closes most of them, the interval the rest.
        sink = new CollectorSink(settings(receiver.url(), 4096, 64 << 20, 50), FIRST_SEQUENCE);
        final List<TestSeconds.Second> fed = TestSeconds.seconds(400, T);
        fed.forEach(sink::onSecond);
        assertTrue(sink.awaitDelivered(10, TimeUnit.SECONDS));

        final List<Batch> batches = receiver.accepted();
        // The size bound is soft (the batch thread closes after the capture thread crossed it): several batches.
        assertTrue(batches.size() >= 2, batches.size() + " batches");
        for (int i = 0; i < batches.size(); i++) {
            assertEquals("router-7", batches.get(i).agentId());
            // One sequence per batch, counting up from the first: none skipped, none repeated.
            assertEquals(FIRST_SEQUENCE + i, batches.get(i).sequence());
        }
        assertEquals(TestSeconds.describeFed(fed), TestSeconds.describeReceived(batches));
        assertEquals(sink.requestsAcknowledged(), receiver.bodies().size(), "no request beyond the acknowledged ones");
        assertTrue(receiver.bodies().size() <= batches.size(), receiver.bodies().size() + " requests");
        assertEquals(400, sink.secondsAcknowledged());
        assertEquals(batches.size(), sink.batchesAcknowledged());
        // Keep-alive: every batch over the same connection.
        assertEquals(1, receiver.clientPorts().size(), "client ports " + receiver.clientPorts());
    }

    @Test
    void shouldCloseABatchEveryIntervalWhenSecondsTrickleIn() throws Exception {
        receiver = IngestReceiver.start();
        sink = new CollectorSink(settings(receiver.url(), 1 << 20, 64 << 20, 100), FIRST_SEQUENCE);
        final List<TestSeconds.Second> fed = TestSeconds.seconds(3, T);
        for (int i = 0; i < fed.size(); i++) {
            sink.onSecond(fed.get(i));
            final int batches = i + 1;
            // Without flush(): the batch thread closes what is open once the interval has passed.
            await(batches + " batches", () -> receiver.accepted().size() == batches);
        }
        assertEquals(TestSeconds.describeFed(fed), TestSeconds.describeReceived(receiver.accepted()));
        assertEquals(List.of(FIRST_SEQUENCE, FIRST_SEQUENCE + 1, FIRST_SEQUENCE + 2),
            receiver.accepted().stream().map(Batch::sequence).toList());
    }

    @Test
    void shouldResendTheSameBytesAfter503UntilAcknowledged() throws Exception {
        receiver = IngestReceiver.start().script(503, 503, 500);
        sink = new CollectorSink(settings(receiver.url(), 1 << 20, 64 << 20, HOUR_MILLIS), FIRST_SEQUENCE);
        final List<TestSeconds.Second> fed = TestSeconds.seconds(5, T);
        fed.forEach(sink::onSecond);
        sink.flush();
        sink.onSecond(TestSeconds.second("wwan0", T + 10, 10));
        assertTrue(sink.awaitDelivered(10, TimeUnit.SECONDS));

        final List<byte[]> bodies = receiver.bodies();
        assertEquals(3 + sink.requestsAcknowledged(), bodies.size(), "three refused attempts, then each batch once");
        final byte[] first = firstFrame(bodies.get(0));
        for (int i = 1; i < 4; i++) {
            assertArrayEquals(first, firstFrame(bodies.get(i)), "attempt " + i + " resends the same bytes first");
        }
        final List<Batch> batches = receiver.accepted();
        assertEquals(List.of(FIRST_SEQUENCE, FIRST_SEQUENCE + 1), batches.stream().map(Batch::sequence).toList());
        assertEquals(TestSeconds.describeFed(fed), TestSeconds.describeReceived(batches.subList(0, 1)));
        assertEquals(3, sink.attemptsFailed());
        assertEquals(2, sink.batchesAcknowledged());
        assertEquals(0, sink.batchesRejected());
    }

    @Test
    void shouldGiveUpOnA400WithTheCollectorsReasonAndGoOn() throws Exception {
        receiver = IngestReceiver.start().script(400);
        sink = new CollectorSink(settings(receiver.url(), 1 << 20, 64 << 20, HOUR_MILLIS), FIRST_SEQUENCE);
        sink.onSecond(TestSeconds.second("wwan0", T, 1));
        sink.flush();
        // The second batch after the first request left: that request holds only the refused batch.
        assertTrue(receiver.awaitFirstRequest(10, TimeUnit.SECONDS));
        final TestSeconds.Second next = TestSeconds.second("wwan0", T + 1, 2);
        sink.onSecond(next);
        assertTrue(sink.awaitDelivered(10, TimeUnit.SECONDS));

        assertEquals(2, receiver.bodies().size(), "the refused batch is not sent again");
        assertEquals(1, sink.batchesRejected());
        assertEquals("HTTP 400 scripted 400", sink.lastRejection());
        assertEquals(0, sink.attemptsFailed());
        final List<Batch> batches = receiver.accepted();
        assertEquals(List.of(FIRST_SEQUENCE + 1), batches.stream().map(Batch::sequence).toList());
        assertEquals(TestSeconds.describeFed(List.of(next)), TestSeconds.describeReceived(batches));
    }

    @Test
    void shouldRetry429And408And401KeepingTheBatch() throws Exception {
        receiver = IngestReceiver.start().script(429, 408, 401, 403);
        sink = new CollectorSink(settings(receiver.url(), 1 << 20, 64 << 20, HOUR_MILLIS), FIRST_SEQUENCE);
        final TestSeconds.Second second = TestSeconds.second("wwan0", T, 1);
        sink.onSecond(second);
        assertTrue(sink.awaitDelivered(10, TimeUnit.SECONDS));
        assertEquals(5, receiver.bodies().size());
        assertEquals(4, sink.attemptsFailed());
        assertEquals(0, sink.batchesRejected());
        assertEquals(TestSeconds.describeFed(List.of(second)), TestSeconds.describeReceived(receiver.accepted()));
    }

    @Test
    void shouldDeliverOnceTheCollectorComesUp() throws Exception {
        final int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        sink = new CollectorSink(settings(URI.create("http://127.0.0.1:" + port), 1 << 20, 64 << 20, HOUR_MILLIS),
            FIRST_SEQUENCE);
        final List<TestSeconds.Second> fed = TestSeconds.seconds(6, T);
        fed.subList(0, 3).forEach(sink::onSecond);
        sink.flush();
        await("refused connections", () -> sink.attemptsFailed() >= 3);
        fed.subList(3, 6).forEach(sink::onSecond);
        sink.flush();
        receiver = IngestReceiver.start(port);
        assertTrue(sink.awaitDelivered(10, TimeUnit.SECONDS));
        assertEquals(TestSeconds.describeFed(fed), TestSeconds.describeReceived(receiver.accepted()));
        assertEquals(List.of(FIRST_SEQUENCE, FIRST_SEQUENCE + 1),
            receiver.accepted().stream().map(Batch::sequence).toList());
        assertEquals(1, receiver.bodies().size(), "the backlog goes in one request, nothing twice");
        assertEquals(1, sink.requestsAcknowledged());
    }

    @Test
    void shouldNeverBlockTheCaptureThreadWhileTheCollectorHangs() throws Exception {
        receiver = IngestReceiver.start();
        receiver.hang();
        sink = new CollectorSink(settings(receiver.url(), 4096, 64 << 20, 10), FIRST_SEQUENCE);
        final List<TestSeconds.Second> fed = TestSeconds.seconds(3000, T);
        sink.onSecond(fed.get(0));
        assertTrue(receiver.awaitFirstRequest(10, TimeUnit.SECONDS), "the first batch is on the wire");
        // The sender now waits for an answer that does not come; the capture thread keeps going.
        final CompletableFuture<Long> capture = CompletableFuture.supplyAsync(() -> {
            long slowestNanos = 0;
            for (final TestSeconds.Second second : fed.subList(1, fed.size())) {
                final long start = System.nanoTime();
                sink.onSecond(second);
                slowestNanos = Math.max(slowestNanos, System.nanoTime() - start);
            }
            return slowestNanos;
        });
        final long slowestNanos = capture.get(10, TimeUnit.SECONDS);
        assertEquals(1, receiver.bodies().size(), "still the one request on the wire");
        assertEquals(0, receiver.accepted().size(), "and it is unanswered");
        assertTrue(slowestNanos < TimeUnit.MILLISECONDS.toNanos(500), "slowest onSecond " + slowestNanos + " ns");
        receiver.release();
        assertTrue(sink.awaitDelivered(20, TimeUnit.SECONDS));
        assertEquals(TestSeconds.describeFed(fed), TestSeconds.describeReceived(receiver.accepted()));
        assertSequencesStrictlyIncreasing(receiver.accepted());
    }

    @Test
    void shouldFindTheRefusedFrameOfAMultiFrameRequestAndDeliverTheOthers() throws Exception {
        // The first request is accepted; the second, holding the next three batches, is refused with a 400.
        receiver = IngestReceiver.start().script(200, 400);
        receiver.hang();
        sink = new CollectorSink(settings(receiver.url(), 4096, 64 << 20, HOUR_MILLIS), FIRST_SEQUENCE);
        final List<TestSeconds.Second> fed = TestSeconds.seconds(4, T);
        sink.onSecond(fed.get(0));
        sink.flush();
        assertTrue(receiver.awaitFirstRequest(10, TimeUnit.SECONDS));
        for (final TestSeconds.Second second : fed.subList(1, 4)) {
            sink.onSecond(second);
            sink.flush();
        }
        receiver.release();
        assertTrue(sink.awaitDelivered(10, TimeUnit.SECONDS));
        // One by one after the refusal: each of the three is accepted on its own, none is dropped.
        assertEquals(5, receiver.bodies().size());
        assertEquals(0, sink.batchesRejected());
        assertEquals(TestSeconds.describeFed(fed), TestSeconds.describeReceived(receiver.accepted()));
        assertSequencesStrictlyIncreasing(receiver.accepted());
    }

    @Test
    void shouldMergeQueuedSecondsIntoAMinuteRecordAtTheCapButNeverTheOneOnTheWire() throws Exception {
        receiver = IngestReceiver.start();
        receiver.hang();
        final List<TestSeconds.Second> same = List.of(TestSeconds.second("wwan0", T, 0), TestSeconds.second("wwan0",
            T + 1, 0), TestSeconds.second("wwan0", T + 2, 0), TestSeconds.second("wwan0", T + 3, 0),
            TestSeconds.second("wwan0", T + 4, 0), TestSeconds.second("wwan0", T + 5, 0));
        // Batches of one such second all have the same length (measured on the side); room for three, not four.
        final int frameBytes = frameBytesOf(same.get(0));
        sink = new CollectorSink(settings(receiver.url(), 4096, 3L * frameBytes + frameBytes / 2, HOUR_MILLIS),
            FIRST_SEQUENCE);
        sink.onSecond(same.get(0));
        sink.flush();
        assertTrue(receiver.awaitFirstRequest(10, TimeUnit.SECONDS));
        for (final TestSeconds.Second second : same.subList(1, 4)) {
            sink.onSecond(second);
            sink.flush();
        }
        // Queue: 0 (on the wire: it may be stored already, so never merged), 1, 2, 3 -> over the cap: 1-3 become
        // one minute record (all six seconds lie in one minute).
        assertEquals(0, sink.batchesDropped());
        assertEquals(1, sink.merges());
        assertEquals(3, sink.secondsMerged());
        assertEquals("minute", sink.coarsestQueued());
        // What an operator scrapes: the degradation, and the depth against the cap.
        final io.micrometer.core.instrument.simple.SimpleMeterRegistry registry =
            new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        new ShipMetrics(sink).bindTo(registry);
        assertEquals(3.0, registry.get("esimmeter.agent.spool.merged.seconds").functionCounter().count());
        assertEquals(3.0, registry.get("esimmeter.agent.ship.batches").tag("outcome", "merged").functionCounter()
            .count());
        assertEquals(0.0, registry.get("esimmeter.agent.ship.batches").tag("outcome", "dropped").functionCounter()
            .count());
        final double depth = registry.get("esimmeter.agent.spool.bytes").gauge().value();
        assertTrue(depth > 0 && depth <= 3L * frameBytes + frameBytes / 2, "spool depth " + depth);
        receiver.release();
        assertTrue(sink.awaitDelivered(10, TimeUnit.SECONDS));
        // Under the cap again: later seconds go as they are.
        for (final TestSeconds.Second second : same.subList(4, 6)) {
            sink.onSecond(second);
            sink.flush();
        }
        assertTrue(sink.awaitDelivered(10, TimeUnit.SECONDS));
        assertEquals(1, sink.merges());
        final List<String> expected = new java.util.ArrayList<>(TestSeconds.describeFed(same.subList(0, 1)));
        expected.addAll(TestSeconds.describeMerged(same.subList(1, 4), 60, true));
        expected.addAll(TestSeconds.describeFed(same.subList(4, 6)));
        assertEquals(expected, TestSeconds.describeReceived(receiver.accepted()));
    }

    /** The first frame of a request body: its header says how long it is. */
    private static byte[] firstFrame(final byte[] body) {
        final int bodyLength = java.nio.ByteBuffer.wrap(body, WireFormat.BODY_LENGTH_OFFSET, 4).getInt();
        return java.util.Arrays.copyOf(body, WireFormat.HEADER_LENGTH + bodyLength + WireFormat.CHECKSUM_LENGTH);
    }

    /** The frame length of a batch of one such second, from the receiver's side of a separate run. */
    private static int frameBytesOf(final TestSeconds.Second second) throws IOException, InterruptedException {
        try (IngestReceiver measure = IngestReceiver.start()) {
            final CollectorSink probe = new CollectorSink(settings(measure.url(), 4096, 1 << 20, HOUR_MILLIS), 1);
            try {
                probe.onSecond(second);
                assertTrue(probe.awaitDelivered(10, TimeUnit.SECONDS));
            } finally {
                probe.close(0);
            }
            return measure.bodies().get(0).length;
        }
    }

    @Test
    void shouldKeepTheBatchWhileTheCollectorRefusesTheToken() throws Exception {
        receiver = IngestReceiver.start();
        sink = new CollectorSink(CollectorSink.Settings.of(receiver.url(), "r", "wrong", 4096, 1 << 20)
            .withTimes(HOUR_MILLIS, 20, 200), FIRST_SEQUENCE);
        sink.onSecond(TestSeconds.second("wwan0", T, 1));
        sink.flush();
        await("three refused attempts", () -> sink.attemptsFailed() >= 3);
        // Billing data waits for the operator to fix the token; it is neither dropped nor counted as refused.
        assertEquals(0, sink.batchesRejected());
        assertEquals(0, sink.batchesDropped());
        assertTrue(sink.queuedBytes() > 0);
        assertTrue(receiver.accepted().isEmpty());
        assertTrue(receiver.bodies().size() >= 3);
    }

    @Test
    void shouldRefuseSecondsAfterClose() throws Exception {
        receiver = IngestReceiver.start();
        sink = new CollectorSink(settings(receiver.url(), 4096, 1 << 20, HOUR_MILLIS), FIRST_SEQUENCE);
        sink.onSecond(TestSeconds.second("wwan0", T, 1));
        sink.close(5000);
        assertEquals(1, receiver.accepted().size(), "close delivers what was open");
        sink.onSecond(TestSeconds.second("wwan0", T + 1, 2));
        assertEquals(1, sink.secondsRefused());
        assertEquals(1, receiver.bodies().size());
    }
}
