package org.esimmeter.agent.label.service;

import static org.esimmeter.agent.label.service.Messages.A;
import static org.esimmeter.agent.label.service.Messages.CNAME;
import static org.esimmeter.agent.label.service.Messages.address;
import static org.esimmeter.agent.label.service.Messages.name;
import static org.esimmeter.agent.label.service.Messages.pointer;
import static org.esimmeter.agent.label.service.Messages.record;
import static org.esimmeter.agent.label.service.Messages.response;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.esimmeter.agent.corpus.PcapWalk;
import org.esimmeter.agent.corpus.SharedPcaps;
import org.esimmeter.agent.label.DhcpListener;
import org.junit.jupiter.api.Test;

/**
 * The three parsers and the learner over random bytes and over mutations of real messages (crafted ones and every
 * frame of the shared captures): none throws, none runs long, every name reported is printable ASCII. A fixed seed
 * makes a failure reproducible; the seed and case are in the message.
 */
class ParserFuzzTest {
    private static final long SEED = 0x5EED_0006L;
    private static final int RANDOM_CASES = 200_000;
    private static final int MUTATIONS_PER_SEED = 2_000;

    private static List<byte[]> seeds() throws IOException {
        final List<byte[]> seeds = new ArrayList<>();
        seeds.add(response(0, "www.shop.test", List.of(record(pointer(12), CNAME, 60, name("edge.cdn.test")),
            record(name("edge.cdn.test"), A, 20, address("203.0.113.7"))), List.of(), List.of()));
        seeds.add(Messages.jdkClientHello("fuzz.example.org"));
        seeds.add(Messages.dhcp(1, 0x0242AC110007L, "0.0.0.0", "0.0.0.0", Messages.option(12,
            "host".getBytes(java.nio.charset.StandardCharsets.US_ASCII))));
        return seeds;
    }

    private static void all(final byte[] bytes, final int offset, final int length, final NameLearner learner,
        final int linkType) {
        DnsAnswers.parse(bytes, offset, length, (version, hi, lo, name, ttl) -> assertPrintable(name));
        final String sni = TlsClientHello.serverName(bytes, offset, length);
        if (sni != null) {
            assertPrintable(sni);
        }
        DhcpMessage.parse(bytes, offset, length, (mac, ip, hostname) -> {
            if (hostname != null) {
                assertTrue(hostname.chars().allMatch(c -> c >= 0x20 && c < 0x7F), hostname);
            }
        });
        learner.onFrame(linkType, bytes, length, 0);
    }

    private static void assertPrintable(final String name) {
        assertTrue(!name.isEmpty() && name.chars().allMatch(c -> c > 0x20 && c < 0x7F), name);
    }

    @Test
    void shouldSurviveRandomBytes() {
        final NameLearner learner = new NameLearner(new ServiceNames(1024, 3600), DhcpListener.NONE, 4096);
        final SplittableRandom random = new SplittableRandom(SEED);
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            for (int i = 0; i < RANDOM_CASES; i++) {
                final byte[] bytes = new byte[random.nextInt(600)];
                random.nextBytes(bytes);
                // Plausible openings more often than chance gives them, so parsing goes deep.
                if (bytes.length > 6 && random.nextBoolean()) {
                    bytes[0] = 0x16;
                    bytes[1] = 3;
                    bytes[5] = 1;
                }
                final int offset = bytes.length == 0 ? 0 : random.nextInt(bytes.length);
                all(bytes, offset, bytes.length - offset, learner, random.nextBoolean() ? 1 : 101);
            }
        });
    }

    @Test
    void shouldSurviveMutatedMessagesAndCaptures() throws IOException {
        final List<byte[]> seeds = seeds();
        final List<Integer> linkTypes = new ArrayList<>(List.of(-1, -1, -1));
        final Path directory = SharedPcaps.directory().orElse(null);
        if (directory != null) {
            try (Stream<Path> files = Files.list(directory)) {
                for (final Path file : files.filter(f -> f.toString().endsWith(".pcap")).sorted().toList()) {
                    final PcapWalk walk = PcapWalk.read(file);
                    for (final PcapWalk.Record record : walk.records()) {
                        if (record.data().length <= 4096) {
                            seeds.add(record.data());
                            linkTypes.add(walk.linkType());
                        }
                    }
                }
            }
        }
        final NameLearner learner = new NameLearner(new ServiceNames(1024, 3600), DhcpListener.NONE, 4096);
        final SplittableRandom random = new SplittableRandom(SEED);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int s = 0; s < seeds.size(); s++) {
                final byte[] seed = seeds.get(s);
                final int rounds = s < 3 ? MUTATIONS_PER_SEED * 10 : MUTATIONS_PER_SEED / 20;
                for (int i = 0; i < rounds; i++) {
                    final byte[] bytes = mutate(seed, random);
                    final int linkType = linkTypes.get(s) < 0 ? 1 : linkTypes.get(s);
                    all(bytes, 0, bytes.length, learner, linkType);
                    if (linkTypes.get(s) >= 0) {
                        // A frame's payload starts somewhere inside it: try the parsers at every plausible start.
                        final int at = random.nextInt(Math.max(1, bytes.length));
                        all(bytes, at, bytes.length - at, learner, linkType);
                    }
                }
            }
        });
    }

    /** Flips bytes, sets lengths to extremes, cuts or extends: the damage a hostile or broken sender does. */
    private static byte[] mutate(final byte[] seed, final SplittableRandom random) {
        byte[] bytes = seed.clone();
        final int edits = 1 + random.nextInt(8);
        for (int e = 0; e < edits && bytes.length > 0; e++) {
            final int at = random.nextInt(bytes.length);
            switch (random.nextInt(5)) {
                case 0 -> bytes[at] = (byte) random.nextInt(256);
                case 1 -> bytes[at] = (byte) (random.nextBoolean() ? 0xFF : 0x00);
                case 2 -> bytes[at] = (byte) 0xC0; // a compression pointer's first byte
                case 3 -> bytes = java.util.Arrays.copyOf(bytes, random.nextInt(bytes.length + 1));
                default -> bytes = java.util.Arrays.copyOf(bytes, bytes.length + random.nextInt(64));
            }
        }
        return bytes;
    }
}
