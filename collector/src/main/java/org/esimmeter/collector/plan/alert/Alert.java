package org.esimmeter.collector.plan.alert;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import org.esimmeter.collector.query.Times;

/**
 * One fired alert as persisted: what was crossed, in which period, and where its delivery stands.
 *
 * @param id          stable across restarts and retries ({@code profile/periodStart/kind/threshold}; profile ids
 *                    hold no '/'), so a receiver can drop a duplicate delivery
 * @param kind        {@link #PERCENT} (threshold in % of {@code capBytes}) or {@link #DAILY_BUDGET} (threshold in
 *                    bytes; the period is the local calendar day)
 * @param periodStart the billing cycle, or for a daily budget the local day: {@code [periodStart, periodEnd)}
 */
public record Alert(String id, String profile, String label, String kind, long threshold, long periodStart,
    long periodEnd, String timeZone, long usedBytes, Long capBytes, long firedAt, String message,
    Delivery delivery) {

    public static final String PERCENT = "percent";
    public static final String DAILY_BUDGET = "daily_budget";

    /**
     * Delivery to the webhook: {@code pending} (attempts left, next at {@code nextAttemptMillis}), {@code
     * delivered}, {@code failed} (every attempt failed) or {@code not_sent} (no webhook was configured).
     */
    public record Delivery(String status, int attempts, Long nextAttemptMillis, Long deliveredMillis,
        String lastError) {
        public static final String PENDING = "pending";
        public static final String DELIVERED = "delivered";
        public static final String FAILED = "failed";
        public static final String NOT_SENT = "not_sent";
    }

    static String id(final String profile, final long periodStart, final String kind, final long threshold) {
        return profile + "/" + periodStart + "/" + kind + "/" + threshold;
    }

    /** The body POSTed to the webhook: everything but the delivery state. */
    public ObjectNode event() {
        final ZoneId zone = ZoneId.of(timeZone);
        final ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("id", id);
        node.put("profile", profile);
        node.put("label", label);
        node.put("kind", kind);
        if (PERCENT.equals(kind)) {
            node.put("thresholdPercent", threshold);
            node.putNull("budgetBytes");
        } else {
            node.putNull("thresholdPercent");
            node.put("budgetBytes", threshold);
        }
        node.put("usedBytes", usedBytes);
        if (capBytes == null) {
            node.putNull("capBytes");
        } else {
            node.put("capBytes", capBytes);
        }
        final ObjectNode period = node.putObject(PERCENT.equals(kind) ? "cycle" : "day");
        period.put("start", periodStart);
        period.put("startTime", local(periodStart, zone));
        period.put("end", periodEnd);
        period.put("endTime", local(periodEnd, zone));
        node.put("timeZone", timeZone);
        node.put("firedAt", firedAt);
        node.put("firedTime", Times.iso(firedAt));
        node.put("message", message);
        return node;
    }

    /** {@link #event()} with the delivery state, as {@code /v1/alerts} lists it. */
    public ObjectNode listed() {
        final ObjectNode node = event();
        final ObjectNode state = node.putObject("delivery");
        state.put("status", delivery.status());
        state.put("attempts", delivery.attempts());
        millis(state, "nextAttempt", Delivery.PENDING.equals(delivery.status()) ? delivery.nextAttemptMillis() :
            null);
        millis(state, "delivered", delivery.deliveredMillis());
        if (delivery.lastError() == null) {
            state.putNull("lastError");
        } else {
            state.put("lastError", delivery.lastError());
        }
        return node;
    }

    private static void millis(final ObjectNode node, final String name, final Long epochMillis) {
        if (epochMillis == null) {
            node.putNull(name + "At");
            node.putNull(name + "Time");
        } else {
            node.put(name + "At", epochMillis / 1000);
            node.put(name + "Time", DateTimeFormatter.ISO_INSTANT.format(Instant.ofEpochMilli(epochMillis)));
        }
    }

    private static String local(final long epochSecond, final ZoneId zone) {
        return DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(Instant.ofEpochSecond(epochSecond).atZone(zone));
    }
}
