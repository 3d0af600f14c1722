package org.esimmeter.common.systemd;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Platform;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The service manager's side of sd_notify, for tests: an AF_UNIX datagram socket bound to a path or an abstract
 * name, through libc (JNA) as systemd binds it. Every datagram received is kept, in order.
 * <p>
 * Public because common publishes its test classes as a test-jar: the end-to-end tests hand its {@link #address()}
 * to the real daemons as {@code NOTIFY_SOCKET}.
 */
public final class NotifyReceiver implements AutoCloseable {
    private final int fd;
    private final String address;
    private final Path path;
    private final List<String> received = new ArrayList<>();
    private int read;

    private NotifyReceiver(final int fd, final String address, final Path path) {
        this.fd = fd;
        this.address = address;
        this.path = path;
    }

    /** Binds a socket file at {@code path} (which must not exist), readable and writable by anyone. */
    public static NotifyReceiver bind(final Path path) {
        final NotifyReceiver receiver = bind(path.toString(), path);
        try {
            // A daemon started under another uid (setpriv) must be able to send to it, as to systemd's socket.
            Files.setPosixFilePermissions(path, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
        } catch (final IOException e) {
            receiver.close();
            throw new UncheckedIOException(e);
        }
        return receiver;
    }

    /** Binds an abstract name (no file; visible only in this network namespace). */
    public static NotifyReceiver bindAbstract(final String name) {
        return bind("@" + name, null);
    }

    private static NotifyReceiver bind(final String address, final Path path) {
        final boolean abstractName = address.startsWith("@");
        final byte[] name = (abstractName ? address.substring(1) : address).getBytes(StandardCharsets.UTF_8);
        final ByteBuffer sockaddr = ByteBuffer.allocate(2 + 1 + name.length).order(ByteOrder.nativeOrder());
        sockaddr.putShort((short) 1);
        if (abstractName) {
            sockaddr.put((byte) 0).put(name);
        } else {
            sockaddr.put(name).put((byte) 0);
        }
        final int fd = Libc.socket(1, Platform.ARCH.startsWith("mips") ? 1 : 2, 0);
        try {
            Libc.bind(fd, sockaddr.array(), sockaddr.capacity());
        } catch (final LastErrorException e) {
            Libc.close(fd);
            throw new IllegalStateException("bind " + address + " : errno " + e.getErrorCode(), e);
        }
        return new NotifyReceiver(fd, address, path);
    }

    /** The value for {@code NOTIFY_SOCKET}. */
    public String address() {
        return address;
    }

    /**
     * Receives until a datagram matching {@code condition} arrives, after the ones already returned by an earlier
     * await; returns it, or null when {@code timeout} passes first. Everything received is kept in {@link #all()}.
     */
    public String await(final Predicate<String> condition, final Duration timeout) {
        final long deadlineNs = System.nanoTime() + timeout.toNanos();
        while (true) {
            while (read < received.size()) {
                final String message = received.get(read++);
                if (condition.test(message)) {
                    return message;
                }
            }
            final long leftMillis = (deadlineNs - System.nanoTime()) / 1_000_000;
            if (leftMillis <= 0 || !receiveOne((int) Math.min(leftMillis, Integer.MAX_VALUE))) {
                if (read < received.size()) {
                    continue;
                }
                return null;
            }
        }
    }

    /**
     * Receives whatever is queued already and marks every datagram so far as passed over: a later {@link #await}
     * sees only what arrives after this call.
     */
    public void skipQueued() {
        while (receiveOne(0)) {
            // keep them in all(), for failure messages
        }
        read = received.size();
    }

    /** Every datagram received so far, in order. */
    public List<String> all() {
        return List.copyOf(received);
    }

    /** The datagrams received after the last one an {@link #await} returned or passed over. */
    public List<String> unread() {
        return List.copyOf(received.subList(read, received.size()));
    }

    /** Waits up to {@code timeoutMillis} for one datagram. */
    private boolean receiveOne(final int timeoutMillis) {
        final ByteBuffer pollFd = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder());
        pollFd.putInt(fd).putShort((short) 1 /* POLLIN */).putShort((short) 0);
        final int ready = Libc.poll(pollFd.array(), new NativeLong(1), timeoutMillis);
        if (ready <= 0) {
            return false; // timeout, or EINTR: the caller's deadline decides
        }
        final byte[] buffer = new byte[4096];
        final long length = Libc.recv(fd, buffer, new NativeLong(buffer.length), 0).longValue();
        received.add(new String(buffer, 0, (int) length, StandardCharsets.UTF_8));
        return true;
    }

    @Override
    public void close() {
        Libc.close(fd);
        if (path != null) {
            try {
                Files.deleteIfExists(path);
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private static final class Libc {
        static {
            Native.register(Libc.class, Platform.C_LIBRARY_NAME);
        }

        private Libc() {
        }

        static native int socket(int domain, int type, int protocol) throws LastErrorException;

        static native int bind(int fd, byte[] address, int addressLength) throws LastErrorException;

        static native int poll(byte[] fds, NativeLong count, int timeoutMillis);

        static native NativeLong recv(int fd, byte[] buffer, NativeLong length, int flags) throws LastErrorException;

        static native int close(int fd);
    }
}
