package org.esimmeter.collector.plan.alert;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.esimmeter.collector.config.CollectorConfig;
import org.esimmeter.collector.plan.ProfileService;
import org.esimmeter.collector.store.IngestOutcome;
import org.esimmeter.collector.store.RetentionPolicy;
import org.esimmeter.collector.store.sqlite.SqliteUsageStore;
import org.esimmeter.collector.web.Frames;
import org.esimmeter.common.config.YamlConfigLoader;
import org.esimmeter.wire.BatchReader;
import org.esimmeter.wire.Direction;
import org.esimmeter.wire.WireFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The evaluator over a real SQLite store and the real {@link ProfileService}, with the clock in the test's hands.
 * <pre>
 * travel-5gb      monthly 5000 B, reset 1st 00:00 Europe/Berlin: November cycle 2026-10-31T23:00Z .. 2026-11-30T23:00Z
 * unlimited-home  monthly unlimited, Europe/Berlin, daily budget 1000 B
 * </pre>
 */
class AlertEvaluatorTest {
    private static final String CONFIG = "agents:\n  router-a:\n    token: token-of-router-a-0123456789\n" +
        "profiles:\n" +
        "  - id: travel-5gb\n" +
        "    plan: {type: monthly, capBytes: 5000, resetDay: 1, timeZone: Europe/Berlin}\n" +
        "  - id: unlimited-home\n" +
        "    plan: {type: monthly, unlimited: true, resetDay: 1, timeZone: Europe/Berlin}\n" +
        "    alerts: {dailyBudgetBytes: 1000}\n";
    private static final long NOVEMBER = at("2026-10-31T23:00:00Z");
    private static final long DECEMBER = at("2026-11-30T23:00:00Z");
    private static final long FIRED_MILLIS = 1_800_000_000_000L;

    @TempDir
    Path directory;

    private CollectorConfig config;
    private SqliteUsageStore usage;
    private AlertStore alerts;
    private AlertEvaluator evaluator;
    private long sequence;

    @BeforeEach
    void open() throws Exception {
        final Path file = directory.resolve("collector.yaml");
        Files.writeString(file, CONFIG);
        config = YamlConfigLoader.load(file, CollectorConfig.class);
        usage = SqliteUsageStore.open(directory, new RetentionPolicy(Map.of()));
        alerts = AlertStore.open(usage.file());
        evaluator = evaluator(true);
    }

    @AfterEach
    void close() throws Exception {
        alerts.close();
        usage.close();
    }

    @Test
    void shouldFireEachThresholdOncePerCycle() throws Exception {
        use("travel-5gb", "2026-11-10T08:00:00Z", 2_600);

        final List<Alert> first = evaluator.evaluate(at("2026-11-20T12:00:00Z"), FIRED_MILLIS);
        assertEquals(1, first.size());
        final Alert fifty = first.get(0);
        assertEquals("travel-5gb/" + NOVEMBER + "/percent/50", fifty.id());
        assertEquals(Alert.PERCENT, fifty.kind());
        assertEquals(50, fifty.threshold());
        assertEquals(2_600, fifty.usedBytes());
        assertEquals(5_000L, fifty.capBytes());
        assertEquals(NOVEMBER, fifty.periodStart());
        assertEquals(DECEMBER, fifty.periodEnd());
        assertEquals(at("2026-11-20T12:00:00Z"), fifty.firedAt());
        assertEquals("profile travel-5gb: 50 % of 5.00 kB used (2.60 kB) in cycle 2026-11-01..2026-12-01",
            fifty.message());
        assertEquals(new Alert.Delivery(Alert.Delivery.PENDING, 0, FIRED_MILLIS, null, null), fifty.delivery());
        assertEquals(List.of(), evaluator.evaluate(at("2026-11-20T12:00:05Z"), FIRED_MILLIS));

        use("travel-5gb", "2026-11-20T12:00:06Z", 1_420);
        final List<Alert> second = evaluator.evaluate(at("2026-11-20T12:00:10Z"), FIRED_MILLIS);
        assertEquals(List.of("travel-5gb/" + NOVEMBER + "/percent/80"), ids(second));
        assertEquals(4_020, second.get(0).usedBytes());
        assertEquals(List.of(), evaluator.evaluate(at("2026-11-20T12:00:15Z"), FIRED_MILLIS));
        assertEquals(List.of("travel-5gb/" + NOVEMBER + "/percent/80", "travel-5gb/" + NOVEMBER + "/percent/50"),
            ids(alerts.list(null, 10)));
    }

    @Test
    void shouldFireOnlyTheHighestThresholdCrossedAtOnceAndNeverTheLowerOnesLater() throws Exception {
        use("travel-5gb", "2026-11-10T08:00:00Z", 4_800);

        assertEquals(List.of("travel-5gb/" + NOVEMBER + "/percent/95"),
            ids(evaluator.evaluate(at("2026-11-20T12:00:00Z"), FIRED_MILLIS)));
        use("travel-5gb", "2026-11-20T12:00:01Z", 200);
        assertEquals(List.of("travel-5gb/" + NOVEMBER + "/percent/100"),
            ids(evaluator.evaluate(at("2026-11-20T12:00:05Z"), FIRED_MILLIS)));
        use("travel-5gb", "2026-11-20T12:00:06Z", 5_000);
        assertEquals(List.of(), evaluator.evaluate(at("2026-11-20T12:00:10Z"), FIRED_MILLIS));
        assertEquals(2, alerts.list(null, 10).size());
    }

    @Test
    void shouldReArmInTheNextCycle() throws Exception {
        use("travel-5gb", "2026-11-10T08:00:00Z", 2_600);
        assertEquals(1, evaluator.evaluate(at("2026-11-20T12:00:00Z"), FIRED_MILLIS).size());

        // The new cycle starts at 00:00 Berlin time; November's bytes are not December's.
        assertEquals(List.of(), evaluator.evaluate(DECEMBER, FIRED_MILLIS));
        use("travel-5gb", "2026-11-30T22:59:59Z", 2_000); // November's last second: too late for December
        use("travel-5gb", "2026-11-30T23:00:00Z", 2_499);
        assertEquals(List.of(), evaluator.evaluate(at("2026-12-05T12:00:00Z"), FIRED_MILLIS));
        use("travel-5gb", "2026-12-05T12:00:00Z", 1);

        final List<Alert> fired = evaluator.evaluate(at("2026-12-05T12:00:00Z"), FIRED_MILLIS);
        assertEquals(List.of("travel-5gb/" + DECEMBER + "/percent/50"), ids(fired));
        assertEquals(2_500, fired.get(0).usedBytes());
        assertEquals(at("2026-12-31T23:00:00Z"), fired.get(0).periodEnd());
        assertEquals("profile travel-5gb: 50 % of 5.00 kB used (2.50 kB) in cycle 2026-12-01..2027-01-01",
            fired.get(0).message());
    }

    @Test
    void shouldNotFireAgainAfterARestart() throws Exception {
        use("travel-5gb", "2026-11-10T08:00:00Z", 4_100);
        assertEquals(1, evaluator.evaluate(at("2026-11-20T12:00:00Z"), FIRED_MILLIS).size());

        alerts.close();
        alerts = AlertStore.open(usage.file());
        evaluator = evaluator(true);

        assertEquals(List.of(), evaluator.evaluate(at("2026-11-20T12:05:00Z"), FIRED_MILLIS));
        assertEquals(List.of("travel-5gb/" + NOVEMBER + "/percent/80"), ids(alerts.list(null, 10)));
    }

    @Test
    void shouldFireTheDailyBudgetOncePerLocalDayIncludingTheSpringForwardDay() throws Exception {
        // 2026-03-29 in Berlin has 23 hours: 2026-03-28T23:00Z .. 2026-03-29T22:00Z.
        use("unlimited-home", "2026-03-28T22:59:59Z", 5_000); // 23:59:59 on the 28th: another day
        use("unlimited-home", "2026-03-28T23:00:00Z", 600);   // 00:00:00 on the 29th
        use("unlimited-home", "2026-03-29T21:59:00Z", 399);   // 23:59:00 CEST on the 29th
        assertEquals(List.of(), evaluator.evaluate(at("2026-03-29T21:59:30Z"), FIRED_MILLIS));
        use("unlimited-home", "2026-03-29T21:59:59Z", 1);

        final List<Alert> fired = evaluator.evaluate(at("2026-03-29T21:59:59Z"), FIRED_MILLIS);
        assertEquals(1, fired.size());
        final Alert budget = fired.get(0);
        assertEquals("unlimited-home/" + at("2026-03-28T23:00:00Z") + "/daily_budget/1000", budget.id());
        assertEquals(Alert.DAILY_BUDGET, budget.kind());
        assertEquals(1_000, budget.threshold());
        assertEquals(1_000, budget.usedBytes());
        assertEquals(null, budget.capBytes());
        assertEquals(at("2026-03-28T23:00:00Z"), budget.periodStart());
        assertEquals(at("2026-03-29T22:00:00Z"), budget.periodEnd());
        assertEquals("profile unlimited-home: daily budget of 1.00 kB reached (1.00 kB used) on 2026-03-29 " +
            "(Europe/Berlin)", budget.message());
        assertEquals(List.of(), evaluator.evaluate(at("2026-03-29T21:59:59Z"), FIRED_MILLIS));

        // The next local day starts at 00:00 CEST and re-arms the budget.
        use("unlimited-home", "2026-03-29T22:00:00Z", 999);
        assertEquals(List.of(), evaluator.evaluate(at("2026-03-30T10:00:00Z"), FIRED_MILLIS));
        use("unlimited-home", "2026-03-30T10:00:00Z", 1);
        assertEquals(List.of("unlimited-home/" + at("2026-03-29T22:00:00Z") + "/daily_budget/1000"),
            ids(evaluator.evaluate(at("2026-03-30T10:00:00Z"), FIRED_MILLIS)));
    }

    @Test
    void shouldGiveAnUnlimitedPlanNoPercentAlerts() throws Exception {
        use("unlimited-home", "2026-11-10T08:00:00Z", 900); // below the daily budget

        assertEquals(List.of(), evaluator.evaluate(at("2026-11-10T08:00:00Z"), FIRED_MILLIS));
    }

    @Test
    void shouldMarkAlertsNotSentWithoutAWebhook() throws Exception {
        evaluator = evaluator(false);
        use("travel-5gb", "2026-11-10T08:00:00Z", 2_600);

        final List<Alert> fired = evaluator.evaluate(at("2026-11-20T12:00:00Z"), FIRED_MILLIS);

        assertEquals(new Alert.Delivery(Alert.Delivery.NOT_SENT, 0, null, null, null), fired.get(0).delivery());
        assertEquals(List.of(), alerts.due(Long.MAX_VALUE, 10));
    }

    private AlertEvaluator evaluator(final boolean webhook) {
        return new AlertEvaluator(new ProfileService(config.profiles(), usage, new SimpleMeterRegistry()),
            config.alerts(), alerts, webhook);
    }

    /** {@code bytes} IP bytes downloaded by {@code profile} in {@code second}. */
    private void use(final String profile, final String second, final long bytes) throws Exception {
        final byte[] frame = Frames.batch("router-a", ++sequence)
            .second("wwan0", profile, at(second))
            .flow(Direction.DOWN, 6, "1.1.1.1", 443, "10.0.0.2", 50000, 1, bytes + 40, bytes)
            .encode();
        assertEquals(IngestOutcome.STORED, usage.ingest(new BatchReader(WireFormat.DEFAULT_MAX_FRAME_BYTES)
            .read(Unpooled.wrappedBuffer(frame))));
    }

    private static List<String> ids(final List<Alert> alerts) {
        return alerts.stream().map(Alert::id).toList();
    }

    private static long at(final String instant) {
        return Instant.parse(instant).getEpochSecond();
    }
}
