package org.esimmeter.bench.collector;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.esimmeter.wire.Addresses;
import org.esimmeter.wire.BatchWriter;
import org.esimmeter.wire.Device;
import org.esimmeter.wire.Direction;
import org.esimmeter.wire.TrafficCounters;
import org.esimmeter.wire.WireFormat;

/**
 * The simulated fleet: agent ids, their tokens, the collector configuration that admits them, and the wire frames
 * they send. Agent {@code i} is {@code agent-NNN} on interface {@code wwan0} with eSIM profile
 * {@code profile-(i % 5)}; each second it has {@code flows} flows (the same 5-tuples every second, so the
 * collector's flow dictionary stays warm, as for long-lived connections), half up, half down.
 */
final class Fleet {
    static final String INTERFACE = "wwan0";
    static final String NETWORK = "23415";
    static final int PROFILES = 5;

    private Fleet() {
    }

    static String agent(final int index) {
        return String.format("agent-%03d", index);
    }

    static String profile(final int agentIndex) {
        return "profile-" + agentIndex % PROFILES;
    }

    /** At least 16 visible characters, as the collector requires; loopback only, so a fixed pattern will do. */
    static String token(final int index) {
        return "bench-token-" + agent(index) + "-0123456789";
    }

    static String authorization(final int index) {
        return "Bearer " + token(index);
    }

    /**
     * A collector configuration on a loopback ephemeral port with {@code agents} agents; {@code workerThreads} 0
     * keeps the collector's default.
     */
    static void writeConfig(final Path file, final Path dataDirectory, final int agents, final int workerThreads)
        throws IOException {
        final StringBuilder yaml = new StringBuilder()
            .append("listen:\n  address: 127.0.0.1\n  port: 0\n")
            .append("dataDirectory: ").append(dataDirectory.toAbsolutePath()).append('\n')
            .append("maxBatchBytes: 67108864\n");
        if (workerThreads > 0) {
            yaml.append("workerThreads: ").append(workerThreads).append('\n');
        }
        yaml.append("agents:\n");
        for (int i = 0; i < agents; i++) {
            yaml.append("  ").append(agent(i)).append(":\n    token: \"").append(token(i)).append("\"\n");
        }
        Files.writeString(file, yaml.toString(), StandardCharsets.UTF_8);
    }

    /** Encodes frames of one agent into one reused buffer; one instance per sending thread. */
    static final class FrameEncoder {
        private final BatchWriter writer = new BatchWriter();
        private final ByteBuf buffer = Unpooled.buffer(1 << 16);
        private final TrafficCounters total = new TrafficCounters();
        private final TrafficCounters empty = new TrafficCounters();
        private final int agentIndex;
        private final String agentId;
        private final String profile;
        private final int flows;
        // As an agent of today labels them: 5 devices on the router's LAN, 20 services, one serving network; with
        // -Desimmeter.bench.context=false, plain frames as agents sent before flag CONTEXT (the reference).
        private static final boolean CONTEXT =
            Boolean.parseBoolean(System.getProperty("esimmeter.bench.context", "true"));
        private final Device[] devices = new Device[5];
        private final String[] services = new String[20];

        FrameEncoder(final int agentIndex, final int flows) {
            this.agentIndex = agentIndex;
            this.agentId = agent(agentIndex);
            this.profile = profile(agentIndex);
            this.flows = flows;
            for (int d = 0; d < devices.length; d++) {
                devices[d] = new Device(String.format("02:00:00:%02x:%02x:%02x", agentIndex >> 8 & 0xFF,
                    agentIndex & 0xFF, d), "192.168.8." + (10 + d), "device-" + d);
            }
            for (int i = 0; i < services.length; i++) {
                services[i] = "service-" + i + ".example.com";
            }
        }

        /** The frame of seconds {@code [firstSecond, firstSecond + seconds)} as a fresh array (HttpClient's body). */
        byte[] frame(final long sequence, final long firstSecond, final int seconds) {
            buffer.clear();
            writer.begin(buffer, agentId, sequence, CONTEXT ? WireFormat.FLAG_CONTEXT : 0);
            for (int s = 0; s < seconds; s++) {
                final long epochSecond = firstSecond + s;
                total.clear();
                for (int f = 0; f < flows; f++) {
                    final long bytes = bytes(f, epochSecond);
                    total.add(f % 2 == 0 ? Direction.UP : Direction.DOWN, 1, bytes, bytes - 14);
                }
                writer.second(INTERFACE, profile, epochSecond, 1, CONTEXT ? NETWORK : "", total, empty, empty, empty,
                    null, flows, 0, flows);
                for (int f = 0; f < flows; f++) {
                    final long bytes = bytes(f, epochSecond);
                    writer.flow(f % 2 == 0 ? Direction.UP : Direction.DOWN, 4, 6,
                        0, Addresses.IPV4_MAPPED_PREFIX | 0x0A000000L | agentIndex, 30_000 + f,
                        0, Addresses.IPV4_MAPPED_PREFIX | 0x5DB80000L | f, 443,
                        1, bytes, bytes - 14, CONTEXT ? devices[f % devices.length] : null, false,
                        CONTEXT ? services[f % services.length] : null);
                }
            }
            writer.end();
            final byte[] frame = new byte[buffer.readableBytes()];
            buffer.getBytes(buffer.readerIndex(), frame);
            return frame;
        }

        private static long bytes(final int flow, final long epochSecond) {
            return 60 + (flow * 37L + epochSecond) % 1400;
        }
    }
}
