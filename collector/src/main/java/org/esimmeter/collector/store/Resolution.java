package org.esimmeter.collector.store;

/** Row resolutions the store keeps, each a UTC-aligned bucket width. */
public enum Resolution {
    SECOND(1, "1s"),
    MINUTE(60, "1m"),
    HOUR(3_600, "1h"),
    DAY(86_400, "1d");

    private final long seconds;
    private final String label;

    Resolution(final long seconds, final String label) {
        this.seconds = seconds;
        this.label = label;
    }

    public long seconds() {
        return seconds;
    }

    /** As written in query parameters and configuration: 1s, 1m, 1h, 1d. */
    public String label() {
        return label;
    }

    /** Start of the bucket holding {@code epochSecond} (floor, also for times before 1970). */
    public long bucketStart(final long epochSecond) {
        return Math.floorDiv(epochSecond, seconds) * seconds;
    }

    public static Resolution fromLabel(final String label) {
        for (final Resolution resolution : values()) {
            if (resolution.label.equals(label)) {
                return resolution;
            }
        }
        throw new IllegalArgumentException("step : " + label + " (expected: 1s, 1m, 1h or 1d)");
    }
}
