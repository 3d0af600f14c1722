package org.esimmeter.common.systemd;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Platform;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The datagram socket a service manager reads notifications from ({@code $NOTIFY_SOCKET}): a file system path, or
 * an abstract name written with a leading {@code @}. Java 17 has no datagram Unix sockets, so each message goes out
 * through libc's {@code socket}/{@code sendto}, direct-mapped with JNA (on the class path through pcap4j already):
 * no libsystemd needed, and nothing is loaded until the first message.
 * <pre>
 *  struct sockaddr_un, as sent:
 *   0      2                                    2 + n (+ 1)
 *   +------+------------------------------------+
 *   |family| path and its NUL, or NUL and name  |   family: AF_UNIX in host byte order
 *   +------+------------------------------------+
 * </pre>
 */
final class NotifySocket {
    static final int SUN_PATH_OFFSET = 2;
    /** sizeof(sun_path) on Linux: a path needs its NUL inside, an abstract name its leading NUL. */
    static final int SUN_PATH_BYTES = 108;

    private final String text;
    private final byte[] address;

    private NotifySocket(final String text, final byte[] address) {
        this.text = text;
        this.address = address;
    }

    /**
     * @param value {@code $NOTIFY_SOCKET}
     * @throws IllegalArgumentException naming what is wrong with the value (relative path, too long, a vsock address)
     */
    static NotifySocket parse(final String value) {
        final boolean abstractName = value.startsWith("@");
        if (!abstractName && !value.startsWith("/")) {
            throw new IllegalArgumentException("NOTIFY_SOCKET : " + value +
                " (expected: an absolute path or @abstract-name; other address families are not supported)");
        }
        final byte[] name = (abstractName ? value.substring(1) : value).getBytes(StandardCharsets.UTF_8);
        // Both forms take one byte besides the name: the path's terminating NUL, the abstract name's leading NUL.
        if (name.length == 0 || name.length + 1 > SUN_PATH_BYTES) {
            throw new IllegalArgumentException("NOTIFY_SOCKET : " + value + " (expected: 1.." + (SUN_PATH_BYTES - 1) +
                " bytes of name)");
        }
        final ByteBuffer address = ByteBuffer.allocate(SUN_PATH_OFFSET + 1 + name.length).order(ByteOrder.nativeOrder());
        address.putShort((short) Libc.AF_UNIX);
        if (abstractName) {
            address.put((byte) 0).put(name); // the kernel takes the abstract name's length from addrlen: no NUL after
        } else {
            address.put(name).put((byte) 0);
        }
        return new NotifySocket(value, address.array());
    }

    /** Sends one datagram; never blocks (a full queue at the receiver is an error, not a wait). */
    void send(final String message) throws IOException {
        final byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        final int fd;
        try {
            fd = Libc.socket(Libc.AF_UNIX, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        } catch (final LastErrorException e) {
            throw new IOException(text + " : socket(AF_UNIX, SOCK_DGRAM) failed: errno " + e.getErrorCode(), e);
        } catch (final LinkageError e) {
            throw new IOException(text + " : cannot call libc through JNA: " + e, e);
        }
        try {
            Libc.sendto(fd, bytes, new NativeLong(bytes.length), Libc.MSG_DONTWAIT | Libc.MSG_NOSIGNAL, address,
                address.length);
        } catch (final LastErrorException e) {
            throw new IOException(text + " : sendto failed: errno " + e.getErrorCode() + " (" + errnoName(e) + ")", e);
        } finally {
            Libc.close(fd);
        }
    }

    /** The struct sockaddr_un bytes sent with each message. */
    byte[] sockaddr() {
        return address.clone();
    }

    @Override
    public String toString() {
        return text;
    }

    private static String errnoName(final LastErrorException e) {
        switch (e.getErrorCode()) {
            case 2: return "no such socket: ENOENT";
            case 11: return "the receiver's queue is full: EAGAIN";
            case 13: return "permission denied: EACCES";
            case 111: return "nobody listens: ECONNREFUSED";
            default: return "see errno(3)";
        }
    }

    /** libc, direct-mapped: primitive arguments and byte arrays only, so a call allocates nothing beyond JNA's copy. */
    private static final class Libc {
        static final int AF_UNIX = 1;
        // MIPS numbers socket types differently (SOCK_DGRAM 1, SOCK_STREAM 2): some routers are MIPS.
        static final int SOCK_DGRAM = Platform.ARCH.startsWith("mips") ? 1 : 2;
        static final int SOCK_CLOEXEC = 0x80000; // O_CLOEXEC on every Linux architecture but alpha/parisc/sparc
        static final int MSG_DONTWAIT = 0x40;
        static final int MSG_NOSIGNAL = 0x4000;

        static {
            Native.register(Libc.class, Platform.C_LIBRARY_NAME);
        }

        private Libc() {
        }

        static native int socket(int domain, int type, int protocol) throws LastErrorException;

        static native NativeLong sendto(int fd, byte[] buffer, NativeLong length, int flags, byte[] address,
            int addressLength) throws LastErrorException;

        static native int close(int fd);
    }
}
