package org.esimmeter.collector.ingest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.netty.buffer.ByteBuf;
import java.util.concurrent.TimeUnit;
import org.esimmeter.collector.store.IngestOutcome;
import org.esimmeter.collector.store.StoreException;
import org.esimmeter.collector.store.UsageStore;
import org.esimmeter.wire.Batch;
import org.esimmeter.wire.BatchReader;
import org.esimmeter.wire.SecondUsage;
import org.esimmeter.wire.WireFormatException;

/**
 * {@code POST /v1/ingest} without the HTTP: authenticate, decode, store durably, count, publish live. Blocking
 * (the store call is), so it runs on a worker thread, never on an event loop.
 */
public final class IngestService {
    private final UsageStore store;
    private final Tokens tokens;
    private final LiveFanout live;
    private final int maxBatchBytes;
    private final Counter stored;
    private final Counter duplicates;
    private final Counter seconds;
    private final Counter flows;
    private final Timer latency;
    private final Timer storeLatency;

    public IngestService(final UsageStore store, final Tokens tokens, final LiveFanout live, final int maxBatchBytes,
        final MeterRegistry registry) {
        this.store = store;
        this.tokens = tokens;
        this.live = live;
        this.maxBatchBytes = maxBatchBytes;
        stored = Counter.builder("esim.ingest.batches").tag("outcome", "stored")
            .description("Batches acknowledged, by whether they were new or already stored").register(registry);
        duplicates = Counter.builder("esim.ingest.batches").tag("outcome", "duplicate")
            .description("Batches acknowledged, by whether they were new or already stored").register(registry);
        seconds = Counter.builder("esim.ingest.seconds")
            .description("Interface-seconds stored (duplicates excluded)").register(registry);
        flows = Counter.builder("esim.ingest.flows")
            .description("Flow-second records stored (duplicates excluded)").register(registry);
        latency = Timer.builder("esim.ingest.latency")
            .description("From a complete request body to the durable acknowledgement")
            .publishPercentiles(0.5, 0.9, 0.99)
            .publishPercentileHistogram(false)
            .register(registry);
        storeLatency = StoreTimers.timer(registry, "ingest");
    }

    /** What the agent is told. */
    public record Result(IngestOutcome outcome, String agentId, long sequence) {
    }

    /**
     * Authenticates by the token alone first (nothing of the body is read for a stranger), then decodes
     * {@code body} and requires the batch's agent to be the token's.
     * @param receivedNanos {@link System#nanoTime()} when the body was complete, for the latency metric
     */
    public Result ingest(final String authorization, final ByteBuf body, final long receivedNanos)
        throws UnauthorizedException, WireFormatException, StoreException {
        final String agentId = tokens.agentFor(authorization);
        final Batch batch = new BatchReader(maxBatchBytes).read(body);
        if (!agentId.equals(batch.agentId())) {
            throw new UnauthorizedException("authorization : the token is not agent " + batch.agentId() + "'s");
        }
        final long storeStartNanos = System.nanoTime();
        final IngestOutcome outcome = store.ingest(batch);
        final long doneNanos = System.nanoTime();
        storeLatency.record(doneNanos - storeStartNanos, TimeUnit.NANOSECONDS);
        latency.record(doneNanos - receivedNanos, TimeUnit.NANOSECONDS);
        if (outcome == IngestOutcome.STORED) {
            stored.increment();
            seconds.increment(batch.seconds().size());
            long flowCount = 0;
            for (final SecondUsage second : batch.seconds()) {
                flowCount += second.flows().size();
            }
            flows.increment(flowCount);
            // Only seconds stored now: a duplicate was shown live when it was first stored.
            live.publish(batch);
        } else {
            duplicates.increment();
        }
        return new Result(outcome, batch.agentId(), batch.sequence());
    }
}
