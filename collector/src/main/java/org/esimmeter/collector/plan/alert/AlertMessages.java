package org.esimmeter.collector.plan.alert;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;

/** The one line an alert is logged as and carries in {@code message}; sizes in SI units, as carriers sell plans. */
final class AlertMessages {
    private static final String[] UNITS = {"B", "kB", "MB", "GB", "TB", "PB"};

    private AlertMessages() {
    }

    /** {@code profile travel-5gb: 80 % of 5.00 GB used (4.02 GB) in cycle 2026-11-01..2026-12-01}. */
    static String percent(final String profile, final int percent, final long capBytes, final long usedBytes,
        final long cycleStart, final long cycleEnd, final ZoneId zone) {
        return "profile " + profile + ": " + percent + " % of " + size(capBytes) + " used (" + size(usedBytes) +
            ") in cycle " + date(cycleStart, zone) + ".." + date(cycleEnd, zone);
    }

    /** {@code profile travel-5gb: daily budget of 200.00 MB reached (201.30 MB used) on 2026-03-29 (Europe/Berlin)}. */
    static String dailyBudget(final String profile, final long budgetBytes, final long usedBytes, final long dayStart,
        final ZoneId zone) {
        return "profile " + profile + ": daily budget of " + size(budgetBytes) + " reached (" + size(usedBytes) +
            " used) on " + date(dayStart, zone) + " (" + zone.getId() + ")";
    }

    /** {@code 999 B}, {@code 4.02 GB}: powers of 1000, two decimals rounded half up. */
    static String size(final long bytes) {
        if (bytes < 1000) {
            return bytes + " B";
        }
        int unit = 0;
        BigDecimal value = BigDecimal.valueOf(bytes);
        final BigDecimal thousand = BigDecimal.valueOf(1000);
        while (value.compareTo(thousand) >= 0 && unit < UNITS.length - 1) {
            value = value.divide(thousand);
            unit++;
        }
        return value.setScale(2, RoundingMode.HALF_UP).toPlainString() + " " + UNITS[unit];
    }

    private static LocalDate date(final long epochSecond, final ZoneId zone) {
        return LocalDate.ofInstant(Instant.ofEpochSecond(epochSecond), zone);
    }
}
