package org.esimmeter.collector.plan.alert;

import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import org.esimmeter.collector.plan.Cycle;
import org.esimmeter.collector.plan.ProfileConfig;
import org.esimmeter.collector.plan.ProfileService;
import org.esimmeter.collector.store.StoreException;

/**
 * Checks every profile against its limits ({@link AlertRules}) and persists what fires. Usage is what {@code
 * /v1/profiles} answers ({@link ProfileService#billing}): the bytes counted against the cap in the current cycle.
 * Percent alerts need an active cycle with a cap (an unlimited plan, a pass not started or ended get none); the
 * daily budget counts the local day's billable bytes whatever the cycle.
 * <p>
 * Called by one thread at a time. An alert is returned only once its row is committed: a crash after that loses
 * at most the log line, never the alert, and a restart does not fire it again.
 */
final class AlertEvaluator {
    private final ProfileService profiles;
    private final AlertDefaultsConfig defaults;
    private final AlertStore store;
    private final String initialStatus;

    /** @param webhook whether alerts will be sent (pending) or only logged and listed (not_sent) */
    AlertEvaluator(final ProfileService profiles, final AlertDefaultsConfig defaults, final AlertStore store,
        final boolean webhook) {
        this.profiles = profiles;
        this.defaults = defaults;
        this.store = store;
        this.initialStatus = webhook ? Alert.Delivery.PENDING : Alert.Delivery.NOT_SENT;
    }

    /** Checks every profile as of {@code nowSecond}; returns the alerts fired now, already stored. */
    List<Alert> evaluate(final long nowSecond, final long nowMillis) throws StoreException {
        final List<Alert> fired = new ArrayList<>();
        for (final ProfileService.Billing billing : profiles.billing(nowSecond)) {
            final ProfileConfig profile = billing.profile();
            final AlertRules.Limits limits = defaults.limits(profile);
            final ZoneId zone = profile.plan().zone();
            if (billing.active() && billing.capBytes() != null && billing.capBytes() > 0) {
                final Cycle cycle = billing.cycle();
                final int percent = AlertRules.percentToFire(limits.percents(), billing.usedBytes(),
                    billing.capBytes(), store.highestPercent(profile.id(), cycle.startSecond()));
                if (percent > 0) {
                    store(fired, new Alert(Alert.id(profile.id(), cycle.startSecond(), Alert.PERCENT, percent),
                        profile.id(), profile.label(), Alert.PERCENT, percent, cycle.startSecond(), cycle.endSecond(),
                        zone.getId(), billing.usedBytes(), billing.capBytes(), nowSecond,
                        AlertMessages.percent(profile.id(), percent, billing.capBytes(), billing.usedBytes(),
                            cycle.startSecond(), cycle.endSecond(), zone), delivery(nowMillis)));
                }
            }
            final Long budget = limits.dailyBudgetBytes();
            if (budget != null) {
                final Cycle day = AlertRules.localDay(nowSecond, zone);
                final String id = Alert.id(profile.id(), day.startSecond(), Alert.DAILY_BUDGET, budget);
                if (!store.exists(id)) {
                    final long used = profiles.billable(profile, day.startSecond(), nowSecond + 1);
                    if (used >= budget) {
                        store(fired, new Alert(id, profile.id(), profile.label(), Alert.DAILY_BUDGET, budget,
                            day.startSecond(), day.endSecond(), zone.getId(), used, billing.capBytes(), nowSecond,
                            AlertMessages.dailyBudget(profile.id(), budget, used, day.startSecond(), zone),
                            delivery(nowMillis)));
                    }
                }
            }
        }
        return fired;
    }

    private Alert.Delivery delivery(final long nowMillis) {
        return new Alert.Delivery(initialStatus, 0, Alert.Delivery.PENDING.equals(initialStatus) ? nowMillis : null,
            null, null);
    }

    private void store(final List<Alert> fired, final Alert alert) throws StoreException {
        if (store.insert(alert)) {
            fired.add(alert);
        }
    }
}
