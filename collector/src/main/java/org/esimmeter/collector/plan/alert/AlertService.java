package org.esimmeter.collector.plan.alert;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.esimmeter.collector.ingest.StoreTimers;
import org.esimmeter.collector.plan.ProfileConfig;
import org.esimmeter.collector.plan.ProfileService;
import org.esimmeter.collector.query.BadParameterException;
import org.esimmeter.collector.query.Times;
import org.esimmeter.collector.store.StoreException;
import org.esimmeter.collector.store.UsageStore;
import org.esimmeter.wire.WireFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Threshold alerts: a thread ({@code alert-check}) checks usage every {@code alerts.checkSeconds}, logs each new
 * alert as one WARN line, and another ({@code alert-webhook}) delivers them to the webhook, retrying with backoff;
 * {@code GET /v1/alerts} lists them. State lives in {@link AlertStore}, so a restart neither fires an alert again
 * nor forgets one that is still to be delivered.
 */
public final class AlertService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AlertService.class);
    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 1_000;
    private static final long IDLE_WAKE_MILLIS = 60_000;
    private static final Set<String> PARAMETERS = Set.of("profile", "limit");

    private final List<ProfileConfig> profiles;
    private final AlertStore store;
    private final AlertEvaluator evaluator;
    private final WebhookSender sender;
    private final LongSupplier nowSecond;
    private final LongSupplier wallMillis;
    private final Counter percentFired;
    private final Counter budgetFired;
    private final Timer checks;
    private final ScheduledExecutorService checker;
    private final Thread webhook;
    private final Semaphore wake = new Semaphore(0);
    private volatile boolean running = true;

    private AlertService(final List<ProfileConfig> profiles, final AlertDefaultsConfig defaults,
        final WebhookConfig webhookConfig, final UsageStore usage, final AlertStore store,
        final MeterRegistry registry, final LongSupplier nowSecond, final LongSupplier wallMillis) {
        this.profiles = List.copyOf(profiles);
        this.store = store;
        this.nowSecond = nowSecond;
        this.wallMillis = wallMillis;
        this.evaluator = new AlertEvaluator(new ProfileService(profiles, usage, registry), defaults, store,
            webhookConfig != null);
        this.percentFired = fired(registry, Alert.PERCENT);
        this.budgetFired = fired(registry, Alert.DAILY_BUDGET);
        this.checks = StoreTimers.timer(registry, "alerts");
        final Counter delivered = Counter.builder("esim.alerts.delivered")
            .description("Alerts the webhook accepted (2xx)").register(registry);
        final Counter failures = Counter.builder("esim.alerts.delivery.failures")
            .description("Webhook attempts that failed (no connection, timeout, not 2xx)").register(registry);
        final Counter abandoned = Counter.builder("esim.alerts.abandoned")
            .description("Alerts given up on after webhook.maxAttempts failed attempts").register(registry);
        this.sender = webhookConfig == null ? null : new WebhookSender(webhookConfig, store, new ObjectMapper(),
            delivered, failures, abandoned, wallMillis);
        checker = Executors.newSingleThreadScheduledExecutor(task -> {
            final Thread thread = new Thread(task, "alert-check");
            thread.setDaemon(true);
            return thread;
        });
        checker.scheduleWithFixedDelay(this::check, 0, defaults.checkSeconds(), TimeUnit.SECONDS);
        if (sender == null) {
            webhook = null;
        } else {
            webhook = new Thread(this::deliver, "alert-webhook");
            webhook.setDaemon(true);
            webhook.start();
        }
    }

    /**
     * Opens the alert table in {@code databaseFile} (the store's file) and starts checking and delivering.
     *
     * @param nowSecond the clock cycles and days are computed on (the server's)
     */
    public static AlertService start(final List<ProfileConfig> profiles, final AlertDefaultsConfig defaults,
        final WebhookConfig webhook, final UsageStore usage, final Path databaseFile, final MeterRegistry registry,
        final LongSupplier nowSecond) throws StoreException {
        final AlertStore store = AlertStore.open(databaseFile);
        return new AlertService(profiles, defaults, webhook, usage, store, registry, nowSecond,
            System::currentTimeMillis);
    }

    /** {@code GET /v1/alerts}: parameters {@code profile} (id or ICCID) and {@code limit}; newest first. */
    public ObjectNode list(final Map<String, List<String>> parameters) throws BadParameterException,
        StoreException {
        for (final Map.Entry<String, List<String>> entry : parameters.entrySet()) {
            if (!PARAMETERS.contains(entry.getKey())) {
                throw new BadParameterException(entry.getKey(), entry.getKey() + " : unknown parameter (expected: " +
                    "limit, profile)");
            }
            if (entry.getValue().size() != 1) {
                throw new BadParameterException(entry.getKey(), entry.getKey() + " : given " +
                    entry.getValue().size() + " times (expected: once)");
            }
        }
        final String profile = profile(parameters.get("profile"));
        final int limit = limit(parameters.get("limit"));
        final long now = nowSecond.getAsLong();
        final ObjectNode root = JsonNodeFactory.instance.objectNode();
        root.put("asOf", now);
        root.put("asOfTime", Times.iso(now));
        final ArrayNode array = root.putArray("alerts");
        for (final Alert alert : store.list(profile, limit)) {
            array.add(alert.listed());
        }
        return root;
    }

    /** Stops checking and delivering (an attempt in flight is cut short and made again after a restart). */
    @Override
    public void close() throws StoreException {
        running = false;
        checker.shutdownNow();
        if (webhook != null) {
            webhook.interrupt();
        }
        try {
            checker.awaitTermination(10, TimeUnit.SECONDS);
            if (webhook != null) {
                webhook.join(10_000);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        store.close();
    }

    private void check() {
        final long startNanos = System.nanoTime();
        try {
            final List<Alert> fired = evaluator.evaluate(nowSecond.getAsLong(), wallMillis.getAsLong());
            for (final Alert alert : fired) {
                (Alert.PERCENT.equals(alert.kind()) ? percentFired : budgetFired).increment();
                LOG.warn("{}", alert.message());
            }
            if (!fired.isEmpty()) {
                wake.release();
            }
        } catch (final StoreException | RuntimeException e) {
            LOG.warn("alert check failed (retried at the next check): {}", e.getMessage());
        } finally {
            checks.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
        }
    }

    private void deliver() {
        while (running) {
            try {
                sender.sendDue(wallMillis.getAsLong());
                final Long next = store.nextDueMillis();
                final long waitMillis = next == null ? IDLE_WAKE_MILLIS :
                    Math.max(0, Math.min(IDLE_WAKE_MILLIS, next - wallMillis.getAsLong()));
                if (waitMillis > 0 && wake.tryAcquire(waitMillis, TimeUnit.MILLISECONDS)) {
                    wake.drainPermits();
                }
            } catch (final InterruptedException e) {
                return;
            } catch (final StoreException | RuntimeException e) {
                LOG.warn("alert delivery failed (retried in a second): {}", e.getMessage());
                try {
                    Thread.sleep(1_000);
                } catch (final InterruptedException stop) {
                    return;
                }
            }
        }
    }

    private String profile(final List<String> values) throws BadParameterException, StoreException {
        if (values == null) {
            return null;
        }
        final String value = values.get(0);
        final int length = value.getBytes(StandardCharsets.UTF_8).length;
        if (length < 1 || length > WireFormat.MAX_STRING_BYTES) {
            throw new BadParameterException("profile", "profile : " + length + " UTF-8 bytes (expected: 1.." +
                WireFormat.MAX_STRING_BYTES + ")");
        }
        for (final ProfileConfig profile : profiles) {
            if (profile.matches(value)) {
                return profile.id();
            }
        }
        if (store.hasProfile(value)) {
            return value; // a profile since removed from the configuration still lists its alerts
        }
        throw new BadParameterException("profile", "profile : " + value + " (expected: the id or ICCID of a " +
            "configured profile, see /v1/profiles)");
    }

    private static int limit(final List<String> values) throws BadParameterException {
        if (values == null) {
            return DEFAULT_LIMIT;
        }
        final String text = values.get(0);
        try {
            final int limit = Integer.parseInt(text);
            if (limit >= 1 && limit <= MAX_LIMIT) {
                return limit;
            }
        } catch (final NumberFormatException e) {
            // reported below
        }
        throw new BadParameterException("limit", "limit : " + text + " (expected: 1.." + MAX_LIMIT + ")");
    }

    private static Counter fired(final MeterRegistry registry, final String kind) {
        return Counter.builder("esim.alerts.fired").tag("kind", kind)
            .description("Alerts fired (each threshold once per cycle, each daily budget once per day)")
            .register(registry);
    }
}
