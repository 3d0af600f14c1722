package org.esimmeter.collector.plan.alert;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.function.LongSupplier;
import org.esimmeter.collector.store.StoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * POSTs pending alerts to the webhook, one attempt per due alert per call; a 2xx answer is delivery. Every attempt's
 * outcome is stored before the next, so after a restart undelivered alerts carry on where they were (at least once:
 * a receiver that answered but whose answer was lost gets the alert again, with the same {@code id}).
 */
final class WebhookSender {
    private static final Logger LOG = LoggerFactory.getLogger(WebhookSender.class);
    private static final int BATCH = 100;
    private static final int MAX_ERROR = 200;

    private final WebhookConfig config;
    private final AlertStore store;
    private final ObjectMapper json;
    private final HttpClient client;
    private final Counter delivered;
    private final Counter failures;
    private final Counter abandoned;
    private final LongSupplier wallMillis;

    WebhookSender(final WebhookConfig config, final AlertStore store, final ObjectMapper json,
        final Counter delivered, final Counter failures, final Counter abandoned, final LongSupplier wallMillis) {
        this.wallMillis = wallMillis;
        this.config = config;
        this.store = store;
        this.json = json;
        this.client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(config.timeoutSeconds())).build();
        this.delivered = delivered;
        this.failures = failures;
        this.abandoned = abandoned;
    }

    /** One attempt for every alert due at {@code nowMillis}; returns the number of attempts made. */
    int sendDue(final long nowMillis) throws StoreException, InterruptedException {
        final List<Alert> due = store.due(nowMillis, BATCH);
        for (final Alert alert : due) {
            final int attempt = alert.delivery().attempts() + 1;
            final String error = post(alert);
            final long at = wallMillis.getAsLong();
            if (error == null) {
                store.attempted(alert.id(), new Alert.Delivery(Alert.Delivery.DELIVERED, attempt, null, at, null));
                delivered.increment();
                LOG.info("alert {} delivered to the webhook (attempt {})", alert.id(), attempt);
            } else if (attempt >= config.maxAttempts()) {
                store.attempted(alert.id(), new Alert.Delivery(Alert.Delivery.FAILED, attempt, null, null, error));
                failures.increment();
                abandoned.increment();
                LOG.error("alert {} not delivered: attempt {} of {} failed ({}); giving up", alert.id(), attempt,
                    config.maxAttempts(), error);
            } else {
                final long delay = config.retryDelayMillis(attempt);
                store.attempted(alert.id(), new Alert.Delivery(Alert.Delivery.PENDING, attempt, at + delay, null,
                    error));
                failures.increment();
                LOG.warn("alert {}: webhook attempt {} of {} failed ({}); retrying in {} ms", alert.id(), attempt,
                    config.maxAttempts(), error, delay);
            }
        }
        return due.size();
    }

    /** Null when delivered, else why not in one line. */
    private String post(final Alert alert) throws InterruptedException {
        final byte[] body;
        try {
            body = json.writeValueAsBytes(alert.event());
        } catch (final JsonProcessingException e) {
            throw new IllegalStateException("alert " + alert.id() + " : cannot write JSON", e);
        }
        final HttpRequest.Builder request = HttpRequest.newBuilder(config.uri())
            .timeout(Duration.ofSeconds(config.timeoutSeconds()))
            .header("Content-Type", "application/json")
            .header("User-Agent", "esim-meter-collector")
            // Receivers that deduplicate on a header find the alert's id here as well as in the body.
            .header("Idempotency-Key", alert.id())
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (config.bearerToken() != null) {
            request.header("Authorization", "Bearer " + config.bearerToken());
        }
        try {
            final HttpResponse<Void> response = client.send(request.build(), HttpResponse.BodyHandlers.discarding());
            final int status = response.statusCode();
            return status >= 200 && status < 300 ? null : "HTTP " + status;
        } catch (final IOException e) {
            final String message = e.getMessage() == null ? e.getClass().getSimpleName() :
                e.getClass().getSimpleName() + ": " + e.getMessage();
            final String line = message.replace('\n', ' ').replace('\r', ' ');
            return line.length() > MAX_ERROR ? line.substring(0, MAX_ERROR) : line;
        }
    }
}
