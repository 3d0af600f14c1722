package org.esimmeter.common.systemd;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pings the service manager (WATCHDOG=1) every period on its own daemon thread, but only while the daemon's
 * {@link Liveness} reports no problem: a stuck daemon stops pinging, and systemd restarts it once
 * {@code WatchdogSec} passes without a ping. While the ping is withheld the problem is the unit's STATUS and one
 * WARN line says so; when progress resumes, the ready status returns and one INFO line says that.
 */
final class Watchdog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Watchdog.class);

    private final SystemdNotifier notifier;
    private final long periodNanos;
    private final Liveness liveness;
    private final String readyStatus;
    private final ScheduledExecutorService timer;
    /** The problem of the last tick; null while pinging. Timer thread only. */
    private String withheld;

    private Watchdog(final SystemdNotifier notifier, final long periodNanos, final Liveness liveness,
        final String readyStatus, final ScheduledExecutorService timer) {
        this.notifier = notifier;
        this.periodNanos = periodNanos;
        this.liveness = liveness;
        this.readyStatus = readyStatus;
        this.timer = timer;
    }

    static Watchdog start(final SystemdNotifier notifier, final long periodNanos, final Liveness liveness,
        final String readyStatus) {
        final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(task -> {
            final Thread thread = new Thread(task, "systemd-watchdog");
            thread.setDaemon(true);
            return thread;
        });
        final Watchdog watchdog = new Watchdog(notifier, periodNanos, liveness, readyStatus, timer);
        timer.scheduleAtFixedRate(watchdog::tick, 0, periodNanos, TimeUnit.NANOSECONDS);
        return watchdog;
    }

    void tick() {
        String problem;
        try {
            problem = liveness.problem(periodNanos);
        } catch (final RuntimeException e) {
            // A check that throws proves nothing about progress; the executor would also cancel a throwing task.
            problem = "liveness check failed: " + e;
        }
        if (problem == null) {
            if (withheld != null) {
                LOG.info("watchdog: the daemon makes progress again; pinging systemd");
                notifier.send("WATCHDOG=1\nSTATUS=" + readyStatus);
            } else {
                notifier.send("WATCHDOG=1");
            }
        } else {
            if (withheld == null) {
                LOG.warn("watchdog: not pinging systemd: {} (systemd restarts the service when WatchdogSec passes " +
                    "without a ping)", problem);
            }
            notifier.send("STATUS=watchdog withheld: " + problem.replace('\n', ' '));
        }
        withheld = problem;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
