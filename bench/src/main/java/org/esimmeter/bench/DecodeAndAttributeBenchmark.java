package org.esimmeter.bench;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.esimmeter.agent.decode.DecodedPacket;
import org.esimmeter.agent.decode.PacketDecoder;
import org.esimmeter.agent.meter.DirectionRule;
import org.esimmeter.agent.meter.FlowTable;
import org.esimmeter.agent.meter.FragmentPorts;
import org.esimmeter.agent.meter.InterfaceMeter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The capture thread's work per packet without libpcap: {@link PacketDecoder#decode} over a frame in direct memory,
 * {@link DirectionRule#resolve}, {@link InterfaceMeter#account} into the per-second flow table, and sealing each
 * second into a sink that reads every flow. One operation is one packet, so the score is packets per second on
 * one core and {@code gc.alloc.rate.norm} (with {@code -prof gc}) is bytes allocated per packet.
 * <p>
 * Corpora: {@code synthetic} (generated Ethernet IPv4/IPv6 TCP/UDP over 10,000 flows, 100,000 frames per second of
 * packet time, so a second seals about every 65,536 packets) and {@code captures} (every frame of the shared real
 * captures, all link types, repeated; needs {@code ../shared/pcaps}, see {@link Corpus#findCaptures}).
 * <pre>
 * java -jar bench/target/benchmarks.jar DecodeAndAttribute -prof gc
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class DecodeAndAttributeBenchmark {
    /** Packets per invocation; the JMH score counts packets. */
    public static final int PACKETS = 1 << 16;
    static final int SYNTHETIC_FLOWS = 10_000;
    static final long SYNTHETIC_PACKETS_PER_SECOND = 100_000;

    @Param({"synthetic", "captures"})
    public String corpus;

    /** Bytes of each frame kept, as libpcap's snaplen: the agent's default is 128; 262144 keeps whole frames. */
    @Param({"128"})
    public int snaplen;

    private Corpus frames;
    private final PacketDecoder decoder = new PacketDecoder();
    private final DecodedPacket packet = new DecodedPacket();
    private final DirectionRule rule = DirectionRule.ownMac(SyntheticTraffic.ROUTER_MAC);
    private SummingSink sink;
    private InterfaceMeter meter;
    /** Added to every packet's second; moves on by the corpus span each invocation, as time does on a link. */
    private long secondBase;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        if ("synthetic".equals(corpus)) {
            frames = Corpus.synthetic(PACKETS, SYNTHETIC_FLOWS, SYNTHETIC_PACKETS_PER_SECOND, 42, snaplen);
        } else if ("captures".equals(corpus)) {
            final Path directory = Corpus.findCaptures();
            if (directory == null) {
                throw new IllegalStateException("no shared/pcaps found above " + Path.of("").toAbsolutePath() +
                    " (set -Desimmeter.pcaps=DIR, or run -p corpus=synthetic)");
            }
            frames = Corpus.captures(PACKETS, directory, snaplen);
        } else {
            throw new IllegalArgumentException("corpus : " + corpus + " (expected: synthetic or captures)");
        }
        System.out.println("# corpus " + frames.description);
        sink = new SummingSink();
        // The same sizes as `replay` and a live interface use.
        meter = new InterfaceMeter("bench0", "bench", new FlowTable(4096, 1 << 20), new FragmentPorts(4096), sink);
        secondBase = 0;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        meter.seal();
        System.out.printf("# sealed %d seconds, %d flow-seconds, %d packets, %d wire bytes; all added up%n",
            sink.seconds(), sink.flows(), sink.packets(), sink.wireBytes());
        frames.free();
    }

    @Benchmark
    @OperationsPerInvocation(PACKETS)
    public long decodeAndAttribute() {
        final Corpus frames = this.frames;
        final int[] linkTypes = frames.linkTypes;
        final long[] addresses = frames.addresses;
        final int[] capturedLengths = frames.capturedLengths;
        final int[] wireLengths = frames.wireLengths;
        final long[] seconds = frames.seconds;
        final long base = secondBase;
        for (int i = 0; i < PACKETS; i++) {
            final int status = decoder.decode(linkTypes[i], addresses[i], capturedLengths[i], packet);
            meter.account(base + seconds[i], wireLengths[i], status, packet, rule.resolve(packet));
        }
        secondBase = base + frames.spanSeconds;
        return sink.packets();
    }
}
