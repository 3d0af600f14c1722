package org.esimmeter.collector.ingest;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * The one definition of the store latency metric, tagged by operation (ingest, usage, totals, top, agents, profiles).
 */
public final class StoreTimers {
    private StoreTimers() {
    }

    public static Timer timer(final MeterRegistry registry, final String operation) {
        return Timer.builder("esim.store.latency")
            .tag("operation", operation)
            .description("Time spent in the store per call")
            .publishPercentiles(0.5, 0.9, 0.99)
            .register(registry);
    }
}
