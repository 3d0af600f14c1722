package org.esimmeter.collector.query;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Instants as query parameters carry them: epoch seconds ({@code 1714521600}), an ISO-8601 date-time with an
 * offset ({@code 2024-05-01T00:00:00Z}, {@code 2024-05-01T02:00:00+02:00}) or without one (read as UTC), or a date
 * ({@code 2024-05-01}, its 00:00 UTC). All times in the collector are UTC epoch seconds.
 */
public final class Times {
    /** 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: a range every ISO-8601 printer agrees on. */
    static final long MIN_SECOND = -62_167_219_200L;
    static final long MAX_SECOND = 253_402_300_799L;

    private Times() {
    }

    /**
     * Epoch second of {@code text}; a fraction of a second rounds down, or up when {@code roundUp} (so an exclusive
     * end still covers the second it falls in).
     */
    public static long parse(final String parameter, final String text, final boolean roundUp)
        throws BadParameterException {
        final String value = text.trim();
        if (value.isEmpty()) {
            throw new BadParameterException(parameter, parameter + " : empty (expected: ISO-8601 date or " +
                "date-time, or epoch seconds)");
        }
        final long second;
        if (isInteger(value)) {
            try {
                second = Long.parseLong(value);
            } catch (final NumberFormatException e) {
                throw outOfRange(parameter, text);
            }
        } else {
            second = parseIso(parameter, value, roundUp);
        }
        if (second < MIN_SECOND || second > MAX_SECOND) {
            throw outOfRange(parameter, text);
        }
        return second;
    }

    /** {@code epochSecond} as ISO-8601 UTC, e.g. {@code 2024-05-01T00:00:00Z}. */
    public static String iso(final long epochSecond) {
        return DateTimeFormatter.ISO_INSTANT.format(Instant.ofEpochSecond(epochSecond));
    }

    private static long parseIso(final String parameter, final String value, final boolean roundUp)
        throws BadParameterException {
        try {
            final Instant instant;
            if (value.indexOf('T') < 0 && value.indexOf('t') < 0) {
                instant = LocalDate.parse(value).atStartOfDay(ZoneOffset.UTC).toInstant();
            } else if (hasOffset(value)) {
                instant = OffsetDateTime.parse(value.toUpperCase(java.util.Locale.ROOT)).toInstant();
            } else {
                instant = LocalDateTime.parse(value.toUpperCase(java.util.Locale.ROOT)).toInstant(ZoneOffset.UTC);
            }
            return roundUp && instant.getNano() > 0 ? instant.getEpochSecond() + 1 : instant.getEpochSecond();
        } catch (final DateTimeException e) {
            throw new BadParameterException(parameter, parameter + " : " + value + " (expected: ISO-8601 date " +
                "2024-05-01, date-time 2024-05-01T00:00:00Z, or epoch seconds)");
        }
    }

    private static boolean hasOffset(final String value) {
        final int time = Math.max(value.indexOf('T'), value.indexOf('t'));
        final String clock = value.substring(time + 1);
        return clock.endsWith("Z") || clock.endsWith("z") || clock.indexOf('+') >= 0 || clock.indexOf('-') >= 0;
    }

    private static boolean isInteger(final String value) {
        final int start = value.charAt(0) == '-' ? 1 : 0;
        if (start == value.length()) {
            return false;
        }
        for (int i = start; i < value.length(); i++) {
            if (value.charAt(i) < '0' || value.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    private static BadParameterException outOfRange(final String parameter, final String text) {
        return new BadParameterException(parameter, parameter + " : " + text + " (expected: between " +
            iso(MIN_SECOND) + " and " + iso(MAX_SECOND) + ")");
    }
}
