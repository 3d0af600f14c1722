package org.esimmeter.collector.plan.alert;

import static org.esimmeter.common.config.ConfigRanges.between;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import org.esimmeter.common.config.ConfigException;

/**
 * The {@code webhook:} every alert is POSTed to as JSON. A delivery that fails (no connection, a timeout, a status
 * other than 2xx) is retried after {@code retryDelayMillis}, doubling up to {@code maxRetryDelayMillis}, until
 * {@code maxAttempts} attempts were made. Absent: alerts are logged and listed by {@code /v1/alerts} only.
 */
public record WebhookConfig(
    @JsonProperty("url") String url,
    @JsonProperty("bearerToken") String bearerToken,
    @JsonProperty("timeoutSeconds") Integer timeoutSeconds,
    @JsonProperty("maxAttempts") Integer maxAttempts,
    @JsonProperty("retryDelayMillis") Integer retryDelayMillis,
    @JsonProperty("maxRetryDelayMillis") Integer maxRetryDelayMillis) {

    public WebhookConfig {
        if (url == null || url.isBlank()) {
            throw new ConfigException("webhook.url : missing (expected: an http:// or https:// URL)");
        }
        url = url.trim();
        uri(url);
        if (bearerToken != null) {
            for (int i = 0; i < bearerToken.length(); i++) {
                final char c = bearerToken.charAt(i);
                // Sent in an HTTP header: visible ASCII only.
                if (c <= ' ' || c >= 127) {
                    throw new ConfigException("webhook.bearerToken : character " + (i + 1) +
                        " is not printable ASCII (expected: visible ASCII, no spaces)");
                }
            }
            if (bearerToken.isEmpty()) {
                throw new ConfigException("webhook.bearerToken : empty (expected: the token, or no bearerToken)");
            }
        }
        timeoutSeconds = between("webhook.timeoutSeconds", timeoutSeconds, 10, 1, 300);
        maxAttempts = between("webhook.maxAttempts", maxAttempts, 20, 1, 1_000);
        retryDelayMillis = between("webhook.retryDelayMillis", retryDelayMillis, 5_000, 10, 3_600_000);
        maxRetryDelayMillis = between("webhook.maxRetryDelayMillis", maxRetryDelayMillis, 900_000, 10, 86_400_000);
        if (maxRetryDelayMillis < retryDelayMillis) {
            throw new ConfigException("webhook.maxRetryDelayMillis : " + maxRetryDelayMillis + " (expected: >= " +
                "retryDelayMillis " + retryDelayMillis + ")");
        }
    }

    public URI uri() {
        return uri(url);
    }

    /** Wait before attempt {@code attempt + 1} after {@code attempt} failed ones (1, 2, ...): doubling, capped. */
    public long retryDelayMillis(final int attempt) {
        final int doublings = Math.min(attempt - 1, 30);
        return Math.min((long) maxRetryDelayMillis, (long) retryDelayMillis << doublings);
    }

    private static URI uri(final String url) {
        final String expected = " (expected: an http:// or https:// URL, e.g. https://hooks.example.org/esim)";
        try {
            final URI uri = new URI(url);
            final String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!("http".equals(scheme) || "https".equals(scheme)) || uri.getHost() == null) {
                throw new ConfigException("webhook.url : " + url + expected);
            }
            return uri;
        } catch (final URISyntaxException e) {
            throw new ConfigException("webhook.url : " + url + expected);
        }
    }
}
