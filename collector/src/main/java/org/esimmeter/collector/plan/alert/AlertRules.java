package org.esimmeter.collector.plan.alert;

import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.List;
import org.esimmeter.collector.plan.Cycle;

/**
 * When an alert fires; pure functions, so the rules are tested without a clock or a store.
 * <ul>
 * <li>A percent threshold is reached when the bytes counted against the cap are at least that share of it
 *     ({@code used x 100 >= threshold x cap}, exact in integers).</li>
 * <li>Each threshold fires at most once per cycle. When several are reached between two checks (a collector started
 *     late, a spool of hours arriving at once), only the highest fires: a traveller at 96 % wants one message,
 *     "95 % used", not three; the lower ones never fire later in that cycle either.</li>
 * <li>The daily budget fires once per calendar day in the plan's time zone (23 or 25 hours on a daylight-saving
 *     day), when that day's billable bytes reach it.</li>
 * </ul>
 */
public final class AlertRules {
    /** Highest threshold accepted: 1000 % warns of overage on plans that bill it. */
    static final int MAX_PERCENT = 1_000;
    private static final BigInteger HUNDRED = BigInteger.valueOf(100);

    private AlertRules() {
    }

    /** A profile's thresholds (ascending percentages; empty = none) and its daily budget (null = none). */
    public record Limits(List<Integer> percents, Long dailyBudgetBytes) {
        public Limits {
            percents = percents.stream().sorted().toList();
        }
    }

    /** True when {@code usedBytes} is at least {@code percent} % of {@code capBytes}. */
    static boolean reached(final long usedBytes, final long capBytes, final int percent) {
        return BigInteger.valueOf(usedBytes).multiply(HUNDRED)
            .compareTo(BigInteger.valueOf(capBytes).multiply(BigInteger.valueOf(percent))) >= 0;
    }

    /**
     * The threshold to fire now: the highest of {@code percents} that {@code usedBytes} reached and that is above
     * {@code highestFired} (the highest fired so far in this cycle, 0 if none); or 0 when there is none.
     */
    static int percentToFire(final List<Integer> percents, final long usedBytes, final long capBytes,
        final int highestFired) {
        int fire = 0;
        for (final int percent : percents) {
            if (percent > highestFired && reached(usedBytes, capBytes, percent)) {
                fire = Math.max(fire, percent);
            }
        }
        return fire;
    }

    /** The calendar day in {@code zone} holding {@code nowSecond}, from its first second to the next day's. */
    static Cycle localDay(final long nowSecond, final ZoneId zone) {
        final LocalDate day = LocalDate.ofInstant(Instant.ofEpochSecond(nowSecond), zone);
        // atStartOfDay, not 00:00: where a zone skips midnight (a DST change at 00:00) the day starts at 01:00.
        return new Cycle(day.atStartOfDay(zone).toEpochSecond(), day.plusDays(1).atStartOfDay(zone).toEpochSecond());
    }
}
