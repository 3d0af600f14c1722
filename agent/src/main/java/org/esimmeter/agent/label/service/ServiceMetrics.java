package org.esimmeter.agent.label.service;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * Self-metrics of service naming, read on scrape: names learned (by source), cache occupancy, metadata packets read
 * and dropped by libpcap on the metadata handles.
 */
public final class ServiceMetrics implements MeterBinder {
    private final ServiceNames names;
    private final MetadataCapture capture;

    public ServiceMetrics(final ServiceNames names, final MetadataCapture capture) {
        this.names = names;
        this.capture = capture;
    }

    @Override
    public void bindTo(final MeterRegistry registry) {
        FunctionCounter.builder("esimmeter.agent.services.names.learned", names, ServiceNames::dnsNamesLearned)
            .description("names learned (DNS: one per address record; TLS: one per ClientHello)").tag("source", "dns")
            .register(registry);
        FunctionCounter.builder("esimmeter.agent.services.names.learned", names, ServiceNames::tlsNamesLearned)
            .description("names learned (DNS: one per address record; TLS: one per ClientHello)").tag("source", "tls")
            .register(registry);
        Gauge.builder("esimmeter.agent.services.cache.entries", names, ServiceNames::addressEntries)
            .description("names held, of services.cacheEntries per table").tag("table", "address")
            .register(registry);
        Gauge.builder("esimmeter.agent.services.cache.entries", names, ServiceNames::connectionEntries)
            .description("names held, of services.cacheEntries per table").tag("table", "connection")
            .register(registry);
        FunctionCounter.builder("esimmeter.agent.services.metadata.packets", capture, MetadataCapture::packets)
            .description("packets the metadata handles passed (DNS responses, TLS ClientHellos, DHCP)")
            .register(registry);
        FunctionCounter.builder("esimmeter.agent.services.dhcp.messages", capture,
                c -> c.learnedFrom(NameLearner.DHCP))
            .description("DHCP messages reported to the device table").register(registry);
        FunctionCounter.builder("esimmeter.agent.services.metadata.dropped", capture, MetadataCapture::dropped)
            .description("packets libpcap dropped on the metadata handles (names missed, bytes still counted)")
            .register(registry);
    }
}
