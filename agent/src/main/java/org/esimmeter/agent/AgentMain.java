package org.esimmeter.agent;

import io.micrometer.core.instrument.MeterRegistry;
import java.io.BufferedOutputStream;
import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.esimmeter.agent.capture.CaptureException;
import org.esimmeter.agent.capture.CaptureInterfaces;
import org.esimmeter.agent.capture.LiveCapture;
import org.esimmeter.agent.capture.SavefileReplay;
import org.esimmeter.agent.config.AgentConfig;
import org.esimmeter.agent.decode.Bytes;
import org.esimmeter.agent.label.FlowLabels;
import org.esimmeter.agent.label.device.Devices;
import org.esimmeter.agent.label.service.MetadataCapture;
import org.esimmeter.agent.label.service.ServiceLabels;
import org.esimmeter.agent.label.service.ServiceMetrics;
import org.esimmeter.agent.label.service.ServiceNames;
import org.esimmeter.agent.meter.CurrentProfile;
import org.esimmeter.agent.meter.DirectionRule;
import org.esimmeter.agent.meter.FlowTable;
import org.esimmeter.agent.meter.FragmentPorts;
import org.esimmeter.agent.meter.InterfaceMeter;
import org.esimmeter.agent.meter.InterfaceMetrics;
import org.esimmeter.agent.meter.SecondSink;
import org.esimmeter.agent.meter.UsageTotals;
import org.esimmeter.agent.metrics.AgentMetrics;
import org.esimmeter.agent.output.JsonLinesSink;
import org.esimmeter.agent.privacy.AddressTruncation;
import org.esimmeter.agent.output.ReplayReport;
import org.esimmeter.agent.profile.ProfilePoller;
import org.esimmeter.agent.ship.CollectorSink;
import org.esimmeter.agent.ship.ShipMetrics;
import org.esimmeter.agent.ship.Spool;
import org.esimmeter.common.cli.CommandLines;
import org.esimmeter.common.cli.LogLevelOption;
import org.esimmeter.common.cli.UsageException;
import org.esimmeter.common.config.ConfigException;
import org.esimmeter.common.config.YamlConfigLoader;
import org.esimmeter.common.logging.LogLevel;
import org.esimmeter.common.systemd.SystemdNotifier;
import org.esimmeter.wire.Addresses;
import org.pcap4j.core.PcapHandle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine;

/** Wiring only: command line → configuration → capture, meter and sink → threads. */
@Command(name = "esim-meter-agent", mixinStandardHelpOptions = true, versionProvider = AgentMain.Version.class,
    description = "Meters the data a router sends over its cellular (eSIM) uplinks, per second, flow and interface.",
    subcommands = {AgentMain.Run.class, AgentMain.Replay.class, InterfacesCommand.class, CheckConfigCommand.class})
public final class AgentMain {

    private static final Logger LOG = LoggerFactory.getLogger(AgentMain.class);

    // The streams execute() was given: commands print here, never to System.out/err, so callers (and tests running
    // the agent in-process) see everything a command says.
    private final PrintStream out;
    private final PrintStream err;

    private AgentMain(final PrintStream out, final PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public static void main(final String[] args) {
        System.exit(execute(System.out, System.err, args));
    }

    /** Runs a command line and returns the exit status; errors are one line on {@code err}. */
    public static int execute(final PrintStream out, final PrintStream err, final String... args) {
        return CommandLines.execute("esim-meter-agent", new AgentMain(out, err), out, err, args);
    }

    PrintStream out() {
        return out;
    }

    PrintStream err() {
        return err;
    }

    /**
     * The configuration as {@code run} accepts it: the file's keys and values, then every interface it names
     * present on this machine. Any problem is one line naming the file and the key.
     */
    static AgentConfig loadConfig(final Path file) throws UsageException {
        final AgentConfig config = loadConfigFile(file);
        final List<String> present;
        try {
            present = CaptureInterfaces.names();
        } catch (final CaptureException e) {
            throw new UsageException(e.getMessage(), e);
        }
        for (int i = 0; i < config.interfaces().size(); i++) {
            final String name = config.interfaces().get(i).name();
            if (!present.contains(name)) {
                throw new UsageException(file + " : interfaces[" + i + "].name : " + name + " : no such interface " +
                    "on this machine (esim-meter-agent interfaces lists them)");
            }
            final AgentConfig.ProfileFrom from = config.interfaces().get(i).profileFrom();
            if (from != null && from.command() != null) {
                final String problem = notRunnable(from.command().get(0), System.getenv("PATH"));
                if (problem != null) {
                    throw new UsageException(file + " : interfaces[" + i + "].profileFrom.command : " +
                        from.command().get(0) + " : " + problem);
                }
            }
        }
        for (int i = 0; i < config.services().interfaces().size(); i++) {
            final String name = config.services().interfaces().get(i);
            if (!present.contains(name)) {
                throw new UsageException(file + " : services.interfaces[" + i + "] : " + name + " : no such " +
                    "interface on this machine (esim-meter-agent interfaces lists them)");
            }
        }
        return config;
    }

    /**
     * Why the program cannot be run, or null: a typo in a discovery command would otherwise show only as a WARN
     * while every second counts to the fallback profile. A state file may appear later (a hook writes it): not
     * checked.
     */
    static String notRunnable(final String program, final String path) {
        if (program.contains("/")) {
            final Path file = Path.of(program);
            return !java.nio.file.Files.isRegularFile(file) ? "no such file" :
                !java.nio.file.Files.isExecutable(file) ? "not executable" : null;
        }
        for (final String directory : (path == null ? "" : path).split(":")) {
            final Path file = Path.of(directory.isEmpty() ? "." : directory, program);
            if (java.nio.file.Files.isRegularFile(file) && java.nio.file.Files.isExecutable(file)) {
                return null;
            }
        }
        return "not found on PATH (expected: an executable, or its absolute path)";
    }

    /** The file alone: keys, kinds and ranges of values; nothing about this machine. */
    static AgentConfig loadConfigFile(final Path file) throws UsageException {
        try {
            return YamlConfigLoader.load(file, AgentConfig.class);
        } catch (final ConfigException e) {
            throw new UsageException(e.getMessage(), e);
        }
    }


    private static void requireRawMemoryAccess() throws UsageException {
        if (!Bytes.available()) {
            throw new UsageException("this JVM offers no sun.misc.Unsafe; the zero-copy decoder needs it", null);
        }
    }


    @Command(name = "run", mixinStandardHelpOptions = true,
        description = "Capture live on the configured interfaces and emit one JSON line per interface and second.")
    static final class Run implements Callable<Integer> {
        @ParentCommand
        AgentMain parent;

        @Option(names = "--config", required = true, paramLabel = "FILE", description = "agent configuration (YAML)")
        Path config;

        @Mixin
        LogLevelOption logLevel;

        @Override
        public Integer call() throws Exception {
            requireRawMemoryAccess();
            final AgentConfig agentConfig = loadConfig(config);
            final LogLevel level = logLevel.apply(agentConfig.logging().threshold());
            LOG.info("esim-meter-agent {} starting with {} (log level {})", Version.number(), config, level.label());
            LOG.debug("configuration: {}", CheckConfigCommand.summary(agentConfig));
            final AgentConfig.Output output = agentConfig.output();
            // Counted down once the sinks are closed: the shutdown hook waits for it before the JVM exits.
            final CountDownLatch finished = new CountDownLatch(1);
            final AtomicBoolean drained = new AtomicBoolean();
            CollectorSink collector = null;
            OutputStream stream = null;
            JsonLinesSink lines = null;
            AgentMetrics metrics = null;
            ProfilePoller profilePoller = null;
            Devices devices = null;
            MetadataCapture names = null;
            try {
                if (agentConfig.collector() != null) {
                    collector = openCollector(config, agentConfig.collector());
                }
                if (output.enabled()) {
                    final String target = output.jsonLines();
                    try {
                        stream = AgentConfig.Output.STDOUT.equals(target) ? parent.out :
                            new BufferedOutputStream(new FileOutputStream(target, true));
                    } catch (final IOException e) {
                        throw new UsageException(config + " : output.jsonLines : cannot open " + target + ": " +
                            e.getMessage(), e);
                    }
                    // The sink never closes the stream it writes to: stdout stays open for whoever called us.
                    lines = new JsonLinesSink(stream);
                }
                final Map<String, CurrentProfile> profiles = new HashMap<>();
                profilePoller = ProfilePoller.create();
                for (final AgentConfig.Interface iface : agentConfig.interfaces()) {
                    final CurrentProfile profile = new CurrentProfile(iface.profile(), iface.profileFrom() != null);
                    profiles.put(iface.name(), profile);
                    if (iface.profileFrom() != null) {
                        profilePoller.add(iface.name(), iface.profileFrom(), profile);
                    }
                }
                final AddressTruncation truncation = new AddressTruncation(agentConfig.privacy().ipv4PrefixLength(),
                    agentConfig.privacy().ipv6PrefixLength());
                if (lines != null) {
                    lines.truncateAddresses(truncation);
                }
                if (collector != null) {
                    collector.truncateAddresses(truncation);
                }
                final LiveCapture capture;
                try {
                    capture = LiveCapture.open(agentConfig, tee(lines, collector), profiles);
                } catch (final CaptureException e) {
                    throw new UsageException(e.getMessage(), e);
                }
                // Once the handles opened (a capture error is the one line an operator sees), before the first packet
                // is read: reads the neighbour tables and connection tracking once now, then on its own thread.
                devices = Devices.start(agentConfig);
                final AgentConfig.Services services = agentConfig.services();
                // Names learned by the metadata capture (started below, once the meter's handles are open).
                final ServiceNames serviceNames = services.enabled() ?
                    new ServiceNames(services.cacheEntries(), services.maxTtlSeconds()) : null;
                final FlowLabels labels = FlowLabels.both(devices.labels(), serviceNames == null ? FlowLabels.NONE :
                    new ServiceLabels(serviceNames, services.cacheEntries()));
                if (devices.labels() != FlowLabels.NONE) {
                    // A second is labelled once the device table read after its end: its new connections included.
                    capture.holdSecondsForLabels(labels::readyThroughMillis,
                        agentConfig.devices().refreshMillis() + 1000L);
                }
                if (lines != null) {
                    lines.labelFlowsWith(labels);
                }
                if (collector != null) {
                    collector.labelFlowsWith(labels);
                }
                // After the handles opened (a bad interface fails first), before the first packet is read: the
                // first poll answers here, so the first seconds carry the SIM (the kernel buffers meanwhile).
                profilePoller.start();
                metrics = new AgentMetrics();
                final MeterRegistry registry = metrics.registry();
                new InterfaceMetrics(capture.meters()).bindTo(registry);
                if (serviceNames != null) {
                    // Its own handles and threads; off (services.enabled: false), no second handle is opened.
                    try {
                        names = MetadataCapture.start(agentConfig.serviceInterfaces(), services.snaplen(),
                            serviceNames, devices.dhcp());
                    } catch (final CaptureException e) {
                        capture.close();
                        throw new UsageException(e.getMessage(), e);
                    }
                    new ServiceMetrics(serviceNames, names).bindTo(registry);
                }
                if (collector != null) {
                    new ShipMetrics(collector).bindTo(registry);
                }
                final ScheduledExecutorService summaries = Executors.newSingleThreadScheduledExecutor(task -> {
                    final Thread thread = new Thread(task, "summary");
                    thread.setDaemon(true);
                    return thread;
                });
                final CollectorSink shipper = collector;
                summaries.scheduleAtFixedRate(() -> {
                    capture.meters().forEach(meter -> LOG.info(InterfaceMetrics.summary(registry, meter)));
                    if (shipper != null) {
                        LOG.info(ShipMetrics.summary(registry, shipper));
                    }
                }, 60, 60, TimeUnit.SECONDS);
                final SystemdNotifier systemd = SystemdNotifier.fromEnvironment(); // a no-op outside systemd
                final Thread stopper = new Thread(() -> {
                    systemd.stopping("stopping: draining the capture, sealing the last second");
                    capture.stop();
                    try {
                        // Let the capture thread drain the ring and seal the partial second before exiting.
                        if (!finished.await(5, TimeUnit.SECONDS)) {
                            LOG.warn("capture did not stop within 5 s; the last second may be missing");
                        } else if (drained.get()) {
                            // SIGTERM is how a service manager stops us: after a clean drain that is success,
                            // not the JVM's 128+signal status (systemd would report the unit as failed).
                            Runtime.getRuntime().halt(0);
                        }
                    } catch (final InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, "shutdown");
                Runtime.getRuntime().addShutdownHook(stopper);
                try {
                    metrics.serve(agentConfig.metrics());
                    // Handles are open and the kernel already buffers for them: READY=1 now, WATCHDOG=1 per pass.
                    systemd.ready("capturing on " + String.join(", ", capture.interfaceNames()), capture::stalled);
                    capture.run();
                } finally {
                    summaries.shutdownNow();
                    capture.close();
                }
                LOG.info("capture stopped");
                if (lines != null) {
                    lines.close();
                    lines = null;
                }
                if (collector != null) {
                    // Within the shutdown hook's 5 s: the last seconds get 3 s to reach the collector.
                    collector.close(3000);
                    LOG.info(ShipMetrics.summary(registry, collector));
                    collector = null;
                }
                drained.set(true);
            } finally {
                try {
                    if (lines != null) {
                        lines.close();
                    }
                    if (stream != null && stream != parent.out) {
                        stream.close();
                    }
                    if (collector != null) {
                        collector.close(0);
                    }
                    if (metrics != null) {
                        metrics.close();
                    }
                    if (profilePoller != null) {
                        profilePoller.close();
                    }
                    if (devices != null) {
                        devices.close();
                    }
                    if (names != null) {
                        names.close();
                    }
                } finally {
                    finished.countDown();
                }
            }
            return 0;
        }
    }

    @Command(name = "replay", mixinStandardHelpOptions = true,
        description = "Meter a pcap or pcapng file through the live hot loop and print the totals.")
    static final class Replay implements Callable<Integer> {
        @ParentCommand
        AgentMain parent;

        @Option(names = "--json", description = "print one JSON object (flows, seconds, totals) instead of a summary")
        boolean json;

        @Option(names = "--router-mac", paramLabel = "MAC",
            description = "MAC of the router's interface in an Ethernet capture: frames from it count as upload")
        String routerMac;

        @Option(names = "--max-flows", paramLabel = "N", defaultValue = "4000000",
            description = "distinct flows listed; beyond, bytes count in 'overflow' (default: ${DEFAULT-VALUE})")
        int maxFlows;

        @Option(names = "--ship", paramLabel = "URL",
            description = "also send the seconds to the collector at URL (POST URL/v1/ingest) and wait for its acks")
        String ship;

        @Option(names = "--agent-id", paramLabel = "ID", description = "agent id to ship as (with --ship)")
        String agentId;

        @Option(names = "--token", paramLabel = "TOKEN", description = "the agent's collector token (with --ship)")
        String token;

        @Option(names = "--token-env", paramLabel = "NAME",
            description = "environment variable that holds the token (with --ship), instead of --token")
        String tokenEnv;

        @Option(names = "--ship-timeout", paramLabel = "DURATION", defaultValue = "60s",
            description = "longest wait for the collector to acknowledge every batch: 500ms, 60s, 2m " +
                "(default: ${DEFAULT-VALUE})")
        String shipTimeout;

        @Parameters(index = "0", paramLabel = "FILE", description = "capture file (pcap or pcapng)")
        File file;

        @Mixin
        LogLevelOption logLevel;

        @Override
        public Integer call() throws Exception {
            logLevel.apply(null);
            requireRawMemoryAccess();
            if (maxFlows < 1) {
                throw new UsageException("--max-flows : " + maxFlows + " (expected: >= 1)");
            }
            final DirectionRule rule;
            try {
                rule = routerMac == null ? DirectionRule.fromLinkHeader() :
                    DirectionRule.ownMac(Addresses.parseMac(routerMac));
            } catch (final IllegalArgumentException e) {
                throw new UsageException("--router-mac : " + e.getMessage(), e);
            }
            final CollectorSink.Settings shipping = shipSettings();
            final long shipTimeoutMillis = ship == null ? 0 : millis("--ship-timeout", shipTimeout);
            final SavefileReplay replay = new SavefileReplay(file);
            final PcapHandle handle;
            try {
                handle = replay.open();
            } catch (final CaptureException e) {
                throw new UsageException(e.getMessage(), e);
            }
            final UsageTotals totals = new UsageTotals(maxFlows, false);
            final CollectorSink collector = shipping == null ? null :
                new CollectorSink(shipping, CollectorSink.interimFirstSequence());
            try {
                final InterfaceMeter meter = new InterfaceMeter(file.getName(), file.getName(),
                    new FlowTable(4096, 1 << 20), new FragmentPorts(4096), tee(totals, collector));
                final String warning = replay.run(handle, meter, rule);
                if (warning != null) {
                    parent.err.println("esim-meter-agent: warning: " + file + " : libpcap stopped early: " + warning +
                        " (totals cover the packets before that point)");
                }
                if (json) {
                    ReplayReport.write(parent.out, replay.linkType(), totals, warning);
                } else {
                    ReplayReport.summary(parent.out, file, replay.linkType(), totals);
                }
                if (collector == null) {
                    return 0;
                }
                // A refused token is retried by the sink (a daemon waits for the operator); a replay says so now.
                final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(shipTimeoutMillis);
                boolean answered = false;
                while (!answered && collector.tokenRefusal() == null && System.nanoTime() - deadline < 0) {
                    answered = collector.awaitDelivered(Math.min(100, Math.max(1, TimeUnit.NANOSECONDS.toMillis(
                        deadline - System.nanoTime()))), TimeUnit.MILLISECONDS);
                }
                final String refusal = collector.tokenRefusal();
                final String failure = refusal != null ? "token refused: " + refusal :
                    !answered ?
                    "not every batch was acknowledged within " + shipTimeout + " (" + collector.batchesAcknowledged() +
                        " acknowledged, " + collector.attemptsFailed() + " failed attempts)" :
                    collector.batchesRejected() > 0 ? collector.batchesRejected() + " batches refused: " +
                        collector.lastRejection() :
                    collector.secondsRefused() > 0 ? collector.secondsRefused() + " seconds could not be encoded" :
                    null;
                if (failure != null) {
                    parent.err.println("esim-meter-agent: collector " + collector.ingestUri() + " : " + failure);
                    return CommandLines.EXIT_FAILURE;
                }
                return 0;
            } finally {
                if (collector != null) {
                    collector.close(0);
                }
            }
        }

        /** Null without --ship; the shipping options are refused without it. */
        private CollectorSink.Settings shipSettings() throws UsageException {
            if (ship == null) {
                if (agentId != null || token != null || tokenEnv != null) {
                    throw new UsageException("--agent-id, --token and --token-env need --ship URL");
                }
                return null;
            }
            final AgentConfig.Collector collector;
            try {
                final URI url = AgentConfig.collectorUrl("--ship", ship);
                if (agentId == null) {
                    throw new UsageException("--ship needs --agent-id ID");
                }
                if ((token == null) == (tokenEnv == null)) {
                    throw new UsageException("--ship needs one of --token TOKEN or --token-env NAME");
                }
                collector = new AgentConfig.Collector(url.toString(), agentId, token, tokenEnv, null, null, null, null,
                    null);
            } catch (final ConfigException e) {
                throw new UsageException(e.getMessage(), e);
            }
            final String secret;
            try {
                secret = collector.resolveToken(System.getenv());
            } catch (final ConfigException e) {
                throw new UsageException("--token-env : " + tokenEnv + " is not set in the environment", e);
            }
            // A replay must not drop what it metered: the queue is unbounded (it holds at most the file's seconds).
            return CollectorSink.Settings.of(URI.create(collector.url()), collector.agentId(), secret,
                collector.batchMaxBytes(), Long.MAX_VALUE);
        }
    }

    /** The configured collector's sink; a token variable that is not set is bad input. */
    private static CollectorSink openCollector(final Path file, final AgentConfig.Collector config)
        throws UsageException {
        final String token;
        try {
            token = config.resolveToken(System.getenv());
        } catch (final ConfigException e) {
            throw new UsageException(file + " : " + e.getMessage(), e);
        }
        final String directory = config.resolveSpoolDirectory(System.getenv());
        final Spool spool;
        try {
            spool = Spool.open(Path.of(directory), Path.of(config.resolveLeaseDirectory(System.getenv())),
                Spool.DEFAULT_LEASE_BLOCK);
        } catch (final IOException | RuntimeException e) {
            throw new UsageException(file + " : collector.spoolDirectory : " + directory + " : " +
                (e instanceof java.nio.file.AccessDeniedException ? "not writable" :
                    e instanceof java.nio.file.FileSystemException f && f.getReason() != null ? f.getReason() :
                    e.getMessage()), e);
        }
        String fileSystem;
        try {
            fileSystem = java.nio.file.Files.getFileStore(Path.of(directory)).type();
        } catch (final IOException e) {
            fileSystem = "unknown";
        }
        final int flushSeconds = config.resolveSpoolFlushSeconds(fileSystem);
        final CollectorSink sink = new CollectorSink(CollectorSink.Settings.of(URI.create(config.url()),
            config.agentId(), token, config.batchMaxBytes(), config.spoolMaxBytes())
            .withSpoolFlush(TimeUnit.SECONDS.toMillis(flushSeconds))
            .withSpoolMemory(config.spoolMemoryBytes()), spool);
        LOG.info("shipping to {} as agent {}, spooling in {} ({}, written at most every {} s, cap {} bytes)",
            sink.ingestUri(), config.agentId(), directory, fileSystem, flushSeconds, config.spoolMaxBytes());
        return sink;
    }

    /** Both sinks, in order; either may be absent. */
    private static SecondSink tee(final SecondSink first, final SecondSink second) {
        if (first == null || second == null) {
            return first == null ? second : first;
        }
        return record -> {
            first.onSecond(record);
            second.onSecond(record);
        };
    }

    /** "500ms", "60s", "2m" or plain seconds. */
    static long millis(final String option, final String text) throws UsageException {
        final java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,9})(ms|s|m)?").matcher(text.trim());
        if (!m.matches()) {
            throw new UsageException(option + " : " + text + " (expected: a duration such as 500ms, 60s or 2m)");
        }
        final long value = Long.parseLong(m.group(1));
        final String unit = m.group(2) == null ? "s" : m.group(2);
        return "ms".equals(unit) ? value : "s".equals(unit) ? value * 1000 : value * 60_000;
    }

    /** The jar's version (its manifest's Implementation-Version, set by the Maven build), libpcap's and Java's. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"esim-meter-agent " + number(), CaptureInterfaces.libraryVersion(), "Java " +
                Runtime.version() + " (" +
                System.getProperty("java.vm.name") + ")"};
        }

        /** Outside a built jar (classes from an IDE or the test class path) there is no manifest to read. */
        static String number() {
            final String version = AgentMain.class.getPackage().getImplementationVersion();
            return version == null ? "(development build)" : version;
        }
    }
}
