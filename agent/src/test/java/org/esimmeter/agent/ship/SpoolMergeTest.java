package org.esimmeter.agent.ship;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.esimmeter.agent.meter.FlowTable;
import org.esimmeter.wire.Batch;
import org.esimmeter.wire.BatchWriter;
import org.esimmeter.wire.TrafficCounters;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The spool at its cap and across interrupted rewrites: old seconds become coarser records with every byte kept,
 * a crash between a merge and the rewrite of what it replaced sends nothing twice, partly acknowledged segments
 * lose what the collector has, and spooled batches leave the heap.
 */
class SpoolMergeTest {
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

    private static URI deadUrl() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return URI.create("http://127.0.0.1:" + probe.getLocalPort());
        }
    }

    private static CollectorSink.Settings settings(final URI url, final long spoolMaxBytes) {
        return CollectorSink.Settings.of(url, "router-7", IngestReceiver.TOKEN, 4096, spoolMaxBytes)
            .withTimes(HOUR_MILLIS, 20, 200).withSpoolFlush(HOUR_MILLIS);
    }

    private List<Path> segments() throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.filter(p -> p.getFileName().toString().startsWith(Spool.SEGMENT_PREFIX)).sorted().toList();
        }
    }

    private static long bytesOf(final List<Path> files) {
        return files.stream().mapToLong(p -> p.toFile().length()).sum();
    }

    /** Distinct flows per second: many, so that merging a minute saves most of the bytes as on a busy router. */
    private static List<TestSeconds.Second> busySeconds(final int count) {
        final List<TestSeconds.Second> seconds = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            seconds.add(TestSeconds.second("wwan0", T + i, i));
        }
        return seconds;
    }

    @Test
    void shouldKeepEveryByteExactWhenAnOutageOutgrowsTheCap() throws Exception {
        final List<TestSeconds.Second> fed = busySeconds(900); // 15 minutes, a batch per second
        final long cap = 64 << 10;
        CollectorSink sink = new CollectorSink(settings(deadUrl(), cap), Spool.open(directory, 100));
        long mostQueued = 0;
        for (final TestSeconds.Second second : fed) {
            sink.onSecond(second);
            sink.flush();
            mostQueued = Math.max(mostQueued, sink.queuedBytes());
        }
        assertTrue(mostQueued <= cap, "queued at most the cap: " + mostQueued);
        assertTrue(sink.merges() > 0);
        assertEquals(0, sink.batchesDropped());
        final long merged = sink.secondsMerged();
        sink.close(0);
        assertTrue(bytesOf(segments()) <= cap, "spool " + bytesOf(segments()) + " bytes");

        receiver = IngestReceiver.start();
        sink = new CollectorSink(settings(receiver.url(), cap), Spool.open(directory, 100));
        assertTrue(sink.awaitDelivered(10, TimeUnit.SECONDS));
        sink.close(0);
        final List<Batch> received = receiver.accepted();
        // Per hour of the stamped time, every counter and every flow adds up to exactly what was fed.
        assertEquals(TestSeconds.describeMerged(fed, 3600, true),
            TestSeconds.describeMerged(TestSeconds.asRecords(received), 3600, true));
        final Set<Long> sequences = new HashSet<>();
        int perSecond = 0;
        for (final Batch batch : received) {
            assertTrue(sequences.add(batch.sequence()), "batch " + batch.sequence() + " twice");
            for (final var record : batch.seconds()) {
                assertEquals(0, record.epochSecond() % record.spanSeconds(), "spans start on their boundary");
                perSecond += record.spanSeconds() == 1 ? 1 : 0;
            }
        }
        assertEquals(900 - merged, perSecond, "the seconds not merged arrive as they were");
        assertTrue(segments().isEmpty());
    }

    @Test
    void shouldDropWhatAMergeReplacedWhenACrashCameBeforeTheRewrite() throws Exception {
        final List<TestSeconds.Second> fed = busySeconds(3);
        final List<byte[]> frames = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            frames.add(TestBatches.frame(1 + i, List.of(fed.get(i))));
        }
        final byte[] merged = minuteFrame(10, fed.subList(0, 2));
        try (Spool spool = Spool.open(directory, 100)) {
            spool.write(1, frames, new long[0]);
            // The merge's own segment is in place; the crash came before segment 1 lost batches 1 and 2.
            spool.write(10, List.of(merged), new long[] {1, 2});
        }
        final Path original = directory.resolve(String.format("segment-%020d.spool", 1));
        assertEquals(frames.get(0).length + frames.get(1).length + frames.get(2).length,
            Files.size(original));

        final Spool spool = Spool.open(directory, 100);
        assertEquals(List.of(3L, 10L), spool.recovered().stream().map(Spool.Recovered::sequence).toList());
        assertEquals(frames.get(2).length, Files.size(original), "the interrupted rewrite is finished at start");
        receiver = IngestReceiver.start();
        final CollectorSink sink = new CollectorSink(settings(receiver.url(), 1 << 20), spool);
        assertTrue(sink.awaitDelivered(10, TimeUnit.SECONDS));
        sink.close(0);
        final List<String> expected = new ArrayList<>(TestSeconds.describeFed(fed.subList(2, 3)));
        expected.addAll(TestSeconds.describeMerged(fed.subList(0, 2), 60, true));
        assertEquals(expected, TestSeconds.describeReceived(receiver.accepted()));
        assertTrue(segments().isEmpty());
    }

    @Test
    void shouldRewritePartlyAcknowledgedSegmentsAtCloseSoNothingIsSentTwice() throws Exception {
        final List<TestSeconds.Second> fed = busySeconds(6);
        CollectorSink sink = new CollectorSink(settings(deadUrl(), 1 << 20), Spool.open(directory, 100));
        for (final TestSeconds.Second second : fed) {
            sink.onSecond(second);
            sink.flush();
        }
        sink.close(0);
        assertEquals(1, segments().size());

        // One batch per request: two acknowledged, then the collector fails until the agent stops.
        receiver = IngestReceiver.start().script(200, 200, 503, 503, 503, 503, 503, 503, 503, 503);
        sink = new CollectorSink(settings(receiver.url(), 1 << 20).withMaxFramesPerRequest(1),
            Spool.open(directory, 100));
        final CollectorSink running = sink;
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (running.batchesAcknowledged() < 2 || running.attemptsFailed() < 1) {
            assertTrue(System.nanoTime() < deadline, "two acknowledged and a failure within 10 s");
            TimeUnit.MILLISECONDS.sleep(5); // re-check interval of a condition wait
        }
        sink.close(0);
        receiver.close();

        receiver = IngestReceiver.start();
        sink = new CollectorSink(settings(receiver.url(), 1 << 20), Spool.open(directory, 100));
        assertTrue(sink.awaitDelivered(10, TimeUnit.SECONDS));
        sink.close(0);
        assertEquals(TestSeconds.describeFed(fed.subList(2, 6)), TestSeconds.describeReceived(receiver.accepted()),
            "the two the collector had are not sent again");
    }

    @Test
    void shouldKeepOnlyAWindowOfSpooledBatchesInTheHeap() throws Exception {
        final List<TestSeconds.Second> fed = busySeconds(400);
        final long memory = 16 << 10;
        CollectorSink sink = new CollectorSink(settings(deadUrl(), 8 << 20).withSpoolMemory(memory)
            .withMaxFramesPerRequest(8), Spool.open(directory, 1000));
        for (final TestSeconds.Second second : fed) {
            sink.onSecond(second);
            sink.flush();
        }
        final long queued = sink.queuedBytes();
        assertTrue(queued > 4 * memory, "the outage outgrew the heap window: " + queued);
        assertTrue(sink.memoryBytes() <= memory, "heap " + sink.memoryBytes() + " bytes");
        assertTrue(sink.spoolWrites() > 0, "written before the interval, to keep the heap bounded");
        assertEquals(0, sink.merges());
        sink.close(0);

        receiver = IngestReceiver.start();
        sink = new CollectorSink(settings(receiver.url(), 8 << 20).withSpoolMemory(memory)
            .withMaxFramesPerRequest(8), Spool.open(directory, 1000));
        // Recovered batches are read when sent: at most a request's worth is in the heap, never the backlog.
        assertTrue(sink.memoryBytes() <= memory, "heap " + sink.memoryBytes() + " bytes at start");
        assertTrue(sink.awaitDelivered(10, TimeUnit.SECONDS));
        sink.close(0);
        assertEquals(TestSeconds.describeFed(fed), TestSeconds.describeReceived(receiver.accepted()));
    }

    /** The minute record of {@code seconds} (one interface, one minute), summed here, as a merged frame. */
    private static byte[] minuteFrame(final long sequence, final List<TestSeconds.Second> seconds) {
        final ByteBuf out = Unpooled.buffer();
        final BatchWriter writer = new BatchWriter().beginMerged(out, "router-7", sequence);
        final TestSeconds.Second first = seconds.get(0);
        final TrafficCounters total = new TrafficCounters();
        final TrafficCounters nonIp = new TrafficCounters();
        final TrafficCounters unparsed = new TrafficCounters();
        final FlowTable flows = new FlowTable(16, 256);
        long received = 0;
        long dropped = 0;
        for (final TestSeconds.Second second : seconds) {
            total.add(second.total());
            nonIp.add(second.nonIp());
            unparsed.add(second.unparsed());
            received += second.pcapReceived();
            dropped += second.pcapDropped();
            final FlowTable table = second.flows();
            for (int f = 0; f < table.size(); f++) {
                flows.add(table.srcHi(f), table.srcLo(f), table.dstHi(f), table.dstLo(f), table.meta(f),
                    table.packets(f), table.wireBytes(f), table.ipBytes(f));
            }
            flows.overflow().add(table.overflow());
        }
        writer.second(first.interfaceName(), first.profile(), Math.floorDiv(first.epochSecond(), 60) * 60, 60, total,
            nonIp, unparsed, flows.overflow(), received, dropped, flows.size());
        TestBatches.writeFlows(writer, flows);
        writer.end();
        return ByteBufUtil.getBytes(out);
    }
}
