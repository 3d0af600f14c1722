package org.esimmeter.agent.label.device;

import java.util.HashSet;
import java.util.Set;
import org.esimmeter.agent.config.AgentConfig;
import org.esimmeter.agent.label.DhcpListener;
import org.esimmeter.agent.label.FlowLabels;

/**
 * Device naming as the agent wires it: the DHCP sightings, the refresher thread and the labels the capture thread
 * calls. {@link #start} reads every source once before returning; {@link #close} stops the thread. Switched off
 * ({@code devices.enabled: false}), it labels nothing and ignores DHCP.
 */
public final class Devices implements AutoCloseable {
    private final DhcpSightings dhcp;
    private final DeviceRefresher refresher;
    private final FlowLabels labels;

    private Devices(final DhcpSightings dhcp, final DeviceRefresher refresher, final FlowLabels labels) {
        this.dhcp = dhcp;
        this.refresher = refresher;
        this.labels = labels;
    }

    /** Reads the sources once and starts the refresher thread; nothing at all when devices are switched off. */
    public static Devices start(final AgentConfig config) {
        final AgentConfig.Devices settings = config.devices();
        if (!settings.enabled()) {
            return new Devices(null, null, FlowLabels.NONE);
        }
        final Set<String> lan = new HashSet<>();
        final Set<String> uplinks = new HashSet<>();
        for (final AgentConfig.Interface iface : config.interfaces()) {
            (iface.lan() ? lan : uplinks).add(iface.name());
        }
        final DhcpSightings dhcp = new DhcpSightings(settings.maxDevices());
        // Half-way between a second's end and its seal: connections of that second are in the table it reads.
        final DeviceRefresher refresher = new DeviceRefresher(settings, dhcp, DeviceRefresher::localAddresses, uplinks,
            config.capture().sealGraceMillis() / 2);
        refresher.start();
        return new Devices(dhcp, refresher, new DeviceLabels(refresher, lan));
    }

    /** What the capture thread calls at seal time to set {@code device} and {@code approximate}. */
    public FlowLabels labels() {
        return labels;
    }

    /** Where the metadata capture reports DHCP hostnames. */
    public DhcpListener dhcp() {
        return dhcp == null ? DhcpListener.NONE : dhcp;
    }

    @Override
    public void close() {
        if (refresher != null) {
            refresher.close();
        }
    }
}
