package org.esimmeter.e2e;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import org.esimmeter.wire.Addresses;
import org.esimmeter.wire.BatchWriter;
import org.esimmeter.wire.Direction;
import org.esimmeter.wire.TrafficCounters;

/**
 * One batch of the crash test, agent {@code a} (index {@code k}) sequence {@code n}, and the usage it must show:
 * <pre>
 * wwan0 / esim-eu   seconds BASE + 4n + i, i = 0..3   UP   tcp 10.0.k.2:(1024+n) -> 93.184.216.34:443   (1 + (n+i) % 5) packets
 *                                                     DOWN tcp 93.184.216.34:443 -> 10.0.k.2:(1024+n)  (2 + (3n+i) % 7) packets
 * wwan1 / esim-home second  BASE + 4n                 UP   udp 10.0.k.2:(1024+n) -> 8.8.8.8:53         1 packet
 *                                                     DOWN udp 8.8.8.8:53 -> 10.0.k.2:(1024+n)         1 packet
 *                                                     DOWN one non-IP frame of 60 bytes
 * </pre>
 * Every batch owns its four seconds and its four flows (the source port is {@code 1024 + n}): one look at the
 * collector tells whether a batch is there entirely, not at all, or — what must never happen — in part.
 */
final class CrashBatch {
    static final long BASE = 1_700_000_000L;
    static final int SECONDS = 4;
    static final int MAX_SEQUENCE = 60_000;
    private static final int TCP = 6;
    private static final int UDP = 17;
    private static final int SERVER = 0x5DB8_D822; // 93.184.216.34
    private static final int RESOLVER = 0x0808_0808; // 8.8.8.8

    final String agent;
    final int k;
    final long n;

    CrashBatch(final String agent, final int k, final long n) {
        if (n < 1 || n > MAX_SEQUENCE) {
            throw new IllegalArgumentException("n : " + n + " (expected: 1.." + MAX_SEQUENCE + ")");
        }
        this.agent = agent;
        this.k = k;
        this.n = n;
    }

    private int client() {
        return 0x0A00_0002 | k << 8; // 10.0.k.2
    }

    private int port() {
        return (int) (1024 + n);
    }

    private long upPackets(final int i) {
        return 1 + (n + i) % 5;
    }

    private long downPackets(final int i) {
        return 2 + (3 * n + i) % 7;
    }

    /** The frame, encoded with the wire module's one encoder. */
    byte[] frame() {
        final ByteBuf buffer = Unpooled.buffer(1024);
        try {
            final BatchWriter writer = new BatchWriter().begin(buffer, agent, n);
            final TrafficCounters none = new TrafficCounters();
            for (int i = 0; i < SECONDS; i++) {
                final TrafficCounters total = new TrafficCounters();
                total.add(Direction.UP, upPackets(i), upPackets(i) * 140, upPackets(i) * 126);
                total.add(Direction.DOWN, downPackets(i), downPackets(i) * 1514, downPackets(i) * 1500);
                writer.second("wwan0", "esim-eu", BASE + SECONDS * n + i, total, none, none, none, 0, 0, 2);
                writer.flow(Direction.UP, 4, TCP, 0, v4(client()), port(), 0, v4(SERVER), 443, upPackets(i),
                    upPackets(i) * 140, upPackets(i) * 126);
                writer.flow(Direction.DOWN, 4, TCP, 0, v4(SERVER), 443, 0, v4(client()), port(), downPackets(i),
                    downPackets(i) * 1514, downPackets(i) * 1500);
            }
            final TrafficCounters total = new TrafficCounters();
            final TrafficCounters nonIp = new TrafficCounters();
            total.add(Direction.UP, 1, 74, 60);
            total.add(Direction.DOWN, 2, 90 + 60, 76);
            nonIp.add(Direction.DOWN, 1, 60, 0);
            writer.second("wwan1", "esim-home", BASE + SECONDS * n, total, nonIp, none, none, 0, 0, 2);
            writer.flow(Direction.UP, 4, UDP, 0, v4(client()), port(), 0, v4(RESOLVER), 53, 1, 74, 60);
            writer.flow(Direction.DOWN, 4, UDP, 0, v4(RESOLVER), 53, 0, v4(client()), port(), 1, 90, 76);
            writer.end();
            return ByteBufUtil.getBytes(buffer);
        } finally {
            buffer.release();
        }
    }

    /** "interface second" → "up=[p, w, i] down=[…] unknown=[…]", as {@link #seriesEntry} prints a point. */
    Map<String, String> series() {
        final Map<String, String> series = new TreeMap<>();
        for (int i = 0; i < SECONDS; i++) {
            series.put("wwan0 " + (BASE + SECONDS * n + i), counters(
                new long[] {upPackets(i), upPackets(i) * 140, upPackets(i) * 126},
                new long[] {downPackets(i), downPackets(i) * 1514, downPackets(i) * 1500}));
        }
        series.put("wwan1 " + (BASE + SECONDS * n), counters(new long[] {1, 74, 60}, new long[] {2, 150, 76}));
        return series;
    }

    /** "proto src srcPort dst dstPort direction" → {packets, wireBytes, ipBytes} over the batch. */
    Map<String, long[]> flows() {
        final long[] up = new long[3];
        final long[] down = new long[3];
        for (int i = 0; i < SECONDS; i++) {
            Usage.add(up, new long[] {upPackets(i), upPackets(i) * 140, upPackets(i) * 126});
            Usage.add(down, new long[] {downPackets(i), downPackets(i) * 1514, downPackets(i) * 1500});
        }
        final String client = Addresses.format(4, 0, v4(client()));
        final Map<String, long[]> flows = new TreeMap<>();
        flows.put(TestCapture.flow(TCP, client, port(), "93.184.216.34", 443) + " up", up);
        flows.put(TestCapture.flow(TCP, "93.184.216.34", 443, client, port()) + " down", down);
        flows.put(TestCapture.flow(UDP, client, port(), "8.8.8.8", 53) + " up", new long[] {1, 74, 60});
        flows.put(TestCapture.flow(UDP, "8.8.8.8", 53, client, port()) + " down", new long[] {1, 90, 76});
        return flows;
    }

    /** A point of {@code /v1/usage?by=interface} in the form of {@link #series}. */
    static Map.Entry<String, String> seriesEntry(final com.fasterxml.jackson.databind.JsonNode point) {
        return Map.entry(point.get("interface").asText() + " " + point.get("t").asLong(), counters(
            Usage.sums(point.get("up")), Usage.sums(point.get("down")), Usage.sums(point.get("unknown"))));
    }

    private static String counters(final long[] up, final long[] down) {
        return counters(up, down, new long[3]);
    }

    private static String counters(final long[] up, final long[] down, final long[] unknown) {
        return "up=" + Arrays.toString(up) + " down=" + Arrays.toString(down) + " unknown=" + Arrays.toString(unknown);
    }

    private static long v4(final int address) {
        return Addresses.IPV4_MAPPED_PREFIX | address & 0xFFFF_FFFFL;
    }

    @Override
    public String toString() {
        return agent + "#" + n;
    }
}
