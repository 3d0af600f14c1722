package org.esimmeter.agent.ship;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * Self-metrics of delivery, read from the sink's counters on scrape (nothing on the capture or send path): batches
 * by outcome, the spool's depth in memory and in all, merges at the cap (the degradation an operator must see: totals
 * exact, detail lost) and wall-clock steps; and two timers the send thread records into, once per acknowledged
 * batch and request: ship latency and POST round trip. Same {@code esimmeter.agent} prefix as the interface metrics.
 */
public final class ShipMetrics implements MeterBinder {
    static final String LATENCY = "esimmeter.agent.ship.latency";
    static final String ROUND_TRIP = "esimmeter.agent.ship.roundtrip";

    private final CollectorSink sink;

    public ShipMetrics(final CollectorSink sink) {
        this.sink = sink;
    }

    @Override
    public void bindTo(final MeterRegistry registry) {
        batches(registry, "acknowledged", CollectorSink::batchesAcknowledged);
        batches(registry, "refused", CollectorSink::batchesRejected);
        batches(registry, "merged", CollectorSink::batchesMerged);
        batches(registry, "dropped", CollectorSink::batchesDropped);
        counter(registry, "esimmeter.agent.ship.requests", "requests the collector acknowledged",
            CollectorSink::requestsAcknowledged);
        counter(registry, "esimmeter.agent.ship.attempts.failed", "POSTs retried (I/O error, 5xx, 408, 429)",
            CollectorSink::attemptsFailed);
        counter(registry, "esimmeter.agent.spool.merges", "times the spool reached its cap and merged old batches",
            CollectorSink::merges);
        counter(registry, "esimmeter.agent.spool.merged.seconds",
            "per-second records folded into coarser ones: totals exact, per-second detail lost",
            CollectorSink::secondsMerged);
        counter(registry, "esimmeter.agent.spool.write.failures", "spool writes that failed",
            CollectorSink::spoolWriteFailures);
        counter(registry, "esimmeter.agent.clock.steps", "wall-clock steps seen and reported to the collector",
            CollectorSink::clockSteps);
        Gauge.builder("esimmeter.agent.spool.bytes", sink, CollectorSink::queuedBytes)
            .description("unacknowledged batches, in memory and on disk").baseUnit("bytes").register(registry);
        Gauge.builder("esimmeter.agent.spool.memory.bytes", sink, CollectorSink::memoryBytes)
            .description("unacknowledged batches held in the heap").baseUnit("bytes").register(registry);
        final Timer latency = timer(registry, LATENCY, "from a batch's close to the collector's acknowledgement " +
            "(a merged batch: from the close of the oldest batch it replaces; batches found in the spool at start: " +
            "untimed)");
        sink.timeInto(latency, timer(registry, ROUND_TRIP, "POST to /v1/ingest until the collector's acknowledgement"));
    }

    /**
     * Percentiles computed in the agent by micrometer's HdrHistogram-backed time window (each reader, scrape or log
     * line, sees the same window; a {@code Recorder}'s interval swap would split samples between them), 2 significant
     * digits (under 1 % error), over the last 40 to 60 s: a ring of three 20 s histograms, the oldest dropped as a
     * new one starts. No buckets: a router's scrape stays small, and the quantiles need no server-side estimate.
     */
    private static Timer timer(final MeterRegistry registry, final String name, final String description) {
        return Timer.builder(name).description(description)
            .publishPercentiles(0.5, 0.9, 0.99).percentilePrecision(2).publishPercentileHistogram(false)
            .distributionStatisticExpiry(Duration.ofMinutes(1)).distributionStatisticBufferLength(3)
            .register(registry);
    }

    /** The shipping line of the periodic log: delivery counters, then the latency of the last minute. */
    public static String summary(final MeterRegistry registry, final CollectorSink sink) {
        return String.format(Locale.ROOT, "collector %s: %d seconds encoded, %d batches (%d records) acknowledged in " +
            "%d requests, %d refused, %d failed attempts, %d bytes queued (%d in memory); spool merges %d (%d " +
            "per-second records merged, coarsest queued: %s), %d dropped (%d records); clock steps %d; latency %s",
            sink.ingestUri(), sink.secondsEncoded(), sink.batchesAcknowledged(), sink.secondsAcknowledged(),
            sink.requestsAcknowledged(), sink.batchesRejected(), sink.attemptsFailed(), sink.queuedBytes(),
            sink.memoryBytes(), sink.merges(), sink.secondsMerged(), sink.coarsestQueued(), sink.batchesDropped(),
            sink.secondsDropped(), sink.clockSteps(), latency(registry.find(LATENCY).timer()));
    }

    /** "p99 0.142 s, max 0.180 s" over the timer's window, or "none acknowledged in the last minute". */
    static String latency(final Timer timer) {
        final HistogramSnapshot snapshot = timer == null ? null : timer.takeSnapshot();
        if (snapshot == null || snapshot.max() == 0) {
            return "none acknowledged in the last minute";
        }
        double p99 = Double.NaN;
        for (final ValueAtPercentile percentile : snapshot.percentileValues()) {
            if (percentile.percentile() == 0.99) {
                p99 = percentile.value(TimeUnit.SECONDS);
            }
        }
        return String.format(Locale.ROOT, "p99 %.3f s, max %.3f s", p99, snapshot.max(TimeUnit.SECONDS));
    }

    private void batches(final MeterRegistry registry, final String outcome,
        final ToDoubleFunction<CollectorSink> value) {
        FunctionCounter.builder("esimmeter.agent.ship.batches", sink, value).tag("outcome", outcome)
            .description("batches by what became of them").register(registry);
    }

    private void counter(final MeterRegistry registry, final String name, final String description,
        final ToDoubleFunction<CollectorSink> value) {
        FunctionCounter.builder(name, sink, value).description(description).register(registry);
    }
}
