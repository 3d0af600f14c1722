package org.esimmeter.agent.ship;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.function.ToDoubleFunction;

/**
 * Self-metrics of delivery, read from the sink's counters on scrape (nothing on the capture or send path): batches
 * by outcome, the spool's depth in memory and in all, merges at the cap (the degradation an operator must see: totals
 * exact, detail lost) and wall-clock steps. Same {@code esimmeter.agent} prefix as the interface metrics.
 */
public final class ShipMetrics implements MeterBinder {
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
