package org.esimmeter.collector.plan.alert;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import org.esimmeter.collector.plan.ProfileConfig;
import org.esimmeter.common.config.ConfigException;

/**
 * The collector-wide {@code alerts:}: the thresholds and daily budget of every profile that does not set its own,
 * and how often usage is checked against them.
 */
public record AlertDefaultsConfig(
    @JsonProperty("thresholds") List<Integer> thresholds,
    @JsonProperty("dailyBudgetBytes") Long dailyBudgetBytes,
    @JsonProperty("checkSeconds") Integer checkSeconds) {

    /** What a traveller expects from a carrier's app: half, most, nearly all and all of the plan. */
    public static final List<Integer> DEFAULT_THRESHOLDS = List.of(50, 80, 95, 100);
    public static final AlertDefaultsConfig DEFAULTS = new AlertDefaultsConfig(null, null, null);

    public AlertDefaultsConfig {
        thresholds = thresholds == null ? DEFAULT_THRESHOLDS : AlertsConfig.thresholds("alerts.thresholds",
            thresholds);
        AlertsConfig.dailyBudget("alerts.dailyBudgetBytes", dailyBudgetBytes);
        if (checkSeconds == null) {
            checkSeconds = 5;
        } else if (checkSeconds < 1 || checkSeconds > 3_600) {
            throw new ConfigException("alerts.checkSeconds : " + checkSeconds +
                " (expected: 1..3600)");
        }
    }

    /** The rules of {@code profile}: its own keys where given, these defaults for the others. */
    public AlertRules.Limits limits(final ProfileConfig profile) {
        final AlertsConfig own = profile.alerts();
        final List<Integer> percents = own == null || own.thresholds() == null ? thresholds : own.thresholds();
        final Long budget = own == null || own.dailyBudgetBytes() == null ? dailyBudgetBytes :
            own.dailyBudgetBytes();
        return new AlertRules.Limits(percents, budget);
    }
}
