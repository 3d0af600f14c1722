package org.esimmeter.agent.ship;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ship latency and POST round trips, recorded by the send thread against a real HTTP receiver on loopback: one
 * latency sample per batch the collector acknowledged (none for refused ones, none for batches an earlier process
 * closed), one round trip per acknowledged request; and the summary line that reports them.
 */
class ShipMetricsTest {
    private static final long T = 1_700_000_000L;
    private static final long HOUR_MILLIS = 3_600_000;
    private static final Pattern LATENCY = Pattern.compile("; latency p99 (\\d+\\.\\d{3}) s, max (\\d+\\.\\d{3}) s$");

    @TempDir
    Path directory;
    private IngestReceiver receiver;
    private CollectorSink sink;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    @AfterEach
    void stop() throws InterruptedException {
        if (sink != null) {
            sink.close(0);
        }
        if (receiver != null) {
            receiver.close();
        }
        registry.close();
    }

    private static CollectorSink.Settings settings(final URI url, final long spoolMaxBytes) {
        return CollectorSink.Settings.of(url, "router-7", IngestReceiver.TOKEN, 4096, spoolMaxBytes)
            .withTimes(HOUR_MILLIS, 20, 200).withSpoolFlush(HOUR_MILLIS);
    }

    private static URI deadUrl() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return URI.create("http://127.0.0.1:" + probe.getLocalPort());
        }
    }

    private Timer latency() {
        return registry.get("esimmeter.agent.ship.latency").timer();
    }

    private Timer roundTrip() {
        return registry.get("esimmeter.agent.ship.roundtrip").timer();
    }

    /** One second per batch, each waited for. */
    private void shipSeconds(final int first, final int count) throws InterruptedException {
        for (int i = first; i < first + count; i++) {
            sink.onSecond(TestSeconds.second("wwan0", T + i, i));
            assertTrue(sink.awaitDelivered(10, TimeUnit.SECONDS), "second " + i + " acknowledged");
        }
    }

    @Test
    void shouldTimeEveryAcknowledgedBatchAndRequest() throws Exception {
        receiver = IngestReceiver.start();
        sink = new CollectorSink(settings(receiver.url(), 64 << 20), CollectorSink.interimFirstSequence());
        new ShipMetrics(sink).bindTo(registry);
        assertTrue(ShipMetrics.summary(registry, sink).endsWith("; latency none acknowledged in the last minute"),
            ShipMetrics.summary(registry, sink));

        shipSeconds(0, 5);

        assertEquals(5, receiver.accepted().size());
        assertEquals(5, latency().count(), "a latency per acknowledged batch");
        assertEquals(receiver.bodies().size(), roundTrip().count(), "a round trip per request");
        // A batch is closed before its POST is sent: its latency covers the round trip, and more.
        assertTrue(latency().totalTime(TimeUnit.NANOSECONDS) >= roundTrip().totalTime(TimeUnit.NANOSECONDS),
            latency().totalTime(TimeUnit.NANOSECONDS) + " ns vs " + roundTrip().totalTime(TimeUnit.NANOSECONDS));
        final String scrape = registry.scrape();
        assertTrue(scrape.contains("\nesimmeter_agent_ship_latency_seconds_count 5\n") ||
            scrape.contains("\nesimmeter_agent_ship_latency_seconds_count 5.0\n"), scrape);
        assertTrue(scrape.contains("esimmeter_agent_ship_latency_seconds{quantile=\"0.99\"}"), scrape);
        assertTrue(scrape.contains("esimmeter_agent_ship_roundtrip_seconds{quantile=\"0.5\"}"), scrape);

        final String summary = ShipMetrics.summary(registry, sink);
        final Matcher matcher = LATENCY.matcher(summary);
        assertTrue(matcher.find(), summary);
        final double p99 = Double.parseDouble(matcher.group(1));
        final double max = Double.parseDouble(matcher.group(2));
        assertTrue(max > 0 && p99 <= max * 1.01 + 0.001, summary);
        assertTrue(summary.startsWith("collector " + receiver.url() + "/v1/ingest: 5 seconds encoded, 5 batches (5 " +
            "records) acknowledged in 5 requests, 0 refused, 0 failed attempts, 0 bytes queued (0 in memory); spool " +
            "merges 0 (0 per-second records merged, coarsest queued: second), 0 dropped (0 records); clock steps 0; " +
            "latency p99 "), summary);
    }

    @Test
    void shouldNotTimeRefusedBatchesNorThoseAnEarlierProcessClosed() throws Exception {
        final Path spool = directory.resolve("spool");
        // An earlier run: three batches closed and spooled, the collector unreachable.
        sink = new CollectorSink(settings(deadUrl(), 64 << 20), Spool.open(spool, 100));
        for (int i = 0; i < 3; i++) {
            sink.onSecond(TestSeconds.second("wwan0", T + i, i));
            sink.flush();
        }
        sink.close(0);

        receiver = IngestReceiver.start();
        // The sink sends its spooled batches as soon as it exists: answered only once its metrics are bound.
        receiver.hang();
        sink = new CollectorSink(settings(receiver.url(), 64 << 20), Spool.open(spool, 100));
        new ShipMetrics(sink).bindTo(registry);
        receiver.release();
        assertTrue(sink.awaitDelivered(10, TimeUnit.SECONDS), "the spooled batches acknowledged");
        shipSeconds(3, 2);
        receiver.script(400);
        shipSeconds(5, 1);

        assertEquals(5, sink.batchesAcknowledged());
        assertEquals(1, sink.batchesRejected());
        assertEquals(5, receiver.accepted().size());
        assertEquals(2, latency().count(), "only the batches this process closed and the collector acknowledged");
        assertEquals(sink.requestsAcknowledged(), roundTrip().count());
    }

    @Test
    void shouldTimeMergedBatchesLikeAnyOther() throws Exception {
        // An outage long enough for the cap: old seconds are merged into minute records while the collector is down.
        final URI url = deadUrl();
        sink = new CollectorSink(settings(url, 16 << 10), CollectorSink.interimFirstSequence());
        new ShipMetrics(sink).bindTo(registry);
        for (int i = 0; i < 120; i++) {
            sink.onSecond(TestSeconds.second("wwan0", T + i, i));
            sink.flush();
        }
        assertTrue(sink.batchesMerged() > 0, "batches merged: " + sink.batchesMerged());
        receiver = IngestReceiver.start(url.getPort());
        assertTrue(sink.awaitDelivered(10, TimeUnit.SECONDS), "everything acknowledged after the outage");

        final List<Long> spans = receiver.accepted().stream()
            .flatMap(batch -> batch.seconds().stream()).map(record -> (long) record.spanSeconds()).toList();
        assertTrue(spans.contains(60L), "minute records arrived: " + spans);
        assertEquals(receiver.accepted().size(), sink.batchesAcknowledged());
        assertEquals(sink.batchesAcknowledged(), latency().count(), "merged batches are timed too");
    }
}
