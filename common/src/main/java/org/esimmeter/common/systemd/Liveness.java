package org.esimmeter.common.systemd;

/**
 * What a daemon tells its watchdog before each ping: whether the work it exists for still makes progress. A JVM
 * whose scheduler thread still runs is not proof of that (the capture loop or the store writer may be stuck), so
 * the ping is withheld unless this answers null, and the service manager restarts the daemon.
 */
@FunctionalInterface
public interface Liveness {
    /** Any process that runs at all counts as alive. */
    Liveness PROCESS = withinNanos -> null;

    /**
     * @param withinNanos the interval between two pings: progress older than this is no progress
     * @return null while the daemon works, or why it does not, in a few words (shown by {@code systemctl status})
     */
    String problem(long withinNanos);
}
