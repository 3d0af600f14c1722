package org.esimmeter.agent.meter;

import org.esimmeter.agent.decode.DecodedPacket;
import org.esimmeter.agent.decode.PacketDecoder;
import org.esimmeter.wire.TrafficCounters;

/**
 * Attributes decoded packets of one interface to the current second: interface totals by direction, flows,
 * non-IP and unparsed. When a packet of another second arrives, or the wall clock has passed the open second, the
 * second is sealed: handed to the {@link SecondSink} as a {@link SecondRecord} view and cleared for reuse.
 * <p>
 * Owned by one capture thread. Steady state allocates nothing: the tables are reused every second.
 */
public final class InterfaceMeter implements SecondRecord {
    public static final long NO_SECOND = Long.MIN_VALUE;

    private final String interfaceName;
    private final CurrentProfile currentProfile;
    // Latched when a second opens: a profile switch takes effect at the next second, so no second is split.
    private String profile;
    private String network;
    private final SecondSink sink;
    private final FlowTable flows;
    private final FragmentPorts fragmentPorts;
    private final TrafficCounters total = new TrafficCounters();
    private final TrafficCounters nonIp = new TrafficCounters();
    private final TrafficCounters unparsed = new TrafficCounters();
    private final TrafficCounters sealedTotal = new TrafficCounters();
    private final TrafficCounters sealedNonIp = new TrafficCounters();
    private final TrafficCounters sealedUnparsed = new TrafficCounters();
    private final TrafficCounters sealedOverflow = new TrafficCounters();
    private long openSecond = NO_SECOND;
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
        this.profile = profile.get();
        this.network = profile.network();
        this.flows = flows;
        this.fragmentPorts = fragmentPorts;
        this.sink = sink;
    }

    /**
     * @param epochSecond floor of the packet's timestamp
     * @param wireLength  the packet's original length (libpcap's {@code len}, not {@code caplen})
     * @param status      what {@link PacketDecoder#decode} returned for it
     * @param direction   from the handle's {@link DirectionRule}
     */
    public void account(final long epochSecond, final int wireLength, final int status, final DecodedPacket packet,
        final int direction) {
        if (epochSecond != openSecond) {
            seal();
            openSecond = epochSecond;
            profile = currentProfile.get(); // volatile reads once per second, none per packet
            network = currentProfile.network();
        }
        if (status == PacketDecoder.IP) {
            final int ipLength = packet.ipLength();
            total.add(direction, 1, wireLength, ipLength);
            accountFlow(epochSecond, wireLength, ipLength, packet, direction);
        } else {
            total.add(direction, 1, wireLength, 0);
            (status == PacketDecoder.NON_IP ? nonIp : unparsed).add(direction, 1, wireLength, 0);
        }
    }

    private void accountFlow(final long epochSecond, final int wireLength, final int ipLength,
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

    /** Seals the open second once the wall clock is {@code graceMillis} past its end: quiet links still report. */
    public void sealIfDue(final long nowEpochMillis, final long graceMillis) {
        if (openSecond != NO_SECOND && nowEpochMillis >= (openSecond + 1) * 1000 + graceMillis) {
            seal();
        } else if (openSecond == NO_SECOND && lastSecondFlows != 0 &&
            nowEpochMillis >= (lastSealedSecond + 2) * 1000 + graceMillis) {
            lastSecondFlows = 0; // the second after the last sealed one passed without a packet: no flow in it
        }
    }

    /** Hands the open second to the sink (if it saw any packet) and starts afresh. */
    public void seal() {
        if (openSecond == NO_SECOND) {
            return;
        }
        if (!total.isEmpty()) {
            secondsSealed++;
            sink.onSecond(this);
            final int flowCount = flows.size();
            lastSealedSecond = openSecond;
            lastSecondFlows = flowCount;
            if (flowCount > peakSecondFlows) {
                peakSecondFlows = flowCount;
            }
            // Lifetime sums move once per second, off the per-packet path; self-metrics read them.
            sealedTotal.add(total);
            sealedNonIp.add(nonIp);
            sealedUnparsed.add(unparsed);
            sealedOverflow.add(flows.overflow());
        }
        total.clear();
        nonIp.clear();
        unparsed.clear();
        flows.clear();
        openSecond = NO_SECOND;
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
        return flows.maxFlows();
    }

    @Override
    public String interfaceName() {
        return interfaceName;
    }

    /** The profile of the open (or last sealed) second; see {@link #currentProfile()} for the one now in force. */
    @Override
    public String profile() {
        return profile;
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

    /** The serving network of the open (or last sealed) second. */
    @Override
    public String network() {
        return network;
    }

    @Override
    public long epochSecond() {
        return openSecond;
    }

    @Override
    public TrafficCounters total() {
        return total;
    }

    @Override
    public TrafficCounters nonIp() {
        return nonIp;
    }

    @Override
    public TrafficCounters unparsed() {
        return unparsed;
    }

    @Override
    public FlowTable flows() {
        return flows;
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
