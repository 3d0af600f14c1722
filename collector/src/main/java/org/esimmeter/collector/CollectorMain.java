package org.esimmeter.collector;

import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.esimmeter.collector.config.CollectorConfig;
import org.esimmeter.collector.plan.alert.AlertService;
import org.esimmeter.collector.store.StoreException;
import org.esimmeter.collector.store.sqlite.SqliteUsageStore;
import org.esimmeter.collector.web.CollectorServer;
import org.esimmeter.common.cli.CommandLines;
import org.esimmeter.common.cli.LogLevelOption;
import org.esimmeter.common.cli.UsageException;
import org.esimmeter.common.config.ConfigException;
import org.esimmeter.common.config.YamlConfigLoader;
import org.esimmeter.common.logging.LogLevel;
import org.esimmeter.common.systemd.SystemdNotifier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine;

/** Wiring only: command line → configuration → store, HTTP server, retention → threads. */
@Command(name = "esim-meter-collector", mixinStandardHelpOptions = true, versionProvider = CollectorMain.Version.class,
    description = "Receives per-second usage from esim-meter agents, stores it and serves it over HTTP.",
    subcommands = {CollectorMain.Run.class, CollectorMain.CheckConfig.class})
public final class CollectorMain {

    private static final Logger LOG = LoggerFactory.getLogger(CollectorMain.class);

    // The streams execute() was given: commands print here, never to System.out/err, so callers (and tests running
    // the collector in-process) see everything a command says.
    private final PrintStream out;
    private final PrintStream err;

    private CollectorMain(final PrintStream out, final PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public static void main(final String[] args) {
        System.exit(execute(System.out, System.err, args));
    }

    /** Runs a command line and returns the exit status; errors are one line on {@code err}. */
    public static int execute(final PrintStream out, final PrintStream err, final String... args) {
        return CommandLines.execute("esim-meter-collector", new CollectorMain(out, err), out, err, args);
    }


    private static CollectorConfig load(final Path file) throws UsageException {
        try {
            return YamlConfigLoader.load(file, CollectorConfig.class);
        } catch (final ConfigException e) {
            throw new UsageException(e.getMessage(), e);
        }
    }


    @Command(name = "run", mixinStandardHelpOptions = true,
        description = "Serve ingest, queries and the live stream until stopped (SIGTERM or Ctrl-C).")
    static final class Run implements Callable<Integer> {
        @ParentCommand
        CollectorMain parent;

        @Option(names = "--config", required = true, paramLabel = "FILE", description = "collector configuration (YAML)")
        Path config;

        @Mixin
        LogLevelOption logLevel;

        @Override
        public Integer call() throws Exception {
            final CollectorConfig collectorConfig = load(config);
            final LogLevel level = logLevel.apply(collectorConfig.logging().threshold());
            LOG.info("esim-meter-collector {} starting with {} (log level {})", Version.number(), config,
                level.label());
            LOG.debug("configuration: {}", summary(collectorConfig));
            final SqliteUsageStore store;
            try {
                store = SqliteUsageStore.open(Path.of(collectorConfig.dataDirectory()),
                    collectorConfig.retention().policy());
            } catch (final StoreException e) {
                throw new UsageException(config + " : dataDirectory : " + e.getMessage(), e);
            }
            final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            new JvmMemoryMetrics().bindTo(registry);
            new JvmThreadMetrics().bindTo(registry);
            new ProcessorMetrics().bindTo(registry);
            new UptimeMetrics().bindTo(registry);
            final AlertService alerts;
            try {
                // Its own table in the store's file: after the store opened it (and created or upgraded its schema).
                alerts = AlertService.start(collectorConfig.profiles(), collectorConfig.alerts(),
                    collectorConfig.webhook(), store, store.file(), registry, () -> System.currentTimeMillis() / 1000);
            } catch (final StoreException e) {
                closeQuietly(store);
                throw new UsageException(config + " : dataDirectory : " + e.getMessage(), e);
            }
            final CollectorServer server;
            try {
                server = CollectorServer.start(collectorConfig, store, registry, alerts);
            } catch (final IOException e) {
                closeQuietly(alerts);
                closeQuietly(store);
                throw new UsageException(config + " : listen : cannot bind " + collectorConfig.listen().address() + ":" +
                    collectorConfig.listen().port() + " (" + e.getMessage() + ")", e);
            }
            final ScheduledExecutorService retention = Executors.newSingleThreadScheduledExecutor(task -> {
                final Thread thread = new Thread(task, "retention");
                thread.setDaemon(true);
                return thread;
            });
            // The collector applies retention itself: at start (a collector that was down catches up) and hourly.
            retention.scheduleWithFixedDelay(() -> {
                try {
                    final long deleted = store.applyRetention(System.currentTimeMillis() / 1000);
                    if (deleted > 0) {
                        LOG.info("retention: deleted {} expired rows", deleted);
                    }
                } catch (final StoreException | RuntimeException e) {
                    LOG.warn("retention failed (retried in an hour): {}", e.getMessage());
                }
            }, 0, 1, TimeUnit.HOURS);
            final CountDownLatch stopped = new CountDownLatch(1);
            // systemd (Type=notify): ready once bound with the store open; the watchdog is fed while the writer lives.
            final SystemdNotifier systemd = SystemdNotifier.fromEnvironment(); // a no-op outside systemd
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                systemd.stopping("stopping: finishing in-flight ingests, closing the store");
                // Stop accepting, let in-flight ingests reach the store and be acknowledged, then close the store.
                boolean clean = true;
                server.close();
                retention.shutdownNow();
                try {
                    retention.awaitTermination(10, TimeUnit.SECONDS);
                    alerts.close();
                    store.close();
                    LOG.info("store closed");
                } catch (final StoreException e) {
                    clean = false;
                    LOG.error("closing the store failed: {}", e.getMessage());
                } catch (final InterruptedException e) {
                    clean = false;
                    Thread.currentThread().interrupt();
                }
                stopped.countDown();
                if (clean) {
                    // SIGTERM is how a service manager stops us: after a clean drain that is success, not the JVM's
                    // 128+signal status (systemd would report the unit as failed).
                    Runtime.getRuntime().halt(0);
                }
            }, "shutdown"));
            systemd.ready("listening on " + server.url() + ", store in " + collectorConfig.dataDirectory(),
                withinNanos -> store.livenessProblem());
            stopped.await();
            return 0;
        }

        private static void closeQuietly(final AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (final Exception e) {
                LOG.warn("closing {} failed: {}", closeable.getClass().getSimpleName(), e.getMessage());
            }
        }
    }

    @Command(name = "check-config", mixinStandardHelpOptions = true,
        description = "Check a configuration file and print a summary; exit 2 with one line naming the key if wrong.")
    static final class CheckConfig implements Callable<Integer> {
        @ParentCommand
        CollectorMain parent;

        @Parameters(index = "0", paramLabel = "FILE", description = "collector configuration (YAML)")
        Path config;

        @Override
        public Integer call() throws Exception {
            final CollectorConfig loaded = load(config);
            parent.out.println(config + " : ok (" + summary(loaded) + ")");
            return 0;
        }
    }

    /** The settings that matter, on one line, tokens left out; also logged at debug when {@code run} starts. */
    static String summary(final CollectorConfig config) {
        final LogLevel level = config.logging().threshold();
        return "listen " + config.listen().address() + ":" + config.listen().port() + ", dataDirectory " +
            config.dataDirectory() + ", " + config.agents().size() + " agent" + (config.agents().size() == 1 ? "" :
            "s") + ", reads " + (config.readToken() == null ? "open" : "need the read token") + ", retention 1s " +
            config.retention().second() + " 1m " + config.retention().minute() + " 1h " +
            config.retention().hour() + " 1d " + config.retention().day() + ", log level " +
            (level == null ? "info (default)" : level.label()) + ", " + config.profiles().size() + " profile" +
            (config.profiles().size() == 1 ? "" : "s") + ", webhook " + (config.webhook() == null ? "none" :
            config.webhook().uri().getScheme() + "://" + config.webhook().uri().getHost());
    }

    /** The jar's version (its manifest's Implementation-Version, set by the Maven build) and Java's. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"esim-meter-collector " + number(), "Java " + Runtime.version() + " (" +
                System.getProperty("java.vm.name") + ")"};
        }

        /** Outside a built jar (classes from an IDE or the test class path) there is no manifest to read. */
        static String number() {
            final String version = CollectorMain.class.getPackage().getImplementationVersion();
            return version == null ? "(development build)" : version;
        }
    }
}
