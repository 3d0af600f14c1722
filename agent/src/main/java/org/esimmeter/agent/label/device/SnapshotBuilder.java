package org.esimmeter.agent.label.device;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.esimmeter.wire.Device;

/**
 * Assembles one {@link DeviceSnapshot} on the refresher thread: router addresses first, then sightings (leases,
 * DHCP, neighbour tables, later ones overriding earlier ones for the same address), then connections. Everything
 * is bounded: {@code maxDevices} addresses, {@code maxConnections} connections; beyond, entries are counted as
 * refused and their flows fall back to approximation.
 */
final class SnapshotBuilder {
    private record Address(long hi, long lo) {
    }

    private final int maxDevices;
    private final int maxConnections;
    private final Map<Address, Long> macByAddress = new LinkedHashMap<>();
    private final Map<Long, String> hostnameByMac = new HashMap<>();
    private final List<Address> router = new ArrayList<>();
    private int devicesRefused;

    SnapshotBuilder(final int maxDevices, final int maxConnections) {
        this.maxDevices = maxDevices;
        this.maxConnections = maxConnections;
    }

    void router(final long hi, final long lo) {
        router.add(new Address(hi, lo));
    }

    /** A LAN address seen with a MAC (and maybe a name); a later sighting of the same address wins. */
    void sighting(final long mac, final long hi, final long lo, final String hostname) {
        final Address address = new Address(hi, lo);
        if (macByAddress.size() >= maxDevices && !macByAddress.containsKey(address)) {
            devicesRefused++;
        } else {
            macByAddress.put(address, mac);
        }
        if (hostname != null && !hostname.isBlank()) {
            hostnameByMac.put(mac, hostname.trim());
        }
    }

    /** A name for a MAC without an address (DHCP before the lease, or an address we keep from the tables). */
    void hostname(final long mac, final String hostname) {
        if (hostname != null && !hostname.isBlank()) {
            hostnameByMac.put(mac, hostname.trim());
        }
    }

    int devicesRefused() {
        return devicesRefused;
    }

    /**
     * Builds the snapshot; {@code conntrack} is the text of the connection table ({@code length} bytes) or null
     * when it could not be read.
     */
    Built build(final byte[] conntrack, final int length, final ConntrackParser parser) {
        final TupleMap addresses = new TupleMap(maxDevices + router.size() + 1);
        final long meta = DeviceSnapshot.addressMeta();
        for (final Address address : router) {
            addresses.put(address.hi, address.lo, 0, 0, meta, DeviceSnapshot.ROUTER);
        }
        final List<Device> devices = new ArrayList<>();
        for (final Map.Entry<Address, Long> entry : macByAddress.entrySet()) {
            final Address address = entry.getKey();
            // The router's own address in its neighbour table (a second router interface, a bridge): not a device.
            if (addresses.get(address.hi, address.lo, 0, 0, meta) == DeviceSnapshot.ROUTER) {
                continue;
            }
            final long mac = entry.getValue();
            final Device device = new Device(AddressText.formatMac(mac), AddressText.formatIp(address.hi, address.lo),
                hostnameByMac.get(mac));
            if (addresses.put(address.hi, address.lo, 0, 0, meta, devices.size())) {
                devices.add(device);
            }
        }
        final long distinctMacs = macByAddress.values().stream().distinct().count();
        final int unique = distinctMacs == 1 && !devices.isEmpty() ? 0 : -1;
        int connectionCount = 0;
        TupleMap connections = new TupleMap(1);
        TupleMap remotes = new TupleMap(1);
        if (conntrack != null) {
            // Sized by the text (a line is 150 bytes or more), capped by the bound.
            final int expected = Math.min(maxConnections, Math.max(16, length / 150 + 1));
            connections = new TupleMap(Math.min(maxConnections, expected * 2));
            remotes = new TupleMap(expected);
            final TupleMap into = connections;
            final TupleMap intoRemotes = remotes;
            connectionCount = parser.parse(conntrack, length, entry -> add(entry, addresses, devices, into,
                intoRemotes));
        }
        final DeviceSnapshot snapshot = new DeviceSnapshot(devices.toArray(new Device[0]), addresses, connections,
            remotes, unique, conntrack != null);
        return new Built(snapshot, connectionCount, connections.refused(), devicesRefused);
    }

    /** The snapshot and what did not fit, for the refresher's log line. */
    record Built(DeviceSnapshot snapshot, int connections, int connectionsRefused, int devicesRefused) {
    }

    private void add(final ConntrackParser.Entry e, final TupleMap addresses, final List<Device> devices,
        final TupleMap connections, final TupleMap remotes) {
        final long meta = DeviceSnapshot.addressMeta();
        final boolean sourceTranslated = e.originalSrcLo != e.replyDstLo || e.originalSrcHi != e.replyDstHi;
        final boolean destinationTranslated = e.replySrcLo != e.originalDstLo || e.replySrcHi != e.originalDstHi;
        final long replyMeta = TupleMap.meta(e.protocol, e.replyDstPort, e.replySrcPort);
        if (sourceTranslated) {
            // Source NAT (masquerade): the uplink sees the reply tuple; the LAN device is the original source.
            final int lan = deviceIndex(e.originalSrcHi, e.originalSrcLo, addresses, devices);
            if (lan != TupleMap.MISSING) {
                connections.put(e.replyDstHi, e.replyDstLo, e.replySrcHi, e.replySrcLo, replyMeta, lan);
                if (lan != DeviceSnapshot.ROUTER) {
                    remotes.put(e.replySrcHi, e.replySrcLo, 0, 0, TupleMap.meta(e.protocol, e.replySrcPort, 0), lan);
                }
            }
        } else if (addresses.get(e.originalSrcHi, e.originalSrcLo, 0, 0, meta) == DeviceSnapshot.ROUTER) {
            // The router's own connection: said exactly, so it is never guessed onto a device.
            connections.put(e.replyDstHi, e.replyDstLo, e.replySrcHi, e.replySrcLo, replyMeta, DeviceSnapshot.ROUTER);
        }
        // Untranslated connections of a routed device (IPv6, usually) need no entry: the uplink shows its address.
        final long originalMeta = TupleMap.meta(e.protocol, e.originalDstPort, e.originalSrcPort);
        if (destinationTranslated) {
            // Destination NAT (a forwarded port): the uplink sees the original tuple; the device answers it.
            final int server = deviceIndex(e.replySrcHi, e.replySrcLo, addresses, devices);
            if (server != TupleMap.MISSING) {
                connections.put(e.originalDstHi, e.originalDstLo, e.originalSrcHi, e.originalSrcLo, originalMeta,
                    server);
            }
        } else if (addresses.get(e.originalDstHi, e.originalDstLo, 0, 0, meta) == DeviceSnapshot.ROUTER) {
            // A connection to the router itself from outside.
            connections.put(e.originalDstHi, e.originalDstLo, e.originalSrcHi, e.originalSrcLo, originalMeta,
                DeviceSnapshot.ROUTER);
        }
    }

    /** The index of the device at an address, adding one keyed by the address when no table named it. */
    private int deviceIndex(final long hi, final long lo, final TupleMap addresses, final List<Device> devices) {
        final long meta = DeviceSnapshot.addressMeta();
        final int known = addresses.get(hi, lo, 0, 0, meta);
        if (known != TupleMap.MISSING) {
            return known & TupleMap.VALUE_MASK;
        }
        if (devices.size() >= maxDevices) {
            devicesRefused++;
            return TupleMap.MISSING;
        }
        final String text = AddressText.formatIp(hi, lo);
        addresses.put(hi, lo, 0, 0, meta, devices.size());
        devices.add(new Device(text, text, null));
        return devices.size() - 1;
    }
}
