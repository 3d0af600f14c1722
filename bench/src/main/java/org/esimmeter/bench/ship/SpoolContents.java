package org.esimmeter.bench.ship;

import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.esimmeter.wire.Batch;
import org.esimmeter.wire.BatchReader;
import org.esimmeter.wire.SecondUsage;
import org.esimmeter.wire.WireFormat;
import org.esimmeter.wire.WireFormatException;

/**
 * What a spool directory holds, read from its segment files with the wire codec ({@link BatchReader} checks every
 * frame's length and CRC32C): files, bytes, batches, interface-seconds and flow-second records. The spool's own
 * reader is package-private to the agent; reading the files here also checks that the backlog is really on disk.
 */
record SpoolContents(int segments, long bytes, long batches, long interfaceSeconds, long flowSeconds) {
    static final String SEGMENTS = "segment-*.spool";

    static SpoolContents read(final Path directory) throws IOException {
        final BatchReader reader = new BatchReader(WireFormat.DEFAULT_MAX_FRAME_BYTES);
        int segments = 0;
        long bytes = 0;
        long batches = 0;
        long seconds = 0;
        long flows = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, SEGMENTS)) {
            for (final Path file : files) {
                final byte[] content = Files.readAllBytes(file);
                segments++;
                bytes += content.length;
                int offset = 0;
                while (offset < content.length) {
                    final long body = ByteBuffer.wrap(content, offset + WireFormat.BODY_LENGTH_OFFSET, 4).getInt() &
                        0xFFFF_FFFFL;
                    final int frame = (int) (WireFormat.HEADER_LENGTH + body + WireFormat.CHECKSUM_LENGTH);
                    final Batch batch;
                    try {
                        batch = reader.read(Unpooled.wrappedBuffer(content, offset, frame));
                    } catch (final WireFormatException e) {
                        throw new IOException(file + " : frame at byte " + offset + " unreadable (" + e.getMessage() +
                            ")", e);
                    }
                    batches++;
                    seconds += batch.seconds().size();
                    for (final SecondUsage second : batch.seconds()) {
                        flows += second.flows().size();
                    }
                    offset += frame;
                }
            }
        }
        return new SpoolContents(segments, bytes, batches, seconds, flows);
    }

    /** Segment files left in the directory (0 once every batch is acknowledged). */
    static int segmentFiles(final Path directory) throws IOException {
        int count = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, SEGMENTS)) {
            for (final Path ignored : files) {
                count++;
            }
        }
        return count;
    }
}
