package org.esimmeter.collector.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.esimmeter.collector.plan.alert.AlertRules;
import org.esimmeter.collector.plan.alert.WebhookConfig;
import org.esimmeter.common.config.ConfigException;
import org.esimmeter.common.config.YamlConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The {@code alerts:} and {@code webhook:} sections and {@code profiles[].alerts}: defaults, merging, refusals. */
class AlertsConfigTest {
    private static final String AGENTS = "agents:\n  router-a:\n    token: token-of-router-a-0123456789\n";
    private static final String PLAN = "    plan: {type: monthly, capBytes: 5000, resetDay: 1, timeZone: UTC}\n";

    @TempDir
    Path directory;

    @Test
    void shouldMergeAProfilesAlertsWithTheCollectorDefaultsKeyByKey() throws Exception {
        final CollectorConfig config = load(AGENTS +
            "alerts:\n  thresholds: [90, 75]\n  dailyBudgetBytes: 1000\n  checkSeconds: 2\n" +
            "profiles:\n" +
            "  - id: own-budget\n" + PLAN + "    alerts: {dailyBudgetBytes: 5}\n" +
            "  - id: no-percent\n" + PLAN + "    alerts: {thresholds: []}\n" +
            "  - id: defaults\n" + PLAN);

        assertEquals(2, config.alerts().checkSeconds());
        assertEquals(new AlertRules.Limits(List.of(75, 90), 5L), config.alerts().limits(config.profiles().get(0)));
        assertEquals(new AlertRules.Limits(List.of(), 1000L), config.alerts().limits(config.profiles().get(1)));
        assertEquals(new AlertRules.Limits(List.of(75, 90), 1000L), config.alerts().limits(config.profiles().get(2)));
    }

    @Test
    void shouldAlertAtHalfMostNearlyAllAndAllOfThePlanByDefault() throws Exception {
        final CollectorConfig config = load(AGENTS + "profiles:\n  - id: p\n" + PLAN);

        assertEquals(new AlertRules.Limits(List.of(50, 80, 95, 100), null),
            config.alerts().limits(config.profiles().get(0)));
        assertEquals(5, config.alerts().checkSeconds());
        assertNull(config.webhook());
    }

    @Test
    void shouldReadTheProfileAlertsOfTheExampleOnceUncommented() throws Exception {
        final List<String> lines = Files.readAllLines(ConfigLoaderTest.repositoryRoot()
            .resolve("config/collector.yaml"));
        final StringBuilder yaml = new StringBuilder(AGENTS);
        boolean inProfiles = false;
        for (final String line : lines) {
            inProfiles |= line.equals("# profiles:");
            if (inProfiles) {
                yaml.append(line.substring(2)).append('\n');
            }
        }

        final CollectorConfig config = load(yaml.toString());

        assertEquals(new AlertRules.Limits(List.of(80, 100), 500_000_000L),
            config.alerts().limits(config.profiles().get(0)));
        assertEquals(new AlertRules.Limits(List.of(50, 80, 95, 100), null),
            config.alerts().limits(config.profiles().get(1)));
    }

    @Test
    void shouldReadAWebhookWithItsDefaultsAndATokenFromTheEnvironment() throws Exception {
        Files.writeString(file(), AGENTS + "webhook:\n  url: https://hooks.example.org/esim\n" +
            "  bearerToken: ${WEBHOOK_TOKEN}\n");

        final WebhookConfig webhook = YamlConfigLoader.load(file(), CollectorConfig.class,
            name -> "WEBHOOK_TOKEN".equals(name) ? "secret-of-the-receiver" : null).webhook();

        assertEquals(URI.create("https://hooks.example.org/esim"), webhook.uri());
        assertEquals("secret-of-the-receiver", webhook.bearerToken());
        assertEquals(10, webhook.timeoutSeconds());
        assertEquals(20, webhook.maxAttempts());
        assertEquals(5_000, webhook.retryDelayMillis());
        assertEquals(900_000, webhook.maxRetryDelayMillis());
    }

    @Test
    void shouldDoubleTheRetryDelayUpToItsMaximum() throws Exception {
        final WebhookConfig webhook = load(AGENTS + "webhook:\n  url: http://127.0.0.1:9000/\n" +
            "  retryDelayMillis: 1000\n  maxRetryDelayMillis: 10000\n").webhook();

        assertEquals(1_000, webhook.retryDelayMillis(1));
        assertEquals(2_000, webhook.retryDelayMillis(2));
        assertEquals(8_000, webhook.retryDelayMillis(4));
        assertEquals(10_000, webhook.retryDelayMillis(5));
        assertEquals(10_000, webhook.retryDelayMillis(999));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "alerts:\\n  thresholds: [50, 0]\\n|alerts.thresholds : 0 (expected: percentages of the cap, 1..1000)",
        "alerts:\\n  thresholds: [80, 50, 80]\\n|alerts.thresholds : 80 given twice (expected: each threshold once)",
        "alerts:\\n  thresholds: 50\\n|alerts.thresholds : 50 (expected: a list)",
        "alerts:\\n  treshold: [50]\\n|alerts.treshold : unknown key (did you mean thresholds?)",
        "alerts:\\n  dailyBudgetBytes: 0\\n|alerts.dailyBudgetBytes : 0 (expected: bytes > 0)",
        "alerts:\\n  dailyBudgetBytes: 5GB\\n|alerts.dailyBudgetBytes : \"5GB\" (expected: a whole number)",
        "alerts:\\n  checkSeconds: 0\\n|alerts.checkSeconds : 0 (expected: 1..3600)",
        "webhook:\\n  timeoutSeconds: 5\\n|webhook.url : missing (expected: an http:// or https:// URL)",
        "webhook:\\n  url: ftp://example.org/x\\n|webhook.url : ftp://example.org/x (expected: an http:// or https:// URL, e.g. https://hooks.example.org/esim)",
        "webhook:\\n  url: hooks.example.org/x\\n|webhook.url : hooks.example.org/x (expected: an http:// or https:// URL, e.g. https://hooks.example.org/esim)",
        "webhook:\\n  url: https://h.example/\\n  maxAttempts: 0\\n|webhook.maxAttempts : 0 (expected: 1..1000)",
        "webhook:\\n  url: https://h.example/\\n  timeoutSeconds: 301\\n|webhook.timeoutSeconds : 301 (expected: 1..300)",
        "webhook:\\n  url: https://h.example/\\n  retryDelayMillis: 60000\\n  maxRetryDelayMillis: 1000\\n|webhook.maxRetryDelayMillis : 1000 (expected: >= retryDelayMillis 60000)",
        "webhook:\\n  url: https://h.example/\\n  bearerToken: \"a b\"\\n|webhook.bearerToken : character 2 is not printable ASCII (expected: visible ASCII, no spaces)",
        "webhook:\\n  url: https://h.example/\\n  timeout: 5\\n|webhook.timeout : unknown key (expected one of: url, bearerToken, timeoutSeconds, maxAttempts, retryDelayMillis, maxRetryDelayMillis)",
        "profiles:\\n  - id: p\\n    plan: {type: monthly, unlimited: true, resetDay: 1, timeZone: UTC}\\n    alerts: {thresholds: [100, 2000]}\\n|profiles[0].alerts.thresholds : 2000 (expected: percentages of the cap, 1..1000)",
        "profiles:\\n  - id: p\\n    plan: {type: monthly, unlimited: true, resetDay: 1, timeZone: UTC}\\n    alerts: {dailyBudgetBytes: -1}\\n|profiles[0].alerts.dailyBudgetBytes : -1 (expected: bytes > 0)",
        "profiles:\\n  - id: p\\n    plan: {type: monthly, unlimited: true, resetDay: 1, timeZone: UTC}\\n    alerts: {checkSeconds: 5}\\n|profiles[0].alerts.checkSeconds : unknown key (expected one of: thresholds, dailyBudgetBytes)",
    })
    void shouldNameTheKeyOfEveryMistake(final String yaml, final String message) throws Exception {
        final String text = AGENTS + yaml.replace("\\n", "\n");

        final ConfigException e = assertThrows(ConfigException.class, () -> load(text));

        assertEquals(file() + " : " + message, e.getMessage());
    }

    private CollectorConfig load(final String yaml) throws Exception {
        Files.writeString(file(), yaml);
        return YamlConfigLoader.load(file(), CollectorConfig.class);
    }

    private Path file() {
        return directory.resolve("collector.yaml");
    }
}
