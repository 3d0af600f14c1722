package org.esimmeter.collector.plan;

import com.fasterxml.jackson.annotation.JsonProperty;
import org.esimmeter.common.config.ConfigException;

/** One prepaid data pack: its bytes may be used from {@code purchasedAt} until (excluding) {@code expiresAt}. */
public record PackConfig(
    @JsonProperty("bytes") Long bytes,
    @JsonProperty("purchasedAt") String purchasedAt,
    @JsonProperty("expiresAt") String expiresAt) {

    public PackConfig {
        if (bytes == null || bytes <= 0) {
            throw new ConfigException("profiles[].plan.packs[].bytes : " + (bytes == null ? "missing" : bytes) +
                " (expected: > 0)");
        }
        final long from = PlanConfig.instant("profiles[].plan.packs[].purchasedAt", purchasedAt);
        final long to = PlanConfig.instant("profiles[].plan.packs[].expiresAt", expiresAt);
        if (to <= from) {
            throw new ConfigException("profiles[].plan.packs[].expiresAt : " + expiresAt +
                " (expected: after purchasedAt " + purchasedAt + ")");
        }
    }

    public long purchasedSecond() {
        return PlanConfig.instant("purchasedAt", purchasedAt);
    }

    public long expiresSecond() {
        return PlanConfig.instant("expiresAt", expiresAt);
    }
}
