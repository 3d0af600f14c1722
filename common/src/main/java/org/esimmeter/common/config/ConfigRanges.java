package org.esimmeter.common.config;

/** Whole-number settings with a default and a range, checked the same way in every configuration file. */
public final class ConfigRanges {
    private ConfigRanges() {
    }

    /**
     * {@code value}, or {@code otherwise} when the key is absent.
     *
     * @throws ConfigException naming {@code key} when {@code value} is outside {@code min..max}
     */
    public static int between(final String key, final Integer value, final int otherwise, final int min,
        final int max) {
        if (value == null) {
            return otherwise;
        }
        if (value < min || value > max) {
            throw new ConfigException(key + " : " + value + " (expected: " + min + ".." + max + ")");
        }
        return value;
    }
}
