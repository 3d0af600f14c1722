package org.esimmeter.agent.label.device;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.esimmeter.agent.label.DhcpListener;
import org.esimmeter.wire.Addresses;

/**
 * DHCP messages the metadata capture saw: each client's MAC, its latest address and the hostname it gave (option
 * 12). Written by the metadata capture thread, read by the refresher: a small synchronized map, bounded (the least
 * recently seen client goes first), never touched by the capture thread.
 */
public final class DhcpSightings implements DhcpListener {
    /** One client as last seen; {@code ipv4} 0 when it has no address yet. */
    record Sighting(long mac, int ipv4, String hostname) {
    }

    private final int maxClients;
    private final Map<Long, Sighting> byMac;

    public DhcpSightings(final int maxClients) {
        this.maxClients = maxClients;
        this.byMac = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(final Map.Entry<Long, Sighting> eldest) {
                return size() > DhcpSightings.this.maxClients;
            }
        };
    }

    @Override
    public synchronized void onDhcp(final long mac, final int ipv4, final String hostname) {
        final Sighting before = byMac.get(mac);
        // A later message without option 12 (a renewal) keeps the name the client gave before; same for the address.
        final String name = hostname != null && !hostname.isBlank() ? hostname.trim() :
            before == null ? null : before.hostname();
        final int address = ipv4 != 0 ? ipv4 : before == null ? 0 : before.ipv4();
        byMac.put(mac, new Sighting(mac, address, name));
    }

    /** A copy, for the refresher. */
    synchronized List<Sighting> sightings() {
        return new ArrayList<>(byMac.values());
    }

    /** Feeds every sighting to a snapshot being built. */
    void addTo(final SnapshotBuilder builder) {
        for (final Sighting sighting : sightings()) {
            if (sighting.ipv4() != 0) {
                builder.sighting(sighting.mac(), 0, Addresses.IPV4_MAPPED_PREFIX | (sighting.ipv4() & 0xFFFF_FFFFL),
                    sighting.hostname());
            } else {
                builder.hostname(sighting.mac(), sighting.hostname());
            }
        }
    }
}
