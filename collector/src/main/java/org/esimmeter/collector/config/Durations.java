package org.esimmeter.collector.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.esimmeter.common.config.ConfigException;

/**
 * Retention durations as operators write them: {@code 90s}, {@code 15m}, {@code 36h}, {@code 7d}, {@code 2w}, or
 * {@code forever}.
 */
public final class Durations {
    /** What {@link #parseSeconds} returns for {@code forever}. */
    public static final long FOREVER = -1;

    private static final Pattern DURATION = Pattern.compile("([0-9]{1,9})([smhdw])");

    private Durations() {
    }

    /** Seconds in {@code text}, or {@link #FOREVER}; throws a one-line {@link ConfigException} naming {@code key}. */
    public static long parseSeconds(final String key, final String text) {
        final String trimmed = text.trim().toLowerCase(Locale.ROOT);
        if ("forever".equals(trimmed)) {
            return FOREVER;
        }
        final Matcher matcher = DURATION.matcher(trimmed);
        if (!matcher.matches() || Long.parseLong(matcher.group(1)) == 0) {
            throw new ConfigException(key + " : " + text + " (expected: a positive number with s, m, h, d or w, " +
                "e.g. 7d, or forever)");
        }
        final long amount = Long.parseLong(matcher.group(1));
        switch (matcher.group(2)) {
            case "s": return amount;
            case "m": return amount * 60;
            case "h": return amount * 3_600;
            case "d": return amount * 86_400;
            default: return amount * 7 * 86_400;
        }
    }
}
