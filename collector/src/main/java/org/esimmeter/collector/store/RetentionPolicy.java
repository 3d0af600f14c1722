package org.esimmeter.collector.store;

import java.util.EnumMap;
import java.util.Map;

/** How long rows of each resolution are kept; a missing entry (or null) keeps them forever. */
public record RetentionPolicy(Map<Resolution, Long> keepSeconds) {
    /** 1 s rows 7 days, 1 min rows 90 days, hours and days forever. */
    public static final RetentionPolicy DEFAULT = new RetentionPolicy(Map.of(
        Resolution.SECOND, 7L * 86_400,
        Resolution.MINUTE, 90L * 86_400));

    public RetentionPolicy {
        final Map<Resolution, Long> copy = new EnumMap<>(Resolution.class);
        keepSeconds.forEach((resolution, seconds) -> {
            if (seconds != null) {
                if (seconds <= 0) {
                    throw new IllegalArgumentException("retention." + resolution.label() + " : " + seconds +
                        " s (expected: > 0, or absent for forever)");
                }
                copy.put(resolution, seconds);
            }
        });
        keepSeconds = Map.copyOf(copy);
    }

    /** Seconds to keep rows of {@code resolution}, or -1 for forever. */
    public long keep(final Resolution resolution) {
        final Long seconds = keepSeconds.get(resolution);
        return seconds == null ? -1 : seconds;
    }
}
