package org.esimmeter.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The agent's JSON lines file followed as it grows, by a thread that looks every {@value #POLL_MILLIS} ms: each
 * complete line with the wall-clock time it was first seen. That time says whether the capture kept sealing
 * seconds on time (a second {@code t} can be written from {@code (t + 1) s} plus the agent's seal grace), whatever
 * its shipping was waiting for.
 */
final class JsonLinesTail implements AutoCloseable {
    static final long POLL_MILLIS = 10;

    /** A line and when this tail first saw it (epoch milliseconds). */
    record Arrival(JsonNode line, long seenAtMillis) {
        String iface() {
            return line.path("interface").asText();
        }

        long second() {
            return line.path("t").asLong();
        }
    }

    private final Path file;
    private final List<Arrival> arrivals = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile RuntimeException failure;
    private long offset;
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();

    private JsonLinesTail(final Path file) {
        this.file = file;
        thread = new Thread(this::follow, "json-lines-tail");
        thread.setDaemon(true);
        thread.start();
    }

    /** Follows {@code file} from its beginning (it need not exist yet). */
    static JsonLinesTail follow(final Path file) {
        return new JsonLinesTail(file);
    }

    /** The lines seen so far, in file order; fails if a line could not be read. */
    List<Arrival> arrivals() {
        if (failure != null) {
            throw failure;
        }
        return List.copyOf(arrivals);
    }

    private void follow() {
        try {
            while (running) {
                readNew();
                Thread.sleep(POLL_MILLIS); // the poll interval of a tail, not a wait for a condition
            }
            readNew();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (final IOException e) {
            failure = new UncheckedIOException(file + " : " + e.getMessage(), e);
        } catch (final RuntimeException e) {
            failure = e;
        }
    }

    private void readNew() throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            final ByteBuffer buffer = ByteBuffer.allocate(64 << 10);
            int read;
            while ((read = channel.read(buffer, offset)) > 0) {
                final long now = System.currentTimeMillis();
                offset += read;
                buffer.flip();
                while (buffer.hasRemaining()) {
                    final byte b = buffer.get();
                    if (b == '\n') {
                        arrivals.add(new Arrival(Api.JSON.readTree(partial.toString(StandardCharsets.UTF_8)), now));
                        partial.reset();
                    } else {
                        partial.write(b);
                    }
                }
                buffer.clear();
            }
        }
    }

    /** Stops following after a last look at the file; returns every line seen. */
    List<Arrival> stop() {
        close();
        return arrivals();
    }

    @Override
    public void close() {
        running = false;
        try {
            thread.join(5000);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The complete lines of {@code file} (up to its last newline), parsed; none when it does not exist yet. */
    static List<JsonNode> complete(final Path file) {
        final List<JsonNode> lines = new ArrayList<>();
        try {
            if (!Files.exists(file)) {
                return lines;
            }
            final String text = Files.readString(file);
            final int end = text.lastIndexOf('\n');
            for (final String line : text.substring(0, end + 1).split("\n")) {
                if (!line.isEmpty()) {
                    lines.add(Api.JSON.readTree(line));
                }
            }
            return lines;
        } catch (final IOException e) {
            throw new UncheckedIOException(file + " : " + e.getMessage(), e);
        }
    }
}
