package org.esimmeter.agent.capture;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Platform;

/**
 * Waits on the selectable descriptors of all capture handles at once with poll(2), so one thread serves every
 * interface and wakes as soon as any of them has packets. Direct-mapped; the pollfd array is allocated once.
 */
final class Poller {
    private static final int POLLFD_SIZE = 8;
    private static final short POLLIN = 0x1;

    static {
        Native.register(Poller.class, Platform.C_LIBRARY_NAME);
    }

    private final Memory pollFds;
    private final long pollFdsAddress;
    private final int count;

    Poller(final int[] fds) {
        count = fds.length;
        pollFds = new Memory((long) POLLFD_SIZE * Math.max(1, count));
        pollFds.clear();
        pollFdsAddress = com.sun.jna.Pointer.nativeValue(pollFds);
        for (int i = 0; i < count; i++) {
            pollFds.setInt((long) i * POLLFD_SIZE, fds[i]);
            pollFds.setShort((long) i * POLLFD_SIZE + 4, POLLIN);
        }
    }

    /** @return descriptors ready, 0 on timeout, -1 on error (EINTR included: callers simply poll again) */
    int await(final int timeoutMillis) {
        return poll(pollFdsAddress, count, timeoutMillis);
    }

    private static native int poll(long fds, long nfds, int timeout);
}
