package org.esimmeter.collector.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.esimmeter.collector.CollectorMain;
import org.esimmeter.collector.store.Resolution;
import org.esimmeter.common.config.ConfigException;
import org.esimmeter.common.config.YamlConfigLoader;
import org.esimmeter.common.logging.LogLevel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The collector's YAML configuration, the annotated example, and the check-config command. */
class ConfigLoaderTest {
    private static final String AGENTS = "agents:\n  router-a:\n    token: token-of-router-a-0123456789\n";

    @TempDir
    Path directory;

    @Test
    void shouldLoadTheAnnotatedExampleWithItsDefaults() {
        final Path example = repositoryRoot().resolve("config/collector.yaml");

        final CollectorConfig config = YamlConfigLoader.load(example, CollectorConfig.class,
            name -> "ESIM_METER_TOKEN_ROUTER_BERLIN".equals(name) ? "berlin-token-from-the-environment" : null);

        assertEquals("127.0.0.1", config.listen().address());
        assertEquals(7470, config.listen().port());
        assertEquals("./data", config.dataDirectory());
        assertEquals(16 << 20, config.maxBatchBytes());
        assertEquals(7L * 86_400, config.retention().policy().keep(Resolution.SECOND));
        assertEquals(90L * 86_400, config.retention().policy().keep(Resolution.MINUTE));
        assertEquals(-1, config.retention().policy().keep(Resolution.HOUR));
        assertEquals(-1, config.retention().policy().keep(Resolution.DAY));
        assertEquals(Map.of("router-berlin", "berlin-token-from-the-environment",
            "router-lisbon", "change-me-to-a-long-random-string"), config.agentTokens());
        assertNull(config.readToken());
        assertEquals(15, config.live().heartbeatSeconds());
        assertEquals(10_000, config.live().maxViewers());
        assertEquals(1 << 20, config.live().viewerBufferBytes());
        assertEquals(4, config.workerThreads());
        assertEquals(LogLevel.INFO, config.logging().threshold());
        assertEquals(List.of(50, 80, 95, 100), config.alerts().thresholds());
        assertNull(config.alerts().dailyBudgetBytes());
        assertEquals(5, config.alerts().checkSeconds());
        assertNull(config.webhook());
    }

    @Test
    void shouldTakeDefaultsForEverythingButAgents() throws Exception {
        final CollectorConfig config = load(AGENTS);

        assertEquals("127.0.0.1", config.listen().address());
        assertEquals(7470, config.listen().port());
        assertEquals(RetentionDefaults.SECOND, config.retention().policy().keep(Resolution.SECOND));
        assertEquals(RetentionDefaults.MINUTE, config.retention().policy().keep(Resolution.MINUTE));
    }

    @Test
    void shouldReadRetentionDurationsInEveryUnit() throws Exception {
        final CollectorConfig config = load(AGENTS + "retention:\n  1s: 36h\n  1m: 2w\n  1h: 400d\n  1d: forever\n");

        assertEquals(36L * 3_600, config.retention().policy().keep(Resolution.SECOND));
        assertEquals(14L * 86_400, config.retention().policy().keep(Resolution.MINUTE));
        assertEquals(400L * 86_400, config.retention().policy().keep(Resolution.HOUR));
        assertEquals(-1, config.retention().policy().keep(Resolution.DAY));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "listen:\\n  port: 70000\\n|listen.port : 70000 (expected: 0..65535)",
        "listen:\\n  adress: 0.0.0.0\\n|listen.adress : unknown key (did you mean address?)",
        "dataDir: /tmp\\n|dataDir : unknown key (expected one of: listen, dataDirectory, maxBatchBytes, retention, agents, readToken, live, workerThreads, logging, profiles, alerts, webhook)",
        "live:\\n  heartbeatSecond: 5\\n|live.heartbeatSecond : unknown key (did you mean heartbeatSeconds?)",
        "listen:\\n  port: http\\n|listen.port : \"http\" (expected: a whole number)",
        "workerThreads: 2.5\\n|workerThreads : 2.5 (expected: a whole number)",
        "retention: 7d\\n|retention : \"7d\" (expected: a mapping of keys to values)",
        "logging:\\n  level: chatty\\n|logging.level : chatty (expected: error, warn, info, debug or trace)",
        "logging:\\n  levle: debug\\n|logging.levle : unknown key (did you mean level?)",
        "maxBatchBytes: 10\\n|maxBatchBytes : 10 (expected: 1024..1073741824)",
        "retention:\\n  1s: 7x\\n|retention.1s : 7x (expected: a positive number with s, m, h, d or w, e.g. 7d, or forever)",
        "retention:\\n  1s: 0d\\n|retention.1s : 0d (expected: a positive number with s, m, h, d or w, e.g. 7d, or forever)",
        "retention:\\n  1m: 1d\\n|retention.1m : shorter than a finer resolution's (expected: 1s <= 1m <= 1h <= 1d)",
        "retention:\\n  1h: 30m\\n|retention.1h : 30m (expected: at least one 1h bucket)",
        "readToken: short\\n|readToken : 5 characters (expected: >= 16)",
        "live:\\n  heartbeatSeconds: 0\\n|live.heartbeatSeconds : 0 (expected: 1..3600)",
        "workerThreads: 0\\n|workerThreads : 0 (expected: 1..256)",
    })
    void shouldNameTheKeyOfEveryMistake(final String yaml, final String message) throws Exception {
        final String text = AGENTS + yaml.replace("\\n", "\n");

        final ConfigException e = assertThrows(ConfigException.class, () -> load(text));

        assertEquals(directory.resolve("collector.yaml") + " : " + message, e.getMessage());
    }

    @Test
    void shouldRequireAgentsWithTokensOfTheirOwn() throws Exception {
        assertEquals(file() + " : agents : missing (expected: at least one agent id with its token)",
            assertThrows(ConfigException.class, () -> load("listen:\n  port: 0\n")).getMessage());
        assertEquals(file() + " : agents.router-a.tokn : unknown key (did you mean token?)",
            assertThrows(ConfigException.class, () -> load("agents:\n  router-a:\n    tokn: x\n")).getMessage());
        assertEquals(file() + " : agents.router-a.token : missing",
            assertThrows(ConfigException.class, () -> load("agents:\n  router-a: {}\n")).getMessage());
        assertEquals(file() + " : agents.router-a.token : 5 characters (expected: >= 16)",
            assertThrows(ConfigException.class, () -> load("agents:\n  router-a:\n    token: short\n"))
                .getMessage());
        assertEquals(file() + " : agents.router-b.token : same as agents.router-a.token (expected: one token " +
            "per agent, so a leaked token names its router)", assertThrows(ConfigException.class, () -> load(AGENTS +
                "  router-b:\n    token: token-of-router-a-0123456789\n")).getMessage());
        assertEquals(file() + " : agents.router-a.token : character 6 is not printable ASCII (expected: visible " +
            "ASCII, no spaces)", assertThrows(ConfigException.class,
                () -> load("agents:\n  router-a:\n    token: \"token with spaces in it\"\n")).getMessage());
    }

    @Test
    void shouldTakeASecretFromTheEnvironment() throws Exception {
        Files.writeString(file(), "agents:\n  router-a:\n    token: ${ROUTER_A_TOKEN}\nreadToken: ${READ}\n");

        final CollectorConfig config = YamlConfigLoader.load(file(), CollectorConfig.class, name -> Map.of("ROUTER_A_TOKEN",
            "token-from-environment-123", "READ", "read-token-from-environment").get(name));

        assertEquals(Map.of("router-a", "token-from-environment-123"), config.agentTokens());
        assertEquals("read-token-from-environment", config.readToken());
        assertEquals(file() + " : readToken : environment variable READ is not set",
            assertThrows(ConfigException.class, () -> YamlConfigLoader.load(file(), CollectorConfig.class,
                name -> "ROUTER_A_TOKEN".equals(name) ? "token-from-environment-123" : null)).getMessage());
    }

    @Test
    void shouldRefuseAMissingOrEmptyFile() throws Exception {
        assertEquals(directory.resolve("absent.yaml") + " : cannot read (no such file)",
            assertThrows(ConfigException.class, () -> YamlConfigLoader.load(directory.resolve("absent.yaml"), CollectorConfig.class))
                .getMessage());
        Files.writeString(file(), "");
        assertEquals(file() + " : empty configuration",
            assertThrows(ConfigException.class, () -> YamlConfigLoader.load(file(), CollectorConfig.class)).getMessage());
    }

    @Test
    void checkConfigShouldSummarizeAGoodFileAndExitZero() throws Exception {
        Files.writeString(file(), AGENTS + "listen:\n  port: 8080\nreadToken: read-token-0123456789\n");
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();

        final int status = CollectorMain.execute(new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8), "check-config", file().toString());

        assertEquals(0, status);
        assertEquals(file() + " : ok (listen 127.0.0.1:8080, dataDirectory ./data, 1 agent, reads need the read " +
            "token, retention 1s 7d 1m 90d 1h forever 1d forever, log level info (default), 0 profiles, " +
            "webhook none)\n",
            out.toString(StandardCharsets.UTF_8));
        assertEquals("", err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void checkConfigShouldExitTwoWithOneLineNamingTheKey() throws Exception {
        Files.writeString(file(), AGENTS + "maxBatchBytes: 1\n");
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();

        final int status = CollectorMain.execute(new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8), "check-config", file().toString());

        assertEquals(2, status);
        assertEquals("esim-meter-collector: " + file() + " : maxBatchBytes : 1 (expected: 1024..1073741824)\n",
            err.toString(StandardCharsets.UTF_8));
        assertEquals("", out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void runShouldExitTwoWhenTheConfigurationIsWrongAndUsageErrorsToo() throws Exception {
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
        final PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

        assertEquals(2, CollectorMain.execute(out, errStream, "run", "--config", directory.resolve("none.yaml")
            .toString()));
        assertEquals("esim-meter-collector: " + directory.resolve("none.yaml") +
            " : cannot read (no such file)\n", err.toString(StandardCharsets.UTF_8));
        err.reset();
        assertEquals(2, CollectorMain.execute(out, errStream, "run"));
        assertEquals("esim-meter-collector: Missing required option: '--config=FILE'",
            err.toString(StandardCharsets.UTF_8).lines().findFirst().orElse(""));
        err.reset();
        assertEquals(2, CollectorMain.execute(out, errStream, "serve"));
        assertEquals("esim-meter-collector: Unmatched argument at index 0: 'serve'",
            err.toString(StandardCharsets.UTF_8).lines().findFirst().orElse(""));
    }

    @Test
    void runShouldRefuseABadLogLevelOption() throws Exception {
        Files.writeString(file(), AGENTS + "dataDirectory: " + directory.resolve("data") + "\n");
        final ByteArrayOutputStream err = new ByteArrayOutputStream();

        assertEquals(2, CollectorMain.execute(new PrintStream(new ByteArrayOutputStream(), true,
            StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), "run", "--config",
            file().toString(), "--log-level", "chatty"));
        assertEquals("esim-meter-collector: --log-level : chatty (expected: error, warn, info, debug or trace)\n",
            err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void versionShouldSayWhenItIsNotABuiltJar() {
        // From the test class path there is no manifest; the jar's version is checked by CollectorCommandsIT.
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        assertEquals(0, CollectorMain.execute(new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), "--version"));
        assertEquals("esim-meter-collector (development build)", out.toString(StandardCharsets.UTF_8).lines()
            .findFirst().orElse(""));
    }

    private Path file() {
        return directory.resolve("collector.yaml");
    }

    private CollectorConfig load(final String yaml) throws Exception {
        Files.writeString(file(), yaml);
        return YamlConfigLoader.load(file(), CollectorConfig.class, name -> null);
    }

    /** The repository's root: the directory above the working one that holds config/collector.yaml. */
    static Path repositoryRoot() {
        Path path = Path.of("").toAbsolutePath();
        while (path != null && !Files.exists(path.resolve("config/collector.yaml"))) {
            path = path.getParent();
        }
        if (path == null) {
            throw new IllegalStateException("no config/collector.yaml above " + Path.of("").toAbsolutePath());
        }
        return path;
    }

    /** The defaults the issue asks for, written out here rather than read from the code under test. */
    private static final class RetentionDefaults {
        static final long SECOND = 7L * 86_400;
        static final long MINUTE = 90L * 86_400;
    }
}
