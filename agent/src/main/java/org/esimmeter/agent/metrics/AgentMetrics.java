package org.esimmeter.agent.metrics;

import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import org.esimmeter.agent.config.AgentConfig;
import org.esimmeter.common.cli.UsageException;

/**
 * The agent's self-metrics: one Prometheus registry that the interface and ship binders register into, the per-minute
 * log lines read back, and {@code GET /metrics} serves (when {@code metrics.enabled}). JVM meters are the cheap ones,
 * all read on scrape from the platform MXBeans: heap and buffer pools, GC pauses (a listener per collection), threads,
 * process CPU, open file descriptors, uptime.
 */
public final class AgentMetrics implements AutoCloseable {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private MetricsEndpoint endpoint;

    public AgentMetrics() {
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Starts the endpoint if the configuration enables it; a bind failure is bad input naming the key. */
    public void serve(final AgentConfig.Metrics config) throws UsageException {
        if (!config.enabled()) {
            return;
        }
        try {
            endpoint = MetricsEndpoint.start(config.address(), registry);
        } catch (final IOException e) {
            throw new UsageException("metrics.listen : cannot listen on " + config.listen() + " (" + e.getMessage() +
                ")", e);
        }
    }

    /** The endpoint, or null when disabled or not yet serving. */
    public MetricsEndpoint endpoint() {
        return endpoint;
    }

    @Override
    public void close() {
        if (endpoint != null) {
            endpoint.close();
            endpoint = null;
        }
        gc.close();
        registry.close();
    }
}
