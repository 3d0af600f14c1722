package org.esimmeter.agent.ship;

/**
 * Notices when the wall clock steps: routers without a real-time clock boot in 1970 (or at the time they last
 * saved) and jump when NTP syncs. Packet timestamps come from the same wall clock, so the seconds stamped before
 * the jump are off by its size; the agent cannot know that until the jump, and reports it so the collector can
 * say which stored seconds carry the old clock. Compares the wall clock with the monotonic one at every check:
 * their difference only moves when the wall clock is set (NTP's slewing moves it by at most 0.5 ms per second).
 */
final class ClockWatch {
    /** The two clocks; a test supplies its own, since stepping the machine's clock in a test is not acceptable. */
    interface Clocks {
        long wallMillis();

        long monotonicNanos();

        Clocks SYSTEM = new Clocks() {
            @Override
            public long wallMillis() {
                return System.currentTimeMillis();
            }

            @Override
            public long monotonicNanos() {
                return System.nanoTime();
            }
        };
    }

    /** Below this a change is slewing or scheduling noise, not a step; above it the seconds would move. */
    static final long DEFAULT_THRESHOLD_MILLIS = 1000;

    private final Clocks clocks;
    private final long thresholdMillis;
    private long offsetMillis;
    private long lastWallMillis;

    ClockWatch(final Clocks clocks, final long thresholdMillis) {
        this.clocks = clocks;
        this.thresholdMillis = thresholdMillis;
        this.offsetMillis = offset();
    }

    private long offset() {
        lastWallMillis = clocks.wallMillis();
        return lastWallMillis - clocks.monotonicNanos() / 1_000_000;
    }

    /** @return the step since the last check in milliseconds (new wall clock minus the old one), or 0 */
    long check() {
        // Against the previous check, not the first: slewing adds up over hours and must never pass for a step.
        final long now = offset();
        final long step = now - offsetMillis;
        offsetMillis = now;
        return Math.abs(step) < thresholdMillis ? 0 : step;
    }

    /** The wall clock as read by the last check. */
    long lastWallMillis() {
        return lastWallMillis;
    }
}
