package org.esimmeter.bench;

import io.netty.util.internal.PlatformDependent;
import java.io.EOFException;
import java.io.File;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.esimmeter.agent.decode.LinkType;
import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.Pcaps;

/**
 * Frames laid out back to back in direct memory, as libpcap hands them to the agent, with what the pcap record
 * header says of each: link type, captured length, original length and second. Built once per benchmark trial;
 * {@link #free} returns the memory. Frames are cut to a snaplen as libpcap cuts them: the agent captures 128 bytes
 * by default, so that is what sits in the ring, and what the decoder's cache misses are made of.
 * <p>
 * The corpus always has {@code size} entries: a smaller set of frames (the real captures) is repeated, each
 * repetition later in time, so every benchmark invocation meters the same number of packets.
 */
final class Corpus {
    final int size;
    final int[] linkTypes;
    final long[] addresses;
    final int[] capturedLengths;
    final int[] wireLengths;
    final long[] seconds;
    /** Seconds between the first and last entry, plus one: the shift that makes a replay of the corpus later. */
    final long spanSeconds;
    /** Distinct frames behind the entries (before repetition). */
    final int frames;
    final String description;
    private final long memory;

    private Corpus(final int size, final List<Frame> frames, final String description, final int snaplen) {
        this.size = size;
        this.frames = frames.size();
        this.description = description;
        linkTypes = new int[size];
        addresses = new long[size];
        capturedLengths = new int[size];
        wireLengths = new int[size];
        seconds = new long[size];
        long bytes = 0;
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        for (final Frame frame : frames) {
            bytes += Math.min(snaplen, frame.data.length);
            first = Math.min(first, frame.second);
            last = Math.max(last, frame.second);
        }
        final long frameSpan = last - first + 1;
        memory = PlatformDependent.allocateMemory(Math.max(1, bytes));
        final long[] frameAddresses = new long[frames.size()];
        long cursor = memory;
        for (int i = 0; i < frames.size(); i++) {
            final byte[] data = frames.get(i).data;
            final int captured = Math.min(snaplen, data.length);
            PlatformDependent.copyMemory(data, 0, cursor, captured);
            frameAddresses[i] = cursor;
            cursor += captured;
        }
        for (int i = 0; i < size; i++) {
            final int f = i % frames.size();
            final Frame frame = frames.get(f);
            linkTypes[i] = frame.linkType;
            addresses[i] = frameAddresses[f];
            capturedLengths[i] = Math.min(snaplen, frame.data.length);
            wireLengths[i] = frame.wireLength;
            // Each repetition of a small corpus is moved past the previous one, so time only moves forward.
            seconds[i] = frame.second - first + (long) (i / frames.size()) * frameSpan;
        }
        spanSeconds = seconds[size - 1] - seconds[0] + 1;
    }

    void free() {
        PlatformDependent.freeMemory(memory);
    }

    /** Generated Ethernet traffic: IPv4/IPv6, TCP/UDP, {@code flows} flows, {@code packetsPerSecond} frames/s. */
    static Corpus synthetic(final int size, final int flows, final long packetsPerSecond, final long seed,
        final int snaplen) {
        final SyntheticTraffic traffic = new SyntheticTraffic(seed, flows, GeneratePcap.START_SECOND,
            packetsPerSecond, false);
        final ByteBuffer buffer = ByteBuffer.allocate(SyntheticTraffic.MAX_FRAME);
        final List<Frame> frames = new ArrayList<>(size);
        long bytes = 0;
        for (int i = 0; i < size; i++) {
            final int length = traffic.next(buffer);
            frames.add(new Frame(LinkType.EN10MB, Arrays.copyOf(buffer.array(), length), length,
                traffic.timestampNanos() / 1_000_000_000L));
            bytes += length;
        }
        return new Corpus(size, frames, String.format("synthetic: %d frames, %d flows, %d wire B, %d frames/s, " +
            "snaplen %d", size, traffic.flows(), bytes, packetsPerSecond, snaplen), snaplen);
    }

    /** Every frame libpcap can read from every capture in {@code directory}, in file-name order. */
    static Corpus captures(final int size, final Path directory, final int snaplen)
        throws PcapNativeException, NotOpenException {
        final File[] files = directory.toFile().listFiles((dir, name) -> name.endsWith(".pcap") ||
            name.endsWith(".pcapng"));
        if (files == null || files.length == 0) {
            throw new IllegalStateException(directory + " : no .pcap or .pcapng files");
        }
        Arrays.sort(files);
        final List<Frame> frames = new ArrayList<>();
        long bytes = 0;
        for (final File file : files) {
            final PcapHandle handle = Pcaps.openOffline(file.getPath());
            try {
                final int linkType = handle.getDlt().value();
                if (!LinkType.isSupported(linkType)) {
                    continue;
                }
                while (true) {
                    final byte[] data;
                    try {
                        data = handle.getNextRawPacketEx();
                    } catch (final EOFException e) {
                        break;
                    } catch (final TimeoutException e) {
                        continue;
                    } catch (final PcapNativeException e) {
                        // Damage libpcap cannot step over (see SOURCES.md): keep what it delivered before.
                        break;
                    }
                    frames.add(new Frame(linkType, data, handle.getOriginalLength(),
                        Math.floorDiv(handle.getTimestamp().getTime(), 1000L)));
                    bytes += data.length;
                }
            } finally {
                handle.close();
            }
        }
        return new Corpus(size, frames, String.format("%d real frames (%d B captured) from %d files in %s, " +
            "repeated to %d, snaplen %d", frames.size(), bytes, files.length, directory, size, snaplen), snaplen);
    }

    /**
     * The shared captures: {@code -Desimmeter.pcaps=DIR}, else the first {@code shared/pcaps} found walking up from
     * the working directory (the repository's sibling {@code ../shared/pcaps}); null when there is none.
     */
    static Path findCaptures() {
        final String configured = System.getProperty("esimmeter.pcaps");
        if (configured != null) {
            return Paths.get(configured);
        }
        for (Path dir = Paths.get("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            final Path candidate = dir.resolve("shared").resolve("pcaps");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    private static final class Frame {
        final int linkType;
        final byte[] data;
        final int wireLength;
        final long second;

        Frame(final int linkType, final byte[] data, final int wireLength, final long second) {
            this.linkType = linkType;
            this.data = data;
            this.wireLength = wireLength;
            this.second = second;
        }
    }
}
