package org.esimmeter.agent.label.device;

import java.util.Set;
import org.esimmeter.agent.label.FlowLabel;
import org.esimmeter.agent.label.FlowLabels;
import org.esimmeter.agent.meter.FlowMeta;
import org.esimmeter.agent.meter.FlowTable;
import org.esimmeter.agent.meter.SecondRecord;
import org.esimmeter.wire.Device;
import org.esimmeter.wire.Direction;

/**
 * Names the LAN device of a flow at seal time, on the capture thread, from the refresher's latest
 * {@link DeviceSnapshot} (one volatile read, no lock, no allocation once an address has been seen):
 * <ul>
 * <li>On a LAN interface ({@code role: lan}) the device is the flow's end that is not the router. Exact.</li>
 * <li>On an uplink, the flow's local end (source when sent, destination when received) and its remote end are
 * looked up in connection tracking: a translated connection names the LAN source it came from, the router's own
 * connections name no device. Exact. A local end that is not one of the router's addresses is a routed device
 * (IPv6 without NAT): named by that address. Exact.</li>
 * <li>Otherwise (connection tracking unreadable, the connection not in the last read, or two devices sharing the
 * uplink tuple, e.g. ICMP to the same host) the device is guessed, and {@link FlowLabel#approximate} is set: the
 * device last seen exactly with the same remote address and port (uplink flows and LAN flows), else the one
 * connection tracking lists for that remote address and port, else the only device the LAN has. No guess, no
 * device.</li>
 * </ul>
 * Single-threaded: the capture thread owns the small caches kept here.
 */
public final class DeviceLabels implements FlowLabels {
    private static final int RECENT_SLOTS = 4096;
    private static final int UNKNOWN_SLOTS = 256;
    private static final long OCCUPIED = 1L << 63;

    private final DeviceRefresher refresher;
    private final Set<String> lanInterfaces;
    // The device last seen exactly with a remote address and port: direct-mapped, the newest sighting wins a slot.
    private final long[] recentHi = new long[RECENT_SLOTS];
    private final long[] recentLo = new long[RECENT_SLOTS];
    private final long[] recentMeta = new long[RECENT_SLOTS];
    private final Device[] recentDevice = new Device[RECENT_SLOTS];
    // Devices of addresses no table named (a routed address not yet in the neighbour table): built once each.
    private final long[] unknownHi = new long[UNKNOWN_SLOTS];
    private final long[] unknownLo = new long[UNKNOWN_SLOTS];
    private final Device[] unknownDevice = new Device[UNKNOWN_SLOTS];

    /**
     * @param lanInterfaces names of the metered interfaces whose role is {@code lan}
     */
    public DeviceLabels(final DeviceRefresher refresher, final Set<String> lanInterfaces) {
        this.refresher = refresher;
        this.lanInterfaces = Set.copyOf(lanInterfaces);
    }

    /** The start of the last completed read of the neighbour tables and connection tracking. */
    @Override
    public long readyThroughMillis() {
        return refresher.freshSinceMillis();
    }

    @Override
    public void label(final SecondRecord second, final int flowIndex, final FlowLabel into) {
        final FlowTable flows = second.flows();
        final long meta = flows.meta(flowIndex);
        final int direction = FlowMeta.direction(meta);
        if (direction == Direction.UNKNOWN) {
            return;
        }
        final boolean sent = direction == Direction.UP;
        final long localHi = sent ? flows.srcHi(flowIndex) : flows.dstHi(flowIndex);
        final long localLo = sent ? flows.srcLo(flowIndex) : flows.dstLo(flowIndex);
        final long remoteHi = sent ? flows.dstHi(flowIndex) : flows.srcHi(flowIndex);
        final long remoteLo = sent ? flows.dstLo(flowIndex) : flows.srcLo(flowIndex);
        final int localPort = sent ? FlowMeta.srcPort(meta) : FlowMeta.dstPort(meta);
        final int remotePort = sent ? FlowMeta.dstPort(meta) : FlowMeta.srcPort(meta);
        final int protocol = FlowMeta.protocol(meta);
        final DeviceSnapshot snapshot = refresher.snapshot();
        if (lanInterfaces.contains(second.interfaceName())) {
            lan(snapshot, protocol, localHi, localLo, localPort, remoteHi, remoteLo, into);
        } else {
            uplink(snapshot, protocol, localHi, localLo, localPort, remoteHi, remoteLo, remotePort, into);
        }
    }

    /** On the LAN the router's end is the "local" one; the device is the other. */
    private void lan(final DeviceSnapshot snapshot, final int protocol, final long localHi, final long localLo,
        final int localPort, final long deviceHi, final long deviceLo, final FlowLabel into) {
        final int index = snapshot.address(deviceHi, deviceLo);
        if (index == DeviceSnapshot.ROUTER) {
            return;
        }
        final Device device = device(snapshot, index, deviceHi, deviceLo);
        into.device = device;
        // Forwarded traffic (not to the router itself): remember which device talks to that remote end.
        if (snapshot.address(localHi, localLo) != DeviceSnapshot.ROUTER) {
            remember(protocol, localHi, localLo, localPort, device);
        }
    }

    private void uplink(final DeviceSnapshot snapshot, final int protocol, final long localHi, final long localLo,
        final int localPort, final long remoteHi, final long remoteLo, final int remotePort, final FlowLabel into) {
        final int connection = snapshot.connection(protocol, localHi, localLo, localPort, remoteHi, remoteLo,
            remotePort);
        if (connection != TupleMap.MISSING && (connection & TupleMap.AMBIGUOUS) == 0) {
            if (connection != DeviceSnapshot.ROUTER) {
                final Device device = snapshot.devices[connection];
                into.device = device;
                remember(protocol, remoteHi, remoteLo, remotePort, device);
            }
            return;
        }
        final int local = snapshot.address(localHi, localLo);
        if (connection == TupleMap.MISSING && local != DeviceSnapshot.ROUTER) {
            // Routed without translation: the uplink shows the device's own address.
            into.device = device(snapshot, local, localHi, localLo);
            return;
        }
        Device guess = null;
        if (connection != TupleMap.MISSING && (connection & TupleMap.VALUE_MASK) != DeviceSnapshot.ROUTER) {
            guess = snapshot.devices[connection & TupleMap.VALUE_MASK];
        }
        if (guess == null) {
            guess = recent(protocol, remoteHi, remoteLo, remotePort);
        }
        if (guess == null) {
            final int remote = snapshot.remote(protocol, remoteHi, remoteLo, remotePort);
            if (remote != TupleMap.MISSING) {
                guess = snapshot.devices[remote & TupleMap.VALUE_MASK];
            }
        }
        if (guess == null && snapshot.uniqueDevice >= 0) {
            guess = snapshot.devices[snapshot.uniqueDevice];
        }
        if (guess != null) {
            into.device = guess;
            into.approximate = true;
        }
    }

    private Device device(final DeviceSnapshot snapshot, final int index, final long hi, final long lo) {
        if (index != TupleMap.MISSING) {
            return snapshot.devices[index & TupleMap.VALUE_MASK];
        }
        final int slot = slot(hi, lo, 0) & (UNKNOWN_SLOTS - 1);
        final Device cached = unknownDevice[slot];
        if (cached != null && unknownHi[slot] == hi && unknownLo[slot] == lo) {
            return cached;
        }
        final String address = AddressText.formatIp(hi, lo);
        final Device device = new Device(address, address, null);
        unknownHi[slot] = hi;
        unknownLo[slot] = lo;
        unknownDevice[slot] = device;
        return device;
    }

    private void remember(final int protocol, final long hi, final long lo, final int port, final Device device) {
        final long meta = OCCUPIED | (long) protocol << 16 | port;
        final int slot = slot(hi, lo, meta) & (RECENT_SLOTS - 1);
        recentHi[slot] = hi;
        recentLo[slot] = lo;
        recentMeta[slot] = meta;
        recentDevice[slot] = device;
    }

    private Device recent(final int protocol, final long hi, final long lo, final int port) {
        final long meta = OCCUPIED | (long) protocol << 16 | port;
        final int slot = slot(hi, lo, meta) & (RECENT_SLOTS - 1);
        return recentMeta[slot] == meta && recentLo[slot] == lo && recentHi[slot] == hi ? recentDevice[slot] : null;
    }

    private static int slot(final long hi, final long lo, final long meta) {
        long h = (lo ^ meta * 0xC2B2_AE3D_27D4_EB4FL) * 0x9E37_79B9_7F4A_7C15L;
        h = (h ^ hi) * 0x1656_67B1_9E37_79F9L;
        return (int) (h ^ (h >>> 29));
    }
}
