package org.esimmeter.common.systemd;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the service manager how the daemon is doing (the sd_notify protocol, {@code Type=notify} units): READY=1
 * once it really serves, STATUS= lines for {@code systemctl status}, STOPPING=1 when it begins to shut down, and
 * WATCHDOG=1 every half of {@code $WATCHDOG_USEC} while its {@link Liveness} says the work makes progress.
 * <p>
 * Outside systemd ({@code $NOTIFY_SOCKET} unset) every method does nothing and JNA is never loaded. A failed send
 * is logged, never thrown: notifications must not stop a daemon that works.
 */
public final class SystemdNotifier {
    private static final Logger LOG = LoggerFactory.getLogger(SystemdNotifier.class);

    /** Null when no service manager listens. */
    private final NotifySocket socket;
    /** The watchdog interval systemd expects of this process; 0 when none. */
    private final long watchdogMicros;
    private volatile Watchdog watchdog;

    private SystemdNotifier(final NotifySocket socket, final long watchdogMicros) {
        this.socket = socket;
        this.watchdogMicros = watchdogMicros;
    }

    /** From this process's environment. */
    public static SystemdNotifier fromEnvironment() {
        return of(System.getenv(), ProcessHandle.current().pid());
    }

    /**
     * @param environment {@code NOTIFY_SOCKET}, {@code WATCHDOG_USEC} and {@code WATCHDOG_PID} are read
     * @param pid         this process: a {@code WATCHDOG_PID} naming another process means the watchdog is not ours
     */
    public static SystemdNotifier of(final Map<String, String> environment, final long pid) {
        final String value = environment.get("NOTIFY_SOCKET");
        if (value == null || value.isEmpty()) {
            return new SystemdNotifier(null, 0);
        }
        try {
            return new SystemdNotifier(NotifySocket.parse(value), watchdogMicros(environment, pid));
        } catch (final IllegalArgumentException e) {
            LOG.warn("{}; the service manager is not notified", e.getMessage());
            return new SystemdNotifier(null, 0);
        }
    }

    private static long watchdogMicros(final Map<String, String> environment, final long pid) {
        final String usec = environment.get("WATCHDOG_USEC");
        if (usec == null || usec.isEmpty()) {
            return 0;
        }
        final String owner = environment.get("WATCHDOG_PID");
        try {
            if (owner != null && !owner.isEmpty() && Long.parseLong(owner.trim()) != pid) {
                return 0; // meant for another process of the unit (e.g. a wrapper that exec'd nothing)
            }
            final long micros = Long.parseLong(usec.trim());
            if (micros <= 0) {
                throw new NumberFormatException("not positive");
            }
            return micros;
        } catch (final NumberFormatException e) {
            LOG.warn("WATCHDOG_USEC : {}, WATCHDOG_PID : {} (expected: a positive number of microseconds and a pid); " +
                "no watchdog pings are sent", usec, owner);
            return 0;
        }
    }

    /** Whether a service manager listens. */
    public boolean active() {
        return socket != null;
    }

    /** The watchdog interval expected of this process (microseconds), 0 when none. */
    public long watchdogMicros() {
        return watchdogMicros;
    }

    /**
     * READY=1 with a status line; then, if the unit has a watchdog, pings it every half interval while
     * {@code liveness} reports no problem.
     */
    public void ready(final String status, final Liveness liveness) {
        if (socket == null) {
            return;
        }
        send("READY=1\nSTATUS=" + oneLine(status));
        if (watchdogMicros > 0) {
            final long periodNanos = TimeUnit.MICROSECONDS.toNanos(watchdogMicros) / 2;
            watchdog = Watchdog.start(this, periodNanos, liveness, oneLine(status));
            LOG.info("systemd watchdog: pinging every {} ms while the daemon makes progress",
                TimeUnit.NANOSECONDS.toMillis(periodNanos));
        }
    }

    /** A STATUS= line for {@code systemctl status}. */
    public void status(final String status) {
        if (socket != null) {
            send("STATUS=" + oneLine(status));
        }
    }

    /**
     * STOPPING=1: the daemon has begun to shut down. The watchdog stops pinging, since the work it watches is
     * finishing on purpose; {@code TimeoutStopSec} bounds the rest.
     */
    public void stopping(final String status) {
        if (socket == null) {
            return;
        }
        final Watchdog running = watchdog;
        if (running != null) {
            running.close();
        }
        send("STOPPING=1\nSTATUS=" + oneLine(status));
    }

    /** Sends one notification; logs and returns false when it cannot. */
    boolean send(final String message) {
        try {
            socket.send(message);
            return true;
        } catch (final IOException e) {
            LOG.warn("cannot notify the service manager ({}): {}", message.replace('\n', ' '), e.getMessage());
            return false;
        }
    }

    /** A status is one line: the protocol separates assignments with newlines. */
    private static String oneLine(final String text) {
        return text.replace('\n', ' ');
    }
}
