package org.esimmeter.e2e;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A small Ethernet pcap written byte by byte, and what a replay of it must report, worked out from the frames
 * themselves (not from the agent): so the end-to-end test keeps a meaning without the shared corpus.
 * <p>
 * Direction comes from MAC addresses (replay with {@code --router-mac} {@value #ROUTER_MAC}): a frame from the
 * router is up, a frame to it is down. Wire bytes are the original frame length (pcap {@code len}), IP bytes the
 * IPv4 total length or 40 + the IPv6 payload length; non-IP and unparsed frames count packets and wire bytes only,
 * and belong to no flow.
 */
final class TestCapture {
    static final String ROUTER_MAC = "02:00:00:00:00:01";
    static final String[] DIRECTIONS = {"up", "down", "unknown"};
    private static final byte[] ROUTER = {2, 0, 0, 0, 0, 1};
    private static final byte[] PEER = {2, 0, 0, 0, 0, 2};
    private static final byte[] BROADCAST = {-1, -1, -1, -1, -1, -1};
    private static final int ETHERTYPE_IPV4 = 0x0800;
    private static final int ETHERTYPE_IPV6 = 0x86DD;
    private static final int ETHERTYPE_ARP = 0x0806;
    private static final int ETHERNET_HEADER = 14;
    private static final int MIN_FRAME = 60;
    static final int TCP = 6;
    static final int UDP = 17;

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
        final int transport = protocol == TCP ? 20 : 8;
        final int ipLength = 20 + transport + payload;
        final ByteBuffer ip = ByteBuffer.allocate(ipLength);
        ip.put((byte) 0x45).put((byte) 0).putShort((short) ipLength).putShort((short) frames.size())
            .putShort((short) 0x4000).put((byte) 64).put((byte) protocol).putShort((short) 0)
            .put(address(src)).put(address(dst));
        ip.putShort(10, checksum(ip.array(), 0, 20));
        transport(ip, protocol, srcPort, dstPort, transport + payload);
        add(second, micros, up, ETHERTYPE_IPV4, ip.array(), ipLength, snap,
            flow(protocol, src, srcPort, dst, dstPort), Kind.IP);
    }

    /** IPv6 without extension headers; addresses given in RFC 5952 form, as reports print them. */
    void ipv6(final long second, final int micros, final boolean up, final int protocol, final String src,
        final int srcPort, final String dst, final int dstPort, final int payload) {
        final int transport = protocol == TCP ? 20 : 8;
        final int payloadLength = transport + payload;
        final ByteBuffer ip = ByteBuffer.allocate(40 + payloadLength);
        ip.putInt(0x6000_0000).putShort((short) payloadLength).put((byte) protocol).put((byte) 64)
            .put(address(src)).put(address(dst));
        transport(ip, protocol, srcPort, dstPort, payloadLength);
        add(second, micros, up, ETHERTYPE_IPV6, ip.array(), 40 + payloadLength, 0,
            flow(protocol, src, srcPort, dst, dstPort), Kind.IP);
    }

    /** An ARP request (28 bytes, padded to the 60-byte minimum): non-IP. */
    void arp(final long second, final int micros, final boolean up) {
        final ByteBuffer arp = ByteBuffer.allocate(28);
        arp.putShort((short) 1).putShort((short) ETHERTYPE_IPV4).put((byte) 6).put((byte) 4).putShort((short) 1)
            .put(up ? ROUTER : PEER).put(address("10.0.0.2")).put(new byte[6]).put(address("10.0.0.1"));
        add(second, micros, up, ETHERTYPE_ARP, arp.array(), 0, 0, null, Kind.NON_IP);
    }

    /** EtherType IPv4 with 10 zero bytes after it: too short for any IPv4 header, so unparsed. */
    void runt(final long second, final int micros, final boolean up) {
        add(second, micros, up, ETHERTYPE_IPV4, new byte[10], 0, 0, null, Kind.UNPARSED);
    }

    private static void transport(final ByteBuffer ip, final int protocol, final int srcPort, final int dstPort,
        final int length) {
        ip.putShort((short) srcPort).putShort((short) dstPort);
        if (protocol == TCP) {
            ip.putInt(1).putInt(0).put((byte) 0x50).put((byte) 0x18).putShort((short) 65535).putInt(0);
        } else {
            ip.putShort((short) length).putShort((short) 0);
        }
    }

    private void add(final long second, final int micros, final boolean up, final int etherType, final byte[] payload,
        final int ipLength, final int snap, final String flow, final Kind kind) {
        final int unpadded = ETHERNET_HEADER + payload.length;
        final byte[] frame = new byte[Math.max(MIN_FRAME, unpadded)];
        ByteBuffer.wrap(frame).put(up ? (etherType == ETHERTYPE_ARP ? BROADCAST : PEER) : ROUTER)
            .put(up ? ROUTER : PEER).putShort((short) etherType).put(payload);
        final byte[] captured = snap > 0 ? Arrays.copyOf(frame, snap) : frame;
        frames.add(new Frame(second, micros, captured, frame.length, ipLength, up ? 0 : 1, flow, kind));
    }

    /** The savefile: little-endian pcap 2.4, microseconds, snap length 65535, LINKTYPE_ETHERNET. */
    byte[] pcap() {
        final int size = 24 + frames.stream().mapToInt(frame -> 16 + frame.captured().length).sum();
        final ByteBuffer pcap = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        pcap.putInt(0xA1B2C3D4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(65535).putInt(1);
        for (final Frame frame : frames) {
            pcap.putInt((int) frame.second()).putInt(frame.micros()).putInt(frame.captured().length)
                .putInt(frame.length()).put(frame.captured());
        }
        return pcap.array();
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

    private static byte[] address(final String text) {
        try {
            return InetAddress.getByName(text).getAddress();
        } catch (final UnknownHostException e) {
            throw new IllegalArgumentException(text, e);
        }
    }

    private static short checksum(final byte[] bytes, final int offset, final int length) {
        long sum = 0;
        for (int i = offset; i < offset + length; i += 2) {
            sum += (bytes[i] & 0xFF) << 8 | bytes[i + 1] & 0xFF;
        }
        while (sum >>> 16 != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (short) ~sum;
    }
}
