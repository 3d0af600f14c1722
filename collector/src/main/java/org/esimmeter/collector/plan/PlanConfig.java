package org.esimmeter.collector.plan;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.DateTimeException;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.esimmeter.common.config.ConfigException;

/**
 * A profile's data plan, one of three kinds as travellers buy them:
 * <ul>
 * <li>{@code monthly}: {@code capBytes} (or {@code unlimited: true}) renewed on {@code resetDay} at
 *     {@code resetTime} in {@code timeZone};</li>
 * <li>{@code pass}: {@code capBytes} for {@code days} calendar days from {@code activatedAt}, or from the first
 *     second of usage when {@code startsOnFirstUse: true};</li>
 * <li>{@code packs}: prepaid packs stacked on the profile, each usable until it expires.</li>
 * </ul>
 * A key of another kind is refused rather than ignored: {@code days} on a monthly plan is a misunderstanding.
 */
public record PlanConfig(
    @JsonProperty("type") String type,
    @JsonProperty("capBytes") Long capBytes,
    @JsonProperty("unlimited") Boolean unlimited,
    @JsonProperty("resetDay") Integer resetDay,
    @JsonProperty("resetTime") String resetTime,
    @JsonProperty("timeZone") String timeZone,
    @JsonProperty("uploadCounts") Boolean uploadCounts,
    @JsonProperty("days") Integer days,
    @JsonProperty("activatedAt") String activatedAt,
    @JsonProperty("startsOnFirstUse") Boolean startsOnFirstUse,
    @JsonProperty("packs") List<PackConfig> packs) {

    public static final String MONTHLY = "monthly";
    public static final String PASS = "pass";
    public static final String PACKS = "packs";
    private static final String KEY = "profiles[].plan.";
    /** Longer than any pass sold; a typo in days (3650 for 365) should not pass silently. */
    private static final int MAX_PASS_DAYS = 1_000;

    public PlanConfig {
        if (type == null) {
            throw new ConfigException(KEY + "type : missing (expected: monthly, pass or packs)");
        }
        uploadCounts = uploadCounts == null || uploadCounts;
        switch (type) {
            case MONTHLY:
                refuse(type, "days", days, "activatedAt", activatedAt, "startsOnFirstUse", startsOnFirstUse,
                    "packs", packs);
                cap(capBytes, unlimited, true);
                unlimited = unlimited != null && unlimited;
                if (resetDay == null || resetDay < 1 || resetDay > 31) {
                    throw new ConfigException(KEY + "resetDay : " + (resetDay == null ? "missing" : resetDay) +
                        " (expected: 1..31; a day past the month's end means its last day)");
                }
                resetTime = resetTime == null ? "00:00" : resetTime;
                localTime(resetTime);
                zone(timeZone, true);
                break;
            case PASS:
                refuse(type, "unlimited", unlimited, "resetDay", resetDay, "resetTime", resetTime, "packs", packs);
                unlimited = false;
                cap(capBytes, null, false);
                if (days == null || days < 1 || days > MAX_PASS_DAYS) {
                    throw new ConfigException(KEY + "days : " + (days == null ? "missing" : days) + " (expected: 1.." +
                        MAX_PASS_DAYS + ")");
                }
                final boolean firstUse = startsOnFirstUse != null && startsOnFirstUse;
                if (firstUse == (activatedAt != null)) {
                    throw new ConfigException(KEY + "activatedAt : " + (firstUse ? "given with startsOnFirstUse" :
                        "missing") + " (expected: activatedAt, or startsOnFirstUse: true)");
                }
                startsOnFirstUse = firstUse;
                if (activatedAt != null) {
                    instant(KEY + "activatedAt", activatedAt);
                }
                zone(timeZone, true);
                break;
            case PACKS:
                refuse(type, "capBytes", capBytes, "unlimited", unlimited, "resetDay", resetDay, "resetTime",
                    resetTime, "days", days, "activatedAt", activatedAt, "startsOnFirstUse", startsOnFirstUse);
                unlimited = false;
                if (packs == null || packs.isEmpty()) {
                    throw new ConfigException(KEY + "packs : missing (expected: a list of {bytes, purchasedAt, " +
                        "expiresAt})");
                }
                packs = List.copyOf(packs);
                timeZone = timeZone == null ? "UTC" : timeZone;
                zone(timeZone, false);
                break;
            default:
                throw new ConfigException(KEY + "type : " + type + " (expected: monthly, pass or packs)");
        }
        packs = packs == null ? List.of() : packs;
    }

    public ZoneId zone() {
        return ZoneId.of(timeZone);
    }

    public LocalTime resetLocalTime() {
        return LocalTime.parse(resetTime);
    }

    public long activatedSecond() {
        return instant("activatedAt", activatedAt);
    }

    /** Epoch second of an ISO-8601 instant with an offset ({@code 2026-05-01T08:00:00Z}, {@code ...+02:00}). */
    static long instant(final String key, final String text) {
        if (text == null) {
            throw new ConfigException(key + " : missing (expected: an ISO-8601 instant, e.g. 2026-05-01T08:00:00Z)");
        }
        try {
            return OffsetDateTime.parse(text.trim().toUpperCase(Locale.ROOT)).toEpochSecond();
        } catch (final DateTimeException e) {
            throw new ConfigException(key + " : " + text + " (expected: an ISO-8601 instant with offset, e.g. " +
                "2026-05-01T08:00:00Z)");
        }
    }

    private static void cap(final Long capBytes, final Boolean unlimited, final boolean unlimitedAllowed) {
        final boolean isUnlimited = unlimited != null && unlimited;
        if (isUnlimited && capBytes != null) {
            throw new ConfigException(KEY + "capBytes : given with unlimited: true (expected: one of them)");
        }
        if (!isUnlimited && capBytes == null) {
            throw new ConfigException(KEY + "capBytes : missing (expected: bytes of the plan" +
                (unlimitedAllowed ? ", or unlimited: true)" : ")"));
        }
        if (capBytes != null && capBytes <= 0) {
            throw new ConfigException(KEY + "capBytes : " + capBytes + " (expected: > 0)");
        }
    }

    private static void localTime(final String text) {
        try {
            LocalTime.parse(text);
        } catch (final DateTimeException e) {
            throw new ConfigException(KEY + "resetTime : " + text + " (expected: HH:MM, e.g. 00:00 or 06:30)");
        }
    }

    private static void zone(final String timeZone, final boolean required) {
        if (timeZone == null) {
            if (required) {
                throw new ConfigException(KEY + "timeZone : missing (expected: an IANA time zone, e.g. " +
                    "Europe/Berlin)");
            }
            return;
        }
        try {
            final ZoneId zone = ZoneId.of(timeZone);
            if (zone instanceof ZoneOffset && !"UTC".equals(timeZone) && !"Z".equals(timeZone)) {
                // A fixed offset ignores daylight saving time, which is what the carrier's cycle follows.
                throw new DateTimeException("fixed offset");
            }
        } catch (final DateTimeException e) {
            throw new ConfigException(KEY + "timeZone : " + timeZone + " (expected: an IANA time zone, e.g. " +
                "Europe/Berlin)");
        }
    }

    /** Refuses keys (name, value pairs) that belong to another kind of plan. */
    private static void refuse(final String type, final Object... namesAndValues) {
        final List<String> given = new ArrayList<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            if (namesAndValues[i + 1] != null) {
                given.add((String) namesAndValues[i]);
            }
        }
        if (!given.isEmpty()) {
            throw new ConfigException(KEY + given.get(0) + " : not a key of a " + type + " plan");
        }
    }
}
