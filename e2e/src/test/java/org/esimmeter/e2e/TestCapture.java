package org.esimmeter.e2e;

import static org.esimmeter.agent.frames.Frames.BROADCAST_MAC;
import static org.esimmeter.agent.frames.Frames.ETHERTYPE_ARP;
import static org.esimmeter.agent.frames.Frames.ETHERTYPE_IPV4;
import static org.esimmeter.agent.frames.Frames.ETHERTYPE_IPV6;
import static org.esimmeter.agent.frames.Frames.arpRequest;
import static org.esimmeter.agent.frames.Frames.ethernetPadded;
import static org.esimmeter.agent.frames.Frames.tcp;
import static org.esimmeter.agent.frames.Frames.truncate;
import static org.esimmeter.agent.frames.Frames.udp;
import static org.esimmeter.agent.frames.Frames.zeros;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.esimmeter.agent.frames.Frames;
import org.esimmeter.agent.frames.PcapWriter;

/**
 * A small Ethernet pcap, built with the agent's test {@link Frames} and {@link PcapWriter} (RFC-derived, not the
 * agent's code), and what a replay of it must report, summed here from what each frame was made to be (not from
 * the agent): so the end-to-end test keeps a meaning without the shared corpus.
 * <p>
 * Direction comes from MAC addresses (replay with {@code --router-mac} {@value #ROUTER_MAC}): a frame from the
 * router is up, a frame to it is down. Wire bytes are the original frame length (pcap {@code len}), IP bytes the
 * IPv4 total length or 40 + the IPv6 payload length; non-IP and unparsed frames count packets and wire bytes only,
 * and belong to no flow.
 */
final class TestCapture {
    static final String ROUTER_MAC = "02:00:00:00:00:01";
    static final String[] DIRECTIONS = {"up", "down", "unknown"};
    private static final long ROUTER = 0x02_00_00_00_00_01L;
    private static final long PEER = 0x02_00_00_00_00_02L;
    static final int TCP = Frames.TCP;
    static final int UDP = Frames.UDP;

    /** One record: the bytes written ({@code caplen}), the original length, and what it counts as. */
    record Frame(long second, int micros, byte[] captured, int length, int ipLength, int direction, String flow,
        Kind kind) {
    }

    enum Kind {
        IP, NON_IP, UNPARSED
    }

    private final List<Frame> frames = new ArrayList<>();

    /**
     * The capture the end-to-end test ships. T0 is 2024-02-29T23:59:58Z, so the frames cross a day, an hour and
     * a minute boundary (T0 + 2 is 2024-03-01T00:00:00Z) and every rollup has more than one bucket; one frame of
     * T0 + 1 arrives after those of T0 + 2 (the meter seals T0 + 1 twice); one frame is cut to 96 bytes by the
     * snap length; one is a runt padded to 60 bytes; one is too short for the IPv4 header it announces.
     */
    static TestCapture standard() {
        final long t0 = 1_709_251_198L;
        final TestCapture capture = new TestCapture();
        for (int i = 0; i < 3; i++) {
            capture.ipv4(t0, 1000 * i, true, TCP, "10.0.0.2", 40000, "93.184.216.34", 443, 100, 0);
        }
        for (int i = 0; i < 2; i++) {
            capture.ipv4(t0, 5000 + 1000 * i, false, TCP, "93.184.216.34", 443, "10.0.0.2", 40000, 1400, 0);
        }
        capture.ipv4(t0 + 1, 0, true, UDP, "10.0.0.2", 5353, "1.1.1.1", 53, 2, 0);
        capture.ipv4(t0 + 1, 20_000, false, UDP, "1.1.1.1", 53, "10.0.0.2", 5353, 100, 0);
        capture.arp(t0 + 1, 30_000, true);
        capture.ipv6(t0 + 2, 0, false, UDP, "2001:db8::2", 443, "2001:db8::1", 50000, 1200);
        capture.ipv6(t0 + 2, 400_000, true, TCP, "2001:db8::1", 50001, "2001:db8::2", 80, 0);
        capture.ipv4(t0 + 1, 999_999, false, TCP, "93.184.216.34", 443, "10.0.0.2", 40000, 500, 0);
        capture.ipv4(t0 + 62, 0, true, TCP, "10.0.0.2", 40001, "93.184.216.34", 443, 1460, 96);
        capture.runt(t0 + 62, 500_000, false);
        capture.ipv4(t0 + 3603, 0, false, TCP, "93.184.216.34", 443, "10.0.0.2", 40001, 1000, 0);
        capture.arp(t0 + 3603, 1, false);
        return capture;
    }

    /** IPv4 with a TCP (20 B) or UDP (8 B) header and {@code payload} bytes; {@code snap} > 0 cuts the record. */
    void ipv4(final long second, final int micros, final boolean up, final int protocol, final String src,
        final int srcPort, final String dst, final int dstPort, final int payload, final int snap) {
        final int ipLength = 20 + transportHeader(protocol) + payload;
        final byte[] ip = Frames.ipv4(protocol, src, dst).id(frames.size())
            .payload(transport(protocol, srcPort, dstPort, payload)).build();
        add(second, micros, up, ETHERTYPE_IPV4, ip, ipLength, snap, flow(protocol, src, srcPort, dst, dstPort),
            Kind.IP);
    }

    /** IPv6 without extension headers; addresses given in RFC 5952 form, as reports print them. */
    void ipv6(final long second, final int micros, final boolean up, final int protocol, final String src,
        final int srcPort, final String dst, final int dstPort, final int payload) {
        final int ipLength = 40 + transportHeader(protocol) + payload;
        final byte[] ip = Frames.ipv6(protocol, src, dst).payload(transport(protocol, srcPort, dstPort, payload))
            .build();
        add(second, micros, up, ETHERTYPE_IPV6, ip, ipLength, 0, flow(protocol, src, srcPort, dst, dstPort),
            Kind.IP);
    }

    /** An ARP request (28 bytes, padded to the 60-byte minimum): non-IP. */
    void arp(final long second, final int micros, final boolean up) {
        add(second, micros, up, ETHERTYPE_ARP, arpRequest(up ? ROUTER : PEER, "10.0.0.2", "10.0.0.1"), 0, 0, null,
            Kind.NON_IP);
    }

    /** EtherType IPv4 with 10 zero bytes after it: too short for any IPv4 header, so unparsed. */
    void runt(final long second, final int micros, final boolean up) {
        add(second, micros, up, ETHERTYPE_IPV4, zeros(10), 0, 0, null, Kind.UNPARSED);
    }

    private static int transportHeader(final int protocol) {
        return protocol == TCP ? 20 : 8;
    }

    private static byte[] transport(final int protocol, final int srcPort, final int dstPort, final int payload) {
        return protocol == TCP ? tcp(srcPort, dstPort, payload) : udp(srcPort, dstPort, payload);
    }

    /** From the router: up (an ARP request to everyone); to it: down. Short frames are padded to 60 bytes. */
    private void add(final long second, final int micros, final boolean up, final int etherType, final byte[] payload,
        final int ipLength, final int snap, final String flow, final Kind kind) {
        final long destination = up ? (etherType == ETHERTYPE_ARP ? BROADCAST_MAC : PEER) : ROUTER;
        final byte[] frame = ethernetPadded(destination, up ? ROUTER : PEER, etherType, payload);
        final byte[] captured = snap > 0 ? truncate(frame, snap) : frame;
        frames.add(new Frame(second, micros, captured, frame.length, ipLength, up ? 0 : 1, flow, kind));
    }

    /** The savefile: little-endian pcap 2.4, microseconds, snap length 65535, LINKTYPE_ETHERNET. */
    byte[] pcap() {
        final PcapWriter pcap = new PcapWriter(PcapWriter.ETHERNET);
        frames.forEach(frame -> pcap.record(frame.second(), frame.micros(), frame.captured(), frame.length()));
        return pcap.bytes();
    }

    /** {packets, wireBytes, ipBytes} of one direction (0 up, 1 down, 2 unknown) over the whole capture. */
    long[] direction(final int direction) {
        final long[] sums = new long[3];
        frames.stream().filter(frame -> frame.direction() == direction).forEach(frame -> addTo(sums, frame));
        return sums;
    }

    /** {packets, wireBytes, ipBytes} by epoch second. */
    Map<Long, long[]> seconds() {
        final Map<Long, long[]> seconds = new TreeMap<>();
        frames.forEach(frame -> addTo(seconds.computeIfAbsent(frame.second(), t -> new long[3]), frame));
        return seconds;
    }

    /** {packets, wireBytes, ipBytes} by "proto src srcPort dst dstPort" (IP frames only). */
    Map<String, long[]> flows() {
        final Map<String, long[]> flows = new TreeMap<>();
        frames.stream().filter(frame -> frame.flow() != null)
            .forEach(frame -> addTo(flows.computeIfAbsent(frame.flow(), key -> new long[3]), frame));
        return flows;
    }

    /** {packets, wireBytes, 0} of the frames of one kind. */
    long[] kind(final Kind kind) {
        final long[] sums = new long[3];
        frames.stream().filter(frame -> frame.kind() == kind).forEach(frame -> addTo(sums, frame));
        return sums;
    }

    static String flow(final int protocol, final String src, final int srcPort, final String dst,
        final int dstPort) {
        return protocol + " " + src + " " + srcPort + " " + dst + " " + dstPort;
    }

    private static void addTo(final long[] sums, final Frame frame) {
        sums[0]++;
        sums[1] += frame.length();
        sums[2] += frame.ipLength();
    }
}
