package org.esimmeter.collector.ingest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.netty.buffer.ByteBuf;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.esimmeter.collector.query.Times;
import org.esimmeter.collector.store.IngestOutcome;
import org.esimmeter.collector.store.StoreException;
import org.esimmeter.collector.store.Timestamps;
import org.esimmeter.collector.store.UsageStore;
import org.esimmeter.wire.Batch;
import org.esimmeter.wire.BatchReader;
import org.esimmeter.wire.ClockStep;
import org.esimmeter.wire.SecondUsage;
import org.esimmeter.wire.WireFormat;
import org.esimmeter.wire.WireFormatException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/ingest} without the HTTP: authenticate, decode, store durably, count, publish live. Blocking
 * (the store call is), so it runs on a worker thread, never on an event loop.
 * <p>
 * A body carries 1..{@value WireFormat#MAX_FRAMES_PER_REQUEST} frames back to back: an agent catching up after an
 * outage sends its backlog that way, so a catch-up costs one round trip and one fsync per request instead of per
 * batch. All frames are decoded and checked before anything is stored, and all batches are stored in one
 * transaction: the answer 200 means every one of them is durable.
 */
public final class IngestService {
    private static final Logger LOG = LoggerFactory.getLogger(IngestService.class);

    private final UsageStore store;
    private final Tokens tokens;
    private final LiveFanout live;
    private final int maxBatchBytes;
    private final LongSupplier nowSecond;
    private final Counter stored;
    private final Counter duplicates;
    private final Counter seconds;
    private final Counter flows;
    private final Counter mergedRecords;
    private final Counter mergedSeconds;
    private final Counter clockSteps;
    private final Counter implausibleSeconds;
    private final Timer latency;
    private final Timer storeLatency;

    /** @param nowSecond the collector's clock (epoch seconds), against which implausible stamps are judged */
    public IngestService(final UsageStore store, final Tokens tokens, final LiveFanout live, final int maxBatchBytes,
        final MeterRegistry registry, final LongSupplier nowSecond) {
        this.store = store;
        this.tokens = tokens;
        this.live = live;
        this.maxBatchBytes = maxBatchBytes;
        this.nowSecond = nowSecond;
        stored = Counter.builder("esim.ingest.batches").tag("outcome", "stored")
            .description("Batches acknowledged, by whether they were new or already stored").register(registry);
        duplicates = Counter.builder("esim.ingest.batches").tag("outcome", "duplicate")
            .description("Batches acknowledged, by whether they were new or already stored").register(registry);
        seconds = Counter.builder("esim.ingest.seconds")
            .description("Interface-seconds stored (duplicates excluded)").register(registry);
        flows = Counter.builder("esim.ingest.flows")
            .description("Flow-second records stored (duplicates excluded)").register(registry);
        mergedRecords = Counter.builder("esim.ingest.merged.records")
            .description("Merged records stored: seconds an agent's spool merged at its size cap (totals exact, " +
                "per-second detail lost)").register(registry);
        mergedSeconds = Counter.builder("esim.ingest.merged.seconds")
            .description("Seconds covered by the merged records stored").register(registry);
        clockSteps = Counter.builder("esim.ingest.clock.steps")
            .description("Wall-clock steps agents reported, in batches stored").register(registry);
        implausibleSeconds = Counter.builder("esim.ingest.implausible.seconds")
            .description("Interface-seconds stored with a stamp before 2020 or more than a day ahead of the " +
                "collector's clock (stored as stamped)").register(registry);
        latency = Timer.builder("esim.ingest.latency")
            .description("From a complete request body to the durable acknowledgement")
            .publishPercentiles(0.5, 0.9, 0.99)
            .publishPercentileHistogram(false)
            .register(registry);
        storeLatency = StoreTimers.timer(registry, "ingest");
    }

    /** What became of one batch. */
    public record BatchResult(IngestOutcome outcome, long sequence) {
    }

    /** What the agent is told: every batch of the request, in order, all of the token's agent. */
    public record Result(String agentId, List<BatchResult> batches) {
        public Result {
            batches = List.copyOf(batches);
        }
    }

    /**
     * Authenticates by the token alone first (nothing of the body is read for a stranger), then decodes every frame
     * of {@code body} and requires each batch's agent to be the token's; stores them all or none.
     * @param receivedNanos {@link System#nanoTime()} when the body was complete, for the latency metric
     */
    public Result ingest(final String authorization, final ByteBuf body, final long receivedNanos)
        throws UnauthorizedException, WireFormatException, StoreException {
        final String agentId = tokens.agentFor(authorization);
        final List<Batch> batches = new BatchReader(maxBatchBytes).readAll(body, WireFormat.MAX_FRAMES_PER_REQUEST);
        for (int i = 0; i < batches.size(); i++) {
            if (!agentId.equals(batches.get(i).agentId())) {
                throw new UnauthorizedException("authorization : the token is not agent " + batches.get(i).agentId() +
                    "'s" + (batches.size() > 1 ? " (frame[" + i + "])" : ""));
            }
        }
        final long storeStartNanos = System.nanoTime();
        final List<IngestOutcome> outcomes = store.ingestAll(batches);
        final long doneNanos = System.nanoTime();
        storeLatency.record(doneNanos - storeStartNanos, TimeUnit.NANOSECONDS);
        latency.record(doneNanos - receivedNanos, TimeUnit.NANOSECONDS);
        final long now = nowSecond.getAsLong();
        final List<BatchResult> results = new ArrayList<>(batches.size());
        for (int i = 0; i < batches.size(); i++) {
            final Batch batch = batches.get(i);
            final IngestOutcome outcome = outcomes.get(i);
            if (outcome == IngestOutcome.STORED) {
                stored(batch, now);
            } else {
                duplicates.increment();
            }
            results.add(new BatchResult(outcome, batch.sequence()));
        }
        return new Result(agentId, results);
    }

    /** Metrics, log lines and the live stream for a batch stored now (a duplicate was counted when first stored). */
    private void stored(final Batch batch, final long now) {
        stored.increment();
        seconds.increment(batch.seconds().size());
        long flowCount = 0;
        long merged = 0;
        long mergedSpan = 0;
        long implausible = 0;
        long firstImplausible = Long.MAX_VALUE;
        long lastImplausible = Long.MIN_VALUE;
        for (final SecondUsage second : batch.seconds()) {
            flowCount += second.flows().size();
            if (second.isMerged()) {
                merged++;
                mergedSpan += second.spanSeconds();
            }
            if (Timestamps.implausible(second.epochSecond(), now)) {
                implausible++;
                firstImplausible = Math.min(firstImplausible, second.epochSecond());
                lastImplausible = Math.max(lastImplausible, second.epochSecond());
            }
        }
        flows.increment(flowCount);
        if (merged > 0) {
            mergedRecords.increment(merged);
            mergedSeconds.increment(mergedSpan);
            LOG.warn("agent {} batch {}: {} records merge {} seconds (the agent's spool reached its cap): per-second " +
                "detail lost, totals exact", batch.agentId(), batch.sequence(), merged, mergedSpan);
        }
        if (implausible > 0) {
            implausibleSeconds.increment(implausible);
            LOG.warn("agent {} batch {}: {} seconds stamped implausibly ({} .. {}; the agent's clock was not set): " +
                "stored as stamped", batch.agentId(), batch.sequence(), implausible, Times.iso(firstImplausible),
                Times.iso(lastImplausible));
        }
        for (final ClockStep step : batch.clockSteps()) {
            clockSteps.increment();
            LOG.warn("agent {} batch {}: wall clock stepped {}{} s at {}; seconds {} .. {} were stamped with the old " +
                "clock and are stored as stamped", batch.agentId(), batch.sequence(), step.stepMillis() > 0 ? "+" : "",
                BigDecimal.valueOf(step.stepMillis(), 3).toPlainString(),
                Times.iso(Math.floorDiv(step.detectedAtMillis(), 1000)), Times.iso(step.affectedFromSecond()),
                Times.iso(step.affectedToSecond()));
        }
        // Only seconds stored now: a duplicate was shown live when it was first stored.
        live.publish(batch);
    }
}
