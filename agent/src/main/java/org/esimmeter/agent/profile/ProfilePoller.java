package org.esimmeter.agent.profile;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.esimmeter.agent.config.AgentConfig;
import org.esimmeter.agent.meter.CurrentProfile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Discovers the active SIM of the interfaces configured with {@code profileFrom}: every interval it runs the
 * command (or reads the file), parses the ICCID and publishes it to the interface's {@link CurrentProfile}, which
 * the capture thread reads when it opens the next second. Runs on its own daemon thread: the capture loop never
 * starts a process nor waits for one.
 * <p>
 * A failure (exit status, timeout, no ICCID, bad JSON) keeps the last profile and logs one WARN line for the whole
 * run of failures, and one INFO line when discovery works again.
 */
public final class ProfilePoller implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ProfilePoller.class);
    /** Far more than any modem status; a runaway command cannot fill the heap. */
    static final int MAX_OUTPUT_BYTES = 1 << 20;

    private final ScheduledExecutorService executor;
    private final List<Target> targets = new ArrayList<>();

    /** One interface's discovery: its settings, the profile it publishes to, what it last saw. */
    static final class Target {
        final String interfaceName;
        final AgentConfig.ProfileFrom from;
        final CurrentProfile profile;
        final Path stdout;
        final Path stderr;
        private String failure;
        private ActiveSim last;

        Target(final String interfaceName, final AgentConfig.ProfileFrom from, final CurrentProfile profile)
            throws IOException {
            this.interfaceName = interfaceName;
            this.from = from;
            this.profile = profile;
            // Output goes to files, not pipes: a command that hangs with its pipe open cannot block the reader.
            this.stdout = from.command() == null ? null : Files.createTempFile("esim-meter-profile-", ".out");
            this.stderr = from.command() == null ? null : Files.createTempFile("esim-meter-profile-", ".err");
        }

        /** One poll: discover, publish, log what changed. */
        void poll() {
            final ActiveSim sim;
            try {
                sim = ActiveSim.parse(read(), from.iccidField(), from.operatorCodeField(), from.operatorNameField());
            } catch (final IllegalArgumentException | IOException e) {
                if (failure == null) {
                    LOG.warn("{} : cannot discover the active SIM from {}: {}; bytes keep counting to profile {} " +
                        "until it works (further failures are not logged)", interfaceName, source(), oneLine(e),
                        profile.get());
                }
                failure = oneLine(e);
                return;
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            final String previous = profile.get();
            if (profile.set(sim.iccid(), sim.network())) {
                LOG.info("{} : active SIM is ICCID {} ({}), was {}: its bytes count to it from the next second",
                    interfaceName, sim.iccid(), sim.describeOperator(), previous);
            } else if (failure != null) {
                LOG.info("{} : discovering the active SIM works again: ICCID {} ({})", interfaceName, sim.iccid(),
                    sim.describeOperator());
            } else if (last != null && !sim.describeOperator().equals(last.describeOperator())) {
                LOG.info("{} : ICCID {} now on {}, was {}", interfaceName, sim.iccid(), sim.describeOperator(),
                    last.describeOperator());
            }
            failure = null;
            last = sim;
        }

        private String read() throws IOException, InterruptedException {
            if (from.file() != null) {
                final Path file = Path.of(from.file());
                if (Files.size(file) > MAX_OUTPUT_BYTES) {
                    throw new IOException(file + " : larger than " + MAX_OUTPUT_BYTES + " bytes");
                }
                return Files.readString(file, StandardCharsets.UTF_8);
            }
            final Process process = new ProcessBuilder(from.command())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile())
                .start();
            try {
                if (!process.waitFor(from.timeoutSeconds(), TimeUnit.SECONDS)) {
                    throw new IOException("no answer within " + from.timeoutSeconds() + " s (timeoutSeconds)");
                }
                if (process.exitValue() != 0) {
                    throw new IOException("exit status " + process.exitValue() + firstLine(stderr));
                }
                if (Files.size(stdout) > MAX_OUTPUT_BYTES) {
                    throw new IOException("output larger than " + MAX_OUTPUT_BYTES + " bytes");
                }
                return Files.readString(stdout, StandardCharsets.UTF_8);
            } finally {
                // A wrapper shell's children too: nothing the poll started outlives it.
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
        }

        private String source() {
            return from.file() != null ? from.file() : String.join(" ", from.command());
        }

        void deleteFiles() {
            for (final Path file : new Path[] {stdout, stderr}) {
                if (file != null) {
                    try {
                        Files.deleteIfExists(file);
                    } catch (final IOException e) {
                        LOG.debug("cannot delete {}: {}", file, e.getMessage());
                    }
                }
            }
        }
    }

    private ProfilePoller(final ScheduledExecutorService executor) {
        this.executor = executor;
    }

    /** A poller that does nothing until {@link #add} and {@link #start}. */
    public static ProfilePoller create() {
        return new ProfilePoller(Executors.newSingleThreadScheduledExecutor(task -> {
            final Thread thread = new Thread(task, "profile-discovery");
            thread.setDaemon(true);
            return thread;
        }));
    }

    /** Registers an interface; its first poll runs when {@link #start()} is called. */
    public void add(final String interfaceName, final AgentConfig.ProfileFrom from, final CurrentProfile profile)
        throws IOException {
        targets.add(new Target(interfaceName, from, profile));
    }

    public boolean isEmpty() {
        return targets.isEmpty();
    }

    /**
     * Polls every target once on the calling thread (so the first seconds already carry the SIM, not the fallback;
     * at most {@code timeoutSeconds} each), then every {@code intervalSeconds} on the poller's thread, at a fixed
     * rate: a slow command never makes the polls drift.
     */
    public void start() {
        for (final Target target : targets) {
            target.poll();
        }
        for (final Target target : targets) {
            // Scheduling happens-before the task runs: the poller thread sees what the first poll left.
            executor.scheduleAtFixedRate(() -> {
                try {
                    target.poll();
                } catch (final RuntimeException e) {
                    // A scheduled task that throws is never run again: log and keep polling.
                    LOG.warn("{} : profile discovery failed unexpectedly: {}", target.interfaceName, oneLine(e));
                }
            }, target.from.intervalSeconds(), target.from.intervalSeconds(), TimeUnit.SECONDS);
        }
    }

    /** Stops polling (a running command is killed) and deletes the output files. */
    @Override
    public void close() {
        executor.shutdownNow();
        try {
            executor.awaitTermination(2, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        targets.forEach(Target::deleteFiles);
    }

    private static String firstLine(final Path file) {
        try {
            final String text = Files.readString(file, StandardCharsets.UTF_8).strip();
            final String line = text.isEmpty() ? "" : text.lines().findFirst().orElse("");
            return line.isEmpty() ? "" : ": " + (line.length() > 200 ? line.substring(0, 200) + "..." : line);
        } catch (final IOException e) {
            return "";
        }
    }

    private static String oneLine(final Throwable e) {
        final String message = e.getMessage() == null ? "" : e.getMessage().replace('\n', ' ').trim();
        return message.isEmpty() ? e.toString() : message;
    }
}
