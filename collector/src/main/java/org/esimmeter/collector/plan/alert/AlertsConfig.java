package org.esimmeter.collector.plan.alert;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.List;
import org.esimmeter.common.config.ConfigException;

/**
 * The {@code alerts:} of one profile. A key left out takes the collector-wide {@code alerts:} ({@link
 * AlertDefaultsConfig}), whose keys left out take the built-in defaults: thresholds 50, 80, 95, 100 % of the cap,
 * no daily budget. An empty list of thresholds turns percent alerts off for the profile.
 */
public record AlertsConfig(
    @JsonProperty("thresholds") List<Integer> thresholds,
    @JsonProperty("dailyBudgetBytes") Long dailyBudgetBytes) {

    public AlertsConfig {
        thresholds = thresholds == null ? null : thresholds("profiles[].alerts.thresholds", thresholds);
        dailyBudget("profiles[].alerts.dailyBudgetBytes", dailyBudgetBytes);
    }

    /** Percentages of the cap: 1..1000 (above 100 warns of overage), each once, returned in ascending order. */
    static List<Integer> thresholds(final String key, final List<Integer> thresholds) {
        final List<Integer> sorted = new ArrayList<>();
        for (final Integer threshold : thresholds) {
            if (threshold == null || threshold < 1 || threshold > AlertRules.MAX_PERCENT) {
                throw new ConfigException(key + " : " + threshold + " (expected: percentages of the cap, 1.." +
                    AlertRules.MAX_PERCENT + ")");
            }
            if (sorted.contains(threshold)) {
                throw new ConfigException(key + " : " + threshold + " given twice (expected: each threshold once)");
            }
            sorted.add(threshold);
        }
        sorted.sort(null);
        return List.copyOf(sorted);
    }

    static void dailyBudget(final String key, final Long bytes) {
        if (bytes != null && bytes <= 0) {
            throw new ConfigException(key + " : " + bytes + " (expected: bytes > 0)");
        }
    }
}
