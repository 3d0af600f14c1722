package org.esimmeter.agent.label.device;

import org.esimmeter.wire.Device;

/**
 * What the refresher knew at one moment: the LAN devices by address, the router's own addresses, and the router's
 * connections as the uplink sees them. Immutable once published; the capture thread reads it through a volatile
 * reference, without locks, and every {@link Device} it can answer is already built.
 * <p>
 * Values in the maps are indexes into {@link #devices}, or {@link #ROUTER} for the router's own addresses, possibly
 * with {@link TupleMap#AMBIGUOUS} set.
 */
final class DeviceSnapshot {
    /** The value of the router's own addresses: above any device index. */
    static final int ROUTER = TupleMap.VALUE_MASK;
    private static final long ADDRESS_META = TupleMap.meta(0, 0, 0);

    static final DeviceSnapshot EMPTY = new DeviceSnapshot(new Device[0], new TupleMap(1), new TupleMap(1),
        new TupleMap(1), -1, false);

    final Device[] devices;
    private final TupleMap addresses;
    /** Uplink side of each connection (local address and port, remote address and port) to its LAN address. */
    private final TupleMap connections;
    /** Remote address and port of each translated connection to its LAN address: the approximation's source. */
    private final TupleMap remotes;
    /** The only device known, when there is exactly one; else -1. */
    final int uniqueDevice;
    /** Whether connection tracking could be read at all. */
    final boolean conntrackRead;

    DeviceSnapshot(final Device[] devices, final TupleMap addresses, final TupleMap connections,
        final TupleMap remotes, final int uniqueDevice, final boolean conntrackRead) {
        this.devices = devices;
        this.addresses = addresses;
        this.connections = connections;
        this.remotes = remotes;
        this.uniqueDevice = uniqueDevice;
        this.conntrackRead = conntrackRead;
    }

    /** The device index of an address, {@link #ROUTER}, or {@link TupleMap#MISSING}. */
    int address(final long hi, final long lo) {
        return addresses.get(hi, lo, 0, 0, ADDRESS_META);
    }

    int connection(final int protocol, final long localHi, final long localLo, final int localPort,
        final long remoteHi, final long remoteLo, final int remotePort) {
        return connections.get(localHi, localLo, remoteHi, remoteLo, TupleMap.meta(protocol, localPort, remotePort));
    }

    int remote(final int protocol, final long remoteHi, final long remoteLo, final int remotePort) {
        return remotes.get(remoteHi, remoteLo, 0, 0, TupleMap.meta(protocol, remotePort, 0));
    }

    int connectionCount() {
        return connections.size();
    }

    static long addressMeta() {
        return ADDRESS_META;
    }
}
