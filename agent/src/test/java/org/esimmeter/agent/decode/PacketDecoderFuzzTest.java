package org.esimmeter.agent.decode;

import org.esimmeter.agent.frames.NativeFrames;
import org.esimmeter.wire.Direction;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.esimmeter.agent.decode.PacketDecoderTest.ipv4Tcp;
import static org.esimmeter.agent.decode.PacketDecoderTest.ipv6Udp;
import static org.esimmeter.agent.frames.Frames.cat;
import static org.esimmeter.agent.frames.Frames.ethernet;
import static org.esimmeter.agent.frames.Frames.extension;
import static org.esimmeter.agent.frames.Frames.fragment;
import static org.esimmeter.agent.frames.Frames.hex;
import static org.esimmeter.agent.frames.Frames.ipv4;
import static org.esimmeter.agent.frames.Frames.ipv6;
import static org.esimmeter.agent.frames.Frames.pppoeSession;
import static org.esimmeter.agent.frames.Frames.sll;
import static org.esimmeter.agent.frames.Frames.sll2;
import static org.esimmeter.agent.frames.Frames.tcp;
import static org.esimmeter.agent.frames.Frames.u32;
import static org.esimmeter.agent.frames.Frames.u32le;
import static org.esimmeter.agent.frames.Frames.udp;
import static org.esimmeter.agent.frames.Frames.vlanTag;
import static org.esimmeter.agent.frames.Frames.zeros;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Random frames and mutations of valid ones, for every link type. Two properties must hold for every input: the
 * decoder returns one of its three outcomes with self-consistent fields, and its answer depends only on the first
 * {@code capturedLength} bytes. The second is checked by decoding each frame twice, with everything after the
 * captured bytes set to 0x00 and then to 0xFF: any read past the end would show up as a difference.
 */
class PacketDecoderFuzzTest {
    private static final long SEED = 0x5EED_E51AL;
    private static final int ITERATIONS = 200_000;
    private static final int[] SUPPORTED = {0, 1, 9, 12, 14, 50, 51, 101, 108, 113, 228, 229, 276};
    private static final int[] UNSUPPORTED = {2, 6, 10, 105, 127, 147, 227, 230, 275, 277};
    /** Bytes that steer a decoder: EtherType halves, PPP protocols, address families, versions, next headers. */
    private static final int[] INTERESTING = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x08, 0x0A, 0x11, 0x18, 0x1C,
        0x1E, 0x21, 0x29, 0x2B, 0x2C, 0x2F, 0x33, 0x3A, 0x3B, 0x3C, 0x40, 0x45, 0x46, 0x4F, 0x57, 0x60, 0x64, 0x7F,
        0x80, 0x81, 0x86, 0x87, 0x88, 0x8B, 0x8C, 0x91, 0xA8, 0xC0, 0xDD, 0xFE, 0xFF};

    private final NativeFrames frame = NativeFrames.slot(1024);
    private final PacketDecoder decoder = new PacketDecoder();
    private final DecodedPacket packet = new DecodedPacket();

    record Seed(int linkType, byte[] frame) {
    }

    /** Valid frames of every link type and header case; the mutations start from these. */
    static List<Seed> seeds() {
        final String mac = "02:11:22:33:44:55";
        final String peer = "02:aa:bb:cc:dd:ee";
        final byte[] v4 = ipv4Tcp();
        final byte[] v6 = ipv6Udp();
        final byte[] v4Options = ipv4(17, "10.0.0.1", "198.51.100.7").options(hex("94 04 00 00 01 01 01 00"))
            .payload(udp(1, 2, zeros(4))).build();
        final byte[] v4First = ipv4(17, "10.0.0.1", "198.51.100.7").fragment(0, true).payload(udp(1, 2, zeros(16)))
            .build();
        final byte[] v4Later = ipv4(17, "10.0.0.1", "198.51.100.7").fragment(3, false).payload(zeros(16)).build();
        final byte[] v6Chain = ipv6(0, "2001:db8::1", "2001:db8::2").payload(extension(43, 0), extension(60, 1),
            extension(51, 0), hex("2c 02 00 00 00 00 01 00 00 00 00 01"), fragment(6, 0, true, 99), tcp(3, 4))
            .build();
        final byte[] v6Later = ipv6(44, "2001:db8::1", "2001:db8::2").payload(fragment(17, 9, true, 5), zeros(16))
            .build();
        final byte[] gre = ipv4(47, "10.0.0.1", "198.51.100.7").payload(hex("00 00 86 dd"), v6).build();
        final List<Seed> seeds = new ArrayList<>();
        for (final byte[] ip : new byte[][] {v4, v6, v4Options, v4First, v4Later, v6Chain, v6Later, gre}) {
            final boolean isV6 = (ip[0] >>> 4) == 6;
            final int etherType = isV6 ? 0x86DD : 0x0800;
            seeds.add(new Seed(1, cat(ethernet(peer, mac, etherType), ip)));
            seeds.add(new Seed(101, ip));
            seeds.add(new Seed(isV6 ? 229 : 228, ip));
            seeds.add(new Seed(113, cat(sll(4, etherType), ip)));
            seeds.add(new Seed(276, cat(sll2(etherType, 3, 0), ip)));
            seeds.add(new Seed(0, cat(u32le(isV6 ? 30 : 2), ip)));
            seeds.add(new Seed(108, cat(u32(isV6 ? 24 : 2), ip)));
            seeds.add(new Seed(9, cat(hex(isV6 ? "ff 03 00 57" : "ff 03 00 21"), ip)));
            seeds.add(new Seed(50, cat(hex(isV6 ? "57" : "21"), ip)));
            seeds.add(new Seed(51, cat(pppoeSession(1, isV6 ? 0x57 : 0x21, ip.length), ip)));
            seeds.add(new Seed(1, cat(ethernet(peer, mac, 0x88A8), vlanTag(1, 0x8100), vlanTag(2, 0x8864),
                pppoeSession(1, isV6 ? 0x57 : 0x21, ip.length), ip)));
        }
        seeds.add(new Seed(1, cat(ethernet("ff:ff:ff:ff:ff:ff", mac, 0x0806), hex("0001 0800 06 04 0001"), zeros(20))));
        return seeds;
    }

    @Test
    void shouldNeverThrowNorReadPastTheCapturedLength() {
        final List<Seed> seeds = seeds();
        final SplittableRandom random = new SplittableRandom(SEED);
        final long[] outcomes = new long[3];
        long withPorts = 0;
        for (int i = 0; i < ITERATIONS; i++) {
            final int linkType;
            final byte[] bytes;
            final int choice = random.nextInt(16);
            if (choice == 0) {
                linkType = random.nextInt(50) == 0 ? pick(random, UNSUPPORTED) : pick(random, SUPPORTED);
                bytes = new byte[random.nextInt(160)];
                random.nextBytes(bytes);
            } else {
                final Seed seed = seeds.get(random.nextInt(seeds.size()));
                linkType = choice == 1 ? pick(random, SUPPORTED) : seed.linkType();
                bytes = seed.frame().clone();
                mutate(random, bytes);
            }
            final int captured = random.nextInt(3) == 0 ? random.nextInt(bytes.length + 1) : bytes.length;

            final Outcome zeros = decode(linkType, bytes, captured, 0x00);
            final Outcome ones = decode(linkType, bytes, captured, 0xFF);
            if (!zeros.equals(ones)) {
                fail("answer depends on bytes past capturedLength " + captured + " (DLT " + linkType + ", frame "
                    + toHex(bytes, captured) + "): after 0x00 " + zeros + ", after 0xFF " + ones);
            }
            checkInvariants(linkType, captured, zeros, bytes);
            outcomes[zeros.status()]++;
            if (zeros.srcPort() != 0 || zeros.dstPort() != 0) {
                withPorts++;
            }
        }
        // The inputs must reach every outcome, or the properties above were tested on too little.
        final long enough = ITERATIONS / 20;
        assertTrue(outcomes[PacketDecoder.IP] > enough, () -> "IP outcomes " + outcomes[PacketDecoder.IP]);
        assertTrue(outcomes[PacketDecoder.NON_IP] > enough / 4, () -> "NON_IP outcomes " + outcomes[1]);
        assertTrue(outcomes[PacketDecoder.UNPARSED] > enough, () -> "UNPARSED outcomes " + outcomes[2]);
        assertTrue(withPorts > enough, "IP outcomes with ports " + withPorts);
    }

    private static int pick(final SplittableRandom random, final int[] values) {
        return values[random.nextInt(values.length)];
    }

    private static void mutate(final SplittableRandom random, final byte[] bytes) {
        if (bytes.length == 0) {
            return;
        }
        final int mutations = 1 + random.nextInt(4);
        for (int m = 0; m < mutations; m++) {
            // Headers live in the first 100 bytes; mutate there mostly.
            final int at = random.nextInt(Math.min(bytes.length, random.nextBoolean() ? 100 : bytes.length));
            switch (random.nextInt(3)) {
                case 0:
                    bytes[at] = (byte) random.nextInt(256);
                    break;
                case 1:
                    bytes[at] = (byte) pick(random, INTERESTING);
                    break;
                default:
                    bytes[at] ^= (byte) (1 << random.nextInt(8));
                    break;
            }
        }
    }

    private Outcome decode(final int linkType, final byte[] bytes, final int captured, final int filler) {
        frame.put(bytes, captured, filler);
        final int status = decoder.decode(linkType, frame.address(0), captured, packet);
        return Outcome.of(status, packet);
    }

    private static void checkInvariants(final int linkType, final int captured, final Outcome o, final byte[] bytes) {
        final String at = "DLT " + linkType + ", captured " + captured + ", frame " + toHex(bytes, captured) + ": " + o;
        final boolean ports = o.srcPort() != 0 || o.dstPort() != 0;
        switch (o.status()) {
            case PacketDecoder.IP: {
                final int fixed = o.ipVersion() == 4 ? 20 : 40;
                check(o.ipVersion() == 4 || o.ipVersion() == 6, "ipVersion", at);
                check(o.unparsedReason() == UnparsedReason.NONE, "no reason", at);
                check(o.networkOffset() >= 0 && o.networkOffset() + fixed <= captured, "IP header captured", at);
                check(o.protocol() >= 0 && o.protocol() <= 255, "protocol", at);
                check(!ports || o.protocol() == 6 || o.protocol() == 17, "ports only for TCP/UDP", at);
                check(!ports || o.fragment() != DecodedPacket.LATER_FRAGMENT, "no ports in later fragments", at);
                check(o.fragment() >= 0 && o.fragment() <= 2, "fragment state", at);
                check(o.fragment() != DecodedPacket.NOT_FRAGMENT || o.fragmentId() == 0, "no id when whole", at);
                if (o.ipVersion() == 4) {
                    check(o.srcHi() == 0 && o.dstHi() == 0, "IPv4-mapped high half", at);
                    check(o.srcLo() >>> 32 == 0xFFFF && o.dstLo() >>> 32 == 0xFFFF, "::ffff: prefix", at);
                    check(o.ipLength() >= 20 && o.ipLength() <= 0xFFFF, "IPv4 length", at);
                    check(o.fragmentId() <= 0xFFFF, "16-bit IPv4 id", at);
                } else {
                    check(o.ipLength() >= 40 && o.ipLength() <= 40 + 0xFFFF, "IPv6 length", at);
                }
                break;
            }
            case PacketDecoder.NON_IP:
                check(o.ipVersion() == 0 && o.networkOffset() == -1 && !ports && o.ipLength() == 0, "no IP", at);
                check(o.unparsedReason() == UnparsedReason.NONE, "no reason", at);
                break;
            case PacketDecoder.UNPARSED:
                check(o.ipVersion() == 0 && !ports && o.ipLength() == 0, "no IP", at);
                check(o.unparsedReason() > UnparsedReason.NONE && o.unparsedReason() < UnparsedReason.COUNT,
                    "reason", at);
                check((o.unparsedReason() == UnparsedReason.UNSUPPORTED_LINK) == !LinkType.isSupported(linkType),
                    "unsupported exactly when the link type is unknown", at);
                break;
            default:
                fail("status " + o.status() + " — " + at);
        }
        check((o.sourceMac() != -1) == (linkType == 1 && captured >= 14), "source MAC only from Ethernet", at);
        final boolean cooked = (linkType == 113 && captured >= 16) || (linkType == 276 && captured >= 20);
        check((o.direction() != Direction.UNKNOWN) == cooked, "direction only from cooked headers", at);
        check(linkType == 276 || o.ifIndex() == 0, "ifIndex only from LINUX_SLL2", at);
    }

    private static void check(final boolean condition, final String what, final String at) {
        if (!condition) {
            fail(what + " — " + at);
        }
    }

    private static String toHex(final byte[] bytes, final int length) {
        final StringBuilder hex = new StringBuilder(length * 2);
        for (int i = 0; i < length; i++) {
            hex.append(String.format("%02x", bytes[i] & 0xFF));
        }
        return hex.toString();
    }

    /** Every field of the decoder's answer. */
    record Outcome(int status, int ipVersion, int protocol, long srcHi, long srcLo, long dstHi, long dstLo, int srcPort,
                   int dstPort, int ipLength, int direction, long sourceMac, int ifIndex, int fragment, long fragmentId,
                   int networkOffset, int unparsedReason) {
        static Outcome of(final int status, final DecodedPacket p) {
            return new Outcome(status, p.ipVersion(), p.protocol(), p.srcHi(), p.srcLo(), p.dstHi(), p.dstLo(),
                p.srcPort(), p.dstPort(), p.ipLength(), p.linkDirection(), p.sourceMac(), p.ifIndex(), p.fragment(),
                p.fragmentId(), p.networkOffset(), p.unparsedReason());
        }
    }
}
