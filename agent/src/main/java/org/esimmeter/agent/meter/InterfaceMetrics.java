package org.esimmeter.agent.meter;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import org.esimmeter.wire.Direction;
import org.esimmeter.wire.TrafficCounters;

/**
 * Self-metrics of the metered interfaces, read on scrape through {@link FunctionCounter}s and {@link Gauge}s so the
 * capture thread pays nothing: traffic by direction, non-IP, unparsed and overflow packets, uncaptured traffic by
 * direction (kernel counters minus capture), libpcap received and dropped, and the flow table's occupancy (flows in the last second, the peak, the bound).
 * Names carry the {@code esimmeter.agent} prefix; tags name the interface and its profile.
 */
public final class InterfaceMetrics implements MeterBinder {
    private final List<InterfaceMeter> meters;

    public InterfaceMetrics(final List<InterfaceMeter> meters) {
        this.meters = List.copyOf(meters);
    }

    @Override
    public void bindTo(final MeterRegistry registry) {
        for (final InterfaceMeter meter : meters) {
            final Tags tags = Tags.of("interface", meter.interfaceName(), "profile", meter.profileTag());
            for (final int direction : new int[] {Direction.UP, Direction.DOWN}) {
                final Tags directed = tags.and("direction", Direction.name(direction));
                counter(registry, "esimmeter.agent.packets", "packets sealed into seconds", directed, meter,
                    m -> m.sealedTotal().get(direction, TrafficCounters.PACKETS));
                counter(registry, "esimmeter.agent.wire.bytes", "original frame lengths, as the kernel counts",
                    directed, meter, m -> m.sealedTotal().get(direction, TrafficCounters.WIRE_BYTES));
                counter(registry, "esimmeter.agent.ip.bytes", "outermost IP lengths, as carriers bill", directed,
                    meter, m -> m.sealedTotal().get(direction, TrafficCounters.IP_BYTES));
                counter(registry, "esimmeter.agent.uncaptured.bytes",
                    "bytes the kernel counted on the interface that no capture handle saw (offload, drops, filter)",
                    directed, meter, m -> m.sealedUncaptured().get(direction, TrafficCounters.WIRE_BYTES));
                counter(registry, "esimmeter.agent.uncaptured.packets",
                    "packets the kernel counted on the interface that no capture handle saw", directed, meter,
                    m -> m.sealedUncaptured().get(direction, TrafficCounters.PACKETS));
            }
            counter(registry, "esimmeter.agent.nonip.packets", "frames without IP", tags, meter,
                m -> m.sealedNonIp().sum(TrafficCounters.PACKETS));
            counter(registry, "esimmeter.agent.unparsed.packets", "truncated or malformed frames", tags, meter,
                m -> m.sealedUnparsed().sum(TrafficCounters.PACKETS));
            counter(registry, "esimmeter.agent.overflow.packets", "packets of flows beyond the flow-table bound",
                tags, meter, m -> m.sealedOverflow().sum(TrafficCounters.PACKETS));
            counter(registry, "esimmeter.agent.overflow.bytes", "wire bytes of flows beyond the flow-table bound",
                tags, meter, m -> m.sealedOverflow().sum(TrafficCounters.WIRE_BYTES));
            gauge(registry, "esimmeter.agent.flows", "flows in the last second (0 after a second without packets)",
                tags, meter, InterfaceMeter::lastSecondFlows);
            gauge(registry, "esimmeter.agent.flows.peak", "most flows in one second since start", tags, meter,
                InterfaceMeter::peakSecondFlows);
            gauge(registry, "esimmeter.agent.flows.limit",
                "flows one second can hold (capture.maxFlowsPerSecond); beyond, packets count as overflow", tags,
                meter, InterfaceMeter::maxFlowsPerSecond);
            counter(registry, "esimmeter.agent.pcap.received", "packets libpcap's filter passed", tags, meter,
                InterfaceMeter::pcapReceived);
            counter(registry, "esimmeter.agent.pcap.dropped", "packets lost before capture (buffer or driver)", tags,
                meter, InterfaceMeter::pcapDropped);
        }
    }

    /**
     * One line per interface for the periodic log, read back through the registry; uncaptured traffic only when
     * there is some.
     */
    public static String summary(final MeterRegistry registry, final InterfaceMeter meter) {
        final String name = meter.interfaceName();
        final double uncapturedUp = count(registry, "esimmeter.agent.uncaptured.bytes", name, "up");
        final double uncapturedDown = count(registry, "esimmeter.agent.uncaptured.bytes", name, "down");
        final String uncaptured = uncapturedUp == 0 && uncapturedDown == 0 ? "" : String.format(Locale.ROOT,
            ", uncaptured (kernel counters minus capture) up %.0f packets %.0f bytes, down %.0f packets %.0f bytes",
            count(registry, "esimmeter.agent.uncaptured.packets", name, "up"), uncapturedUp,
            count(registry, "esimmeter.agent.uncaptured.packets", name, "down"), uncapturedDown);
        return String.format(Locale.ROOT,
            "%s (%s): up %.0f packets %.0f bytes, down %.0f packets %.0f bytes%s, unparsed %.0f, overflow %.0f, " +
                "pcap dropped %.0f, flows %.0f (peak %.0f of %.0f)", name, meter.currentProfile(),
            count(registry, "esimmeter.agent.packets", name, "up"),
            count(registry, "esimmeter.agent.wire.bytes", name, "up"),
            count(registry, "esimmeter.agent.packets", name, "down"),
            count(registry, "esimmeter.agent.wire.bytes", name, "down"), uncaptured,
            count(registry, "esimmeter.agent.unparsed.packets", name, null),
            count(registry, "esimmeter.agent.overflow.packets", name, null),
            count(registry, "esimmeter.agent.pcap.dropped", name, null),
            gaugeValue(registry, "esimmeter.agent.flows", name),
            gaugeValue(registry, "esimmeter.agent.flows.peak", name),
            gaugeValue(registry, "esimmeter.agent.flows.limit", name));
    }

    private static double count(final MeterRegistry registry, final String metric, final String name,
        final String direction) {
        final var search = registry.find(metric).tag("interface", name);
        final FunctionCounter counter = direction == null ? search.functionCounter() :
            search.tag("direction", direction).functionCounter();
        return counter == null ? 0 : counter.count();
    }

    private static double gaugeValue(final MeterRegistry registry, final String metric, final String name) {
        final Gauge gauge = registry.find(metric).tag("interface", name).gauge();
        return gauge == null ? 0 : gauge.value();
    }

    private static void gauge(final MeterRegistry registry, final String name, final String description,
        final Tags tags, final InterfaceMeter meter, final ToDoubleFunction<InterfaceMeter> value) {
        Gauge.builder(name, meter, value).description(description).tags(tags).register(registry);
    }

    private static void counter(final MeterRegistry registry, final String name, final String description,
        final Tags tags, final InterfaceMeter meter, final ToDoubleFunction<InterfaceMeter> value) {
        FunctionCounter.builder(name, meter, value).description(description).tags(tags).register(registry);
    }
}
