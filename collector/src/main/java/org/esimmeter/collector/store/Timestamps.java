package org.esimmeter.collector.store;

/**
 * Which second timestamps cannot be right: an agent stamps seconds with its wall clock, and a router without a
 * real-time clock boots in 1970 (or at the time it last shut down) until NTP steps its clock. Such seconds are
 * stored where they are stamped — never dropped, never moved — and counted, so an operator sees them.
 */
public final class Timestamps {
    /** 2020-01-01T00:00:00Z: no esim-meter agent ran before; anything earlier is a clock that was not set. */
    public static final long EARLIEST_PLAUSIBLE_SECOND = 1_577_836_800L;
    /** How far ahead of the collector's clock a second may be stamped (clock skew, time zones done wrong). */
    public static final long MAX_AHEAD_SECONDS = 86_400;

    private Timestamps() {
    }

    /** True when {@code epochSecond} is before 2020 or more than a day after {@code nowSecond}. */
    public static boolean implausible(final long epochSecond, final long nowSecond) {
        return epochSecond < EARLIEST_PLAUSIBLE_SECOND || epochSecond > nowSecond + MAX_AHEAD_SECONDS;
    }
}
