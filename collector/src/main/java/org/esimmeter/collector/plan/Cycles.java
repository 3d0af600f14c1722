package org.esimmeter.collector.plan;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.ZonedDateTime;

/**
 * Cycle edges in the plan's time zone. Carriers reset at a local wall-clock time, so a cycle is computed on
 * {@link ZonedDateTime}: across a daylight-saving change a month or a pass is an hour shorter or longer than a
 * multiple of 24 hours, never an hour off its local reset time. A reset time that does not exist locally (inside a
 * spring-forward gap) is moved forward by the gap's length; one that exists twice (autumn) is its earlier instant —
 * java.time's rules for {@link ZonedDateTime#of}.
 */
public final class Cycles {
    private Cycles() {
    }

    /**
     * The monthly cycle holding {@code nowSecond}: from the latest reset at or before it to the next reset. A reset
     * day beyond a month's last day means that last day (31 -> 28 or 29 February, 30 April).
     */
    public static Cycle monthly(final int resetDay, final LocalTime resetTime, final ZoneId zone,
        final long nowSecond) {
        final YearMonth month = YearMonth.from(Instant.ofEpochSecond(nowSecond).atZone(zone));
        final long thisMonth = reset(month, resetDay, resetTime, zone);
        if (thisMonth <= nowSecond) {
            return new Cycle(thisMonth, reset(month.plusMonths(1), resetDay, resetTime, zone));
        }
        return new Cycle(reset(month.minusMonths(1), resetDay, resetTime, zone), thisMonth);
    }

    /** A pass of {@code days} calendar days in {@code zone}, starting at {@code startSecond}. */
    public static Cycle pass(final long startSecond, final int days, final ZoneId zone) {
        final ZonedDateTime start = Instant.ofEpochSecond(startSecond).atZone(zone);
        // plusDays keeps the local time of day (a 7-day pass from 10:00 ends at 10:00), unlike 7 x 86400 seconds.
        return new Cycle(startSecond, start.plusDays(days).toEpochSecond());
    }

    /** Epoch second of the reset in {@code month}. */
    static long reset(final YearMonth month, final int resetDay, final LocalTime resetTime, final ZoneId zone) {
        final LocalDate day = month.atDay(Math.min(resetDay, month.lengthOfMonth()));
        return ZonedDateTime.of(day, resetTime, zone).toEpochSecond();
    }
}
