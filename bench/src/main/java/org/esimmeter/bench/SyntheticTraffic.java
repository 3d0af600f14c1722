package org.esimmeter.bench;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/**
 * Deterministic Ethernet traffic of a cellular router's uplink: IPv4 and IPv6, TCP and UDP, connections that each
 * give an upload and a download flow, frame sizes as bulk transfers produce them (full-MTU downloads, ACK-sized
 * uploads, mixed UDP). The same seed gives the same frames, byte for byte, on every machine.
 * <p>
 * Flows are numbered: flow {@code 2c} is connection {@code c} upload (sent from {@link #ROUTER_MAC}), flow
 * {@code 2c + 1} its download. {@link #next} either picks a flow at random with a skew (a tenth of the connections
 * carry most packets, as on a real link) or, in round-robin mode, visits every flow in turn, so a capture of
 * {@code k * flows} packets has exactly {@code flows} flows with {@code k} packets each.
 */
public final class SyntheticTraffic {
    /** Locally administered MAC of the router's interface: frames from it are uploads. */
    public static final long ROUTER_MAC = 0x02_00_5E_10_00_01L;
    private static final long CARRIER_MAC = 0x02_00_5E_10_00_FEL;

    public static final int MAX_FRAME = 1514;
    private static final int ETHERNET = 14;
    private static final int IPV4 = 20;
    private static final int IPV6 = 40;
    /** TCP header with the timestamp option (NOP NOP TS), as Linux sends it. */
    private static final int TCP = 32;
    private static final int UDP = 8;
    private static final int PROTO_TCP = 6;
    private static final int PROTO_UDP = 17;

    private final SplittableRandom random;
    private final boolean roundRobin;
    private final long startNanos;
    private final long packetsPerSecond;
    private final int connections;
    private final boolean[] ipv6;
    private final boolean[] tcp;
    private final long[] clientHi;
    private final long[] clientLo;
    private final long[] serverHi;
    private final long[] serverLo;
    private final int[] clientPort;
    private final int[] serverPort;
    private long index;
    private int ipv4Id;
    private long timestampNanos;

    /**
     * @param flows            unidirectional flows (rounded up to even: two per connection)
     * @param startSecond      timestamp of the first frame
     * @param packetsPerSecond frames per second of packet time, evenly spaced
     * @param roundRobin       visit flows in turn instead of at random
     */
    public SyntheticTraffic(final long seed, final int flows, final long startSecond, final long packetsPerSecond,
        final boolean roundRobin) {
        if (flows < 2) {
            throw new IllegalArgumentException("flows : " + flows + " (expected: >= 2)");
        }
        if (packetsPerSecond < 1) {
            throw new IllegalArgumentException("packetsPerSecond : " + packetsPerSecond + " (expected: >= 1)");
        }
        this.random = new SplittableRandom(seed);
        this.roundRobin = roundRobin;
        this.startNanos = startSecond * 1_000_000_000L;
        this.packetsPerSecond = packetsPerSecond;
        this.connections = (flows + 1) / 2;
        ipv6 = new boolean[connections];
        tcp = new boolean[connections];
        clientHi = new long[connections];
        clientLo = new long[connections];
        serverHi = new long[connections];
        serverLo = new long[connections];
        clientPort = new int[connections];
        serverPort = new int[connections];
        for (int c = 0; c < connections; c++) {
            ipv6[c] = random.nextInt(100) < 35;
            tcp[c] = random.nextInt(100) < 75;
            if (ipv6[c]) {
                // Documentation prefix 2001:db8::/32: the router's /64 and servers spread over other /48s.
                clientHi[c] = 0x2001_0db8_0001_0000L;
                clientLo[c] = 0x0200_5eff_fe00_0000L | (c & 0xFF_FFFFL);
                serverHi[c] = 0x2001_0db8_8000_0000L | ((long) random.nextInt(1 << 16) << 16);
                serverLo[c] = random.nextLong();
            } else {
                // Carrier-grade NAT address for the router (100.64.0.0/10), servers in 198.18.0.0/15 (RFC 2544).
                clientLo[c] = 0x0000_FFFF_6440_0000L | (c & 0x3F_FFFFL);
                serverLo[c] = 0x0000_FFFF_C612_0000L | random.nextInt(1 << 17);
            }
            // Distinct client ports keep every connection a distinct 5-tuple even when addresses repeat.
            clientPort[c] = 1024 + (c % 64_000);
            if (tcp[c]) {
                serverPort[c] = random.nextInt(100) < 85 ? 443 : 80;
            } else {
                final int kind = random.nextInt(100);
                serverPort[c] = kind < 60 ? 443 : kind < 90 ? 53 : 123;
            }
        }
    }

    /** Flows this traffic spreads over. */
    public int flows() {
        return connections * 2;
    }

    /** Timestamp of the frame last written by {@link #next}, nanoseconds since the epoch. */
    public long timestampNanos() {
        return timestampNanos;
    }

    /**
     * Writes the next frame at {@code frame}'s position 0 (big-endian, as on the wire).
     *
     * @return the frame's length: captured and original length are equal
     */
    public int next(final ByteBuffer frame) {
        frame.order(ByteOrder.BIG_ENDIAN);
        timestampNanos = startNanos + index * 1_000_000_000L / packetsPerSecond;
        final int flow;
        if (roundRobin) {
            flow = (int) (index % (connections * 2L));
        } else {
            // A tenth of the connections carry four packets in five; downloads outnumber uploads 3:2.
            final int c = random.nextInt(100) < 80 ? random.nextInt(Math.max(1, connections / 10)) :
                random.nextInt(connections);
            flow = 2 * c + (random.nextInt(100) < 60 ? 1 : 0);
        }
        index++;
        final int c = flow >>> 1;
        final boolean upload = (flow & 1) == 0;
        final boolean v6 = ipv6[c];
        final boolean isTcp = tcp[c];
        final int headers = ETHERNET + (v6 ? IPV6 : IPV4) + (isTcp ? TCP : UDP);
        final int length = frameLength(isTcp, upload, headers);

        frame.putShort(0, (short) ((upload ? CARRIER_MAC : ROUTER_MAC) >>> 32));
        frame.putInt(2, (int) (upload ? CARRIER_MAC : ROUTER_MAC));
        frame.putShort(6, (short) ((upload ? ROUTER_MAC : CARRIER_MAC) >>> 32));
        frame.putInt(8, (int) (upload ? ROUTER_MAC : CARRIER_MAC));
        frame.putShort(12, (short) (v6 ? 0x86DD : 0x0800));
        final int ipLength = length - ETHERNET;
        final int transport;
        if (v6) {
            frame.putInt(14, 0x6000_0000);
            frame.putShort(18, (short) (ipLength - IPV6));
            frame.put(20, (byte) (isTcp ? PROTO_TCP : PROTO_UDP));
            frame.put(21, (byte) 64);
            frame.putLong(22, upload ? clientHi[c] : serverHi[c]);
            frame.putLong(30, upload ? clientLo[c] : serverLo[c]);
            frame.putLong(38, upload ? serverHi[c] : clientHi[c]);
            frame.putLong(46, upload ? serverLo[c] : clientLo[c]);
            transport = ETHERNET + IPV6;
        } else {
            frame.put(14, (byte) 0x45);
            frame.put(15, (byte) 0);
            frame.putShort(16, (short) ipLength);
            frame.putShort(18, (short) ipv4Id++);
            frame.putShort(20, (short) 0x4000);
            frame.put(22, (byte) 64);
            frame.put(23, (byte) (isTcp ? PROTO_TCP : PROTO_UDP));
            frame.putShort(24, (short) 0);
            frame.putInt(26, (int) (upload ? clientLo[c] : serverLo[c]));
            frame.putInt(30, (int) (upload ? serverLo[c] : clientLo[c]));
            frame.putShort(24, (short) ipv4Checksum(frame, 14));
            transport = ETHERNET + IPV4;
        }
        frame.putShort(transport, (short) (upload ? clientPort[c] : serverPort[c]));
        frame.putShort(transport + 2, (short) (upload ? serverPort[c] : clientPort[c]));
        if (isTcp) {
            frame.putInt(transport + 4, (int) index * 1448);
            frame.putInt(transport + 8, (int) index);
            frame.putShort(transport + 12, (short) 0x8010);
            frame.putShort(transport + 14, (short) 502);
            frame.putInt(transport + 16, 0);
            frame.putInt(transport + 20, 0x0101_080A);
            frame.putInt(transport + 24, (int) (timestampNanos / 1_000_000));
            frame.putInt(transport + 28, 0);
        } else {
            frame.putShort(transport + 4, (short) (length - transport));
            frame.putShort(transport + 6, (short) 0);
        }
        for (int i = headers; i < length; i++) {
            frame.put(i, (byte) 0);
        }
        return length;
    }

    private int frameLength(final boolean isTcp, final boolean upload, final int headers) {
        final int roll = random.nextInt(100);
        if (isTcp) {
            if (upload) {
                return roll < 85 ? headers : headers + random.nextInt(600);
            }
            return roll < 85 ? MAX_FRAME : headers + random.nextInt(MAX_FRAME - headers + 1);
        }
        return headers + 20 + random.nextInt(1300);
    }

    private static int ipv4Checksum(final ByteBuffer frame, final int offset) {
        int sum = 0;
        for (int i = 0; i < IPV4; i += 2) {
            sum += frame.getShort(offset + i) & 0xFFFF;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return ~sum & 0xFFFF;
    }
}
