package org.esimmeter.agent.meter;

import org.esimmeter.agent.decode.DecodedPacket;
import org.esimmeter.agent.decode.PacketDecoder;
import java.util.function.LongSupplier;
import org.esimmeter.wire.TrafficCounters;

/**
 * Attributes decoded packets of one interface to the current second: interface totals by direction, flows,
 * non-IP and unparsed. When a packet of another second arrives, or the wall clock has passed the open second, the
 * second is sealed: handed to the {@link SecondSink} as a {@link SecondRecord} view and cleared for reuse.
 * <p>
 * With {@link #holdForLabels}, a sealed second is first held (a second set of tables) until the flow labels can
 * know its connections: the device table's read that began after the second ended has completed, or a bound
 * passed, or the next second ended too. Without that, a connection opened during a second was not yet in the
 * connection-tracking snapshot its seal read, and the first second of every new connection had no device. Packets
 * of the held second that arrive late join it.
 * <p>
 * Owned by one capture thread. Steady state allocates nothing: the tables are reused every second.
 */
public final class InterfaceMeter implements SecondRecord {
    public static final long NO_SECOND = Long.MIN_VALUE;

    /** One second's accumulators; the meter keeps two when it holds sealed seconds, and swaps them. */
    private static final class Tables {
        long second = NO_SECOND;
        // Latched when the second opens: a profile switch takes effect at the next second, so none is split.
        String profile;
        String network;
        final FlowTable flows;
        final TrafficCounters total = new TrafficCounters();
        final TrafficCounters nonIp = new TrafficCounters();
        final TrafficCounters unparsed = new TrafficCounters();
        final TrafficCounters uncaptured = new TrafficCounters();

        Tables(final FlowTable flows, final String profile, final String network) {
            this.flows = flows;
            this.profile = profile;
            this.network = network;
        }

        boolean isEmpty() {
            return total.isEmpty() && uncaptured.isEmpty();
        }

        void clear() {
            total.clear();
            uncaptured.clear();
            nonIp.clear();
            unparsed.clear();
            flows.clear();
            second = NO_SECOND;
        }
    }

    private final String interfaceName;
    private final CurrentProfile currentProfile;
    private final SecondSink sink;
    private final FragmentPorts fragmentPorts;
    private Tables open;
    private Tables held; // the sealed second waiting for labels; null unless holding
    private Tables view; // what the SecondRecord accessors show: the second being handed over, else the open one
    private LongSupplier labelsReadyThroughMillis;
    private long maxHoldMillis;
    private final TrafficCounters sealedTotal = new TrafficCounters();
    private final TrafficCounters sealedNonIp = new TrafficCounters();
    private final TrafficCounters sealedUnparsed = new TrafficCounters();
    private final TrafficCounters sealedOverflow = new TrafficCounters();
    private final TrafficCounters sealedUncaptured = new TrafficCounters();
    private long pcapReceived;
    private long pcapDropped;
    private long secondsSealed;
    // Flow-table occupancy for self-metrics: one writer (the capture thread, once per sealed second), any reader. An
    // int cannot tear, and volatile makes the write visible to the scrape thread without further ordering: a reader
    // sees the last second's value or the one before, and the capture thread pays one store per second, none per
    // packet.
    private volatile int lastSecondFlows;
    private long lastSealedSecond = NO_SECOND; // capture thread only
    private volatile int peakSecondFlows;

    public InterfaceMeter(final String interfaceName, final String profile, final FlowTable flows,
        final FragmentPorts fragmentPorts, final SecondSink sink) {
        this(interfaceName, new CurrentProfile(profile), flows, fragmentPorts, sink);
    }

    /** A meter whose profile may change while it runs: read once per second it opens. */
    public InterfaceMeter(final String interfaceName, final CurrentProfile profile, final FlowTable flows,
        final FragmentPorts fragmentPorts, final SecondSink sink) {
        this.interfaceName = interfaceName;
        this.currentProfile = profile;
        this.open = new Tables(flows, profile.get(), profile.network());
        this.view = open;
        this.fragmentPorts = fragmentPorts;
        this.sink = sink;
    }

    /**
     * Holds each sealed second until {@code readyThroughMillis} (the labels' {@link
     * org.esimmeter.agent.label.FlowLabels#readyThroughMillis}) reaches its end, at most {@code maxHoldMillis} past
     * it, or until the next second is sealed too. Allocates the second set of tables; call before capture starts.
     */
    public void holdForLabels(final LongSupplier readyThroughMillis, final long maxHoldMillis) {
        this.labelsReadyThroughMillis = readyThroughMillis;
        this.maxHoldMillis = maxHoldMillis;
        this.held = new Tables(new FlowTable(Math.min(4096, open.flows.maxFlows()), open.flows.maxFlows()), null,
            null);
    }

    /**
     * @param epochSecond floor of the packet's timestamp
     * @param wireLength  the packet's original length (libpcap's {@code len}, not {@code caplen})
     * @param status      what {@link PacketDecoder#decode} returned for it
     * @param direction   from the handle's {@link DirectionRule}
     */
    public void account(final long epochSecond, final int wireLength, final int status, final DecodedPacket packet,
        final int direction) {
        Tables tables = open;
        if (epochSecond != open.second) {
            if (held != null && epochSecond == held.second) {
                tables = held; // late, but its second is still here: it joins it
            } else {
                sealOpen();
                open(epochSecond);
                tables = open; // sealOpen may have swapped the tables
            }
        }
        if (status == PacketDecoder.IP) {
            final int ipLength = packet.ipLength();
            tables.total.add(direction, 1, wireLength, ipLength);
            accountFlow(tables.flows, epochSecond, wireLength, ipLength, packet, direction);
        } else {
            tables.total.add(direction, 1, wireLength, 0);
            (status == PacketDecoder.NON_IP ? tables.nonIp : tables.unparsed).add(direction, 1, wireLength, 0);
        }
    }

    private void open(final long epochSecond) {
        open.second = epochSecond;
        open.profile = currentProfile.get(); // volatile reads once per second, none per packet
        open.network = currentProfile.network();
    }

    /**
     * Adds traffic the kernel counted on the interface but no capture handle saw ({@link Reconciler}) to the open
     * second, or to the second of {@code nowEpochMillis} when none is open: a second may then carry uncaptured
     * traffic only. Lands at most about a second after the kernel counted it, under the profile of that second.
     */
    public void addUncaptured(final TrafficCounters traffic, final long nowEpochMillis) {
        if (traffic.isEmpty()) {
            return;
        }
        if (open.second == NO_SECOND) {
            open(Math.floorDiv(nowEpochMillis, 1000));
        }
        open.uncaptured.add(traffic);
    }

    private void accountFlow(final FlowTable flows, final long epochSecond, final int wireLength, final int ipLength,
        final DecodedPacket packet, final int direction) {
        int srcPort = packet.srcPort();
        int dstPort = packet.dstPort();
        final int fragment = packet.fragment();
        if (fragment != DecodedPacket.NOT_FRAGMENT) {
            final long key = FragmentPorts.idAndProtocol(packet.fragmentId(), packet.protocol(), packet.ipVersion());
            if (fragment == DecodedPacket.FIRST_FRAGMENT) {
                fragmentPorts.remember(packet.srcHi(), packet.srcLo(), packet.dstHi(), packet.dstLo(), key, srcPort,
                    dstPort, epochSecond);
            } else {
                final long ports = fragmentPorts.ports(packet.srcHi(), packet.srcLo(), packet.dstHi(), packet.dstLo(),
                    key, epochSecond);
                if (ports >= 0) {
                    srcPort = (int) (ports >>> 16);
                    dstPort = (int) (ports & 0xFFFF);
                }
            }
        }
        final long meta = FlowMeta.pack(packet.ipVersion(), packet.protocol(), srcPort, dstPort, direction);
        flows.add(packet.srcHi(), packet.srcLo(), packet.dstHi(), packet.dstLo(), meta, 1, wireLength, ipLength);
    }

    /**
     * Seals the open second once the wall clock is {@code graceMillis} past its end (quiet links still report), and
     * hands over a held second once its labels are ready or it was held long enough.
     */
    public void sealIfDue(final long nowEpochMillis, final long graceMillis) {
        if (open.second != NO_SECOND && nowEpochMillis >= (open.second + 1) * 1000 + graceMillis) {
            sealOpen();
        } else if (open.second == NO_SECOND && (held == null || held.second == NO_SECOND) && lastSecondFlows != 0 &&
            nowEpochMillis >= (lastSealedSecond + 2) * 1000 + graceMillis) {
            lastSecondFlows = 0; // the second after the last sealed one passed without a packet: no flow in it
        }
        if (held != null && held.second != NO_SECOND) {
            final long end = (held.second + 1) * 1000;
            if (labelsReadyThroughMillis.getAsLong() >= end || nowEpochMillis >= end + maxHoldMillis) {
                handOver(held);
            }
        }
    }

    /** Hands every second still here, held and open, to the sink (if it saw any traffic) and starts afresh. */
    public void seal() {
        if (held != null) {
            handOver(held);
        }
        handOver(open);
    }

    /** The open second ends: handed over now, or held (handing over the one held before, whose time is up). */
    private void sealOpen() {
        if (open.second == NO_SECOND) {
            return;
        }
        if (held == null) {
            handOver(open);
            return;
        }
        handOver(held);
        final Tables sealed = open;
        open = held;
        held = sealed;
        view = open;
    }

    private void handOver(final Tables tables) {
        if (tables.second == NO_SECOND) {
            return;
        }
        if (!tables.isEmpty()) {
            secondsSealed++;
            view = tables;
            try {
                sink.onSecond(this);
            } finally {
                view = open;
            }
            final int flowCount = tables.flows.size();
            lastSealedSecond = tables.second;
            lastSecondFlows = flowCount;
            if (flowCount > peakSecondFlows) {
                peakSecondFlows = flowCount;
            }
            // Lifetime sums move once per second, off the per-packet path; self-metrics read them.
            sealedTotal.add(tables.total);
            sealedNonIp.add(tables.nonIp);
            sealedUnparsed.add(tables.unparsed);
            sealedOverflow.add(tables.flows.overflow());
            sealedUncaptured.add(tables.uncaptured);
        }
        tables.clear();
    }

    /** Latest cumulative libpcap statistics of this interface's handles, reported with each second. */
    public void captureStatistics(final long received, final long dropped) {
        this.pcapReceived = received;
        this.pcapDropped = dropped;
    }

    public long secondsSealed() {
        return secondsSealed;
    }

    /**
     * Everything sealed so far, for self-metrics. Written by the capture thread once per second; another thread
     * may read a value one second old, never a torn one (aligned longs).
     */
    public TrafficCounters sealedTotal() {
        return sealedTotal;
    }

    public TrafficCounters sealedNonIp() {
        return sealedNonIp;
    }

    public TrafficCounters sealedUnparsed() {
        return sealedUnparsed;
    }

    public TrafficCounters sealedOverflow() {
        return sealedOverflow;
    }

    /** Uncaptured traffic sealed so far (kernel counters minus capture), for self-metrics. */
    public TrafficCounters sealedUncaptured() {
        return sealedUncaptured;
    }

    /**
     * Flows in the last second: the flow table's occupancy when it was sealed (overflow packets have no entry), 0
     * once a second passed without a packet.
     */
    public int lastSecondFlows() {
        return lastSecondFlows;
    }

    /** The most flows any sealed second held since start: how close the table came to its bound. */
    public int peakSecondFlows() {
        return peakSecondFlows;
    }

    /** The flow table's bound per second ({@code capture.maxFlowsPerSecond}); flows beyond it count as overflow. */
    public int maxFlowsPerSecond() {
        return open.flows.maxFlows();
    }

    @Override
    public String interfaceName() {
        return interfaceName;
    }

    /** The profile of the second being handed over (else the open one); {@link #currentProfile()}: now in force. */
    @Override
    public String profile() {
        return view.profile;
    }

    /** The profile the next second will open under. */
    public String currentProfile() {
        return currentProfile.get();
    }

    /**
     * The profile as a self-metrics tag: fixed for the life of the process, so a discovered profile is tagged
     * "discovered" (the seconds themselves carry the ICCID).
     */
    public String profileTag() {
        return currentProfile.discovered() ? "discovered" : currentProfile.get();
    }

    /** The serving network of the second being handed over (else the open one). */
    @Override
    public String network() {
        return view.network;
    }

    @Override
    public long epochSecond() {
        return view.second;
    }

    @Override
    public TrafficCounters total() {
        return view.total;
    }

    @Override
    public TrafficCounters nonIp() {
        return view.nonIp;
    }

    @Override
    public TrafficCounters unparsed() {
        return view.unparsed;
    }

    /** Kernel-counted traffic of this second that no capture handle saw; not part of {@link #total()}. */
    @Override
    public TrafficCounters uncaptured() {
        return view.uncaptured;
    }

    @Override
    public FlowTable flows() {
        return view.flows;
    }

    @Override
    public long pcapReceived() {
        return pcapReceived;
    }

    @Override
    public long pcapDropped() {
        return pcapDropped;
    }
}
