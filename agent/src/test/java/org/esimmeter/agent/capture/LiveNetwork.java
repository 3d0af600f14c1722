package org.esimmeter.agent.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;

/**
 * A two-namespace test network built with iproute2, and the processes started in it: everything the live test
 * creates is registered here so that {@link #close()} can take it all down, whatever failed half way.
 * <p>
 * Namespace names carry the JVM's pid ({@code em-r-<pid>-<random>}): a later run deletes the namespaces of runs whose
 * JVM is gone (aborted), and never those of a run still alive.
 * <p>
 * Public, like {@link LiveUplinks}, because the agent publishes its test classes as a test-jar: the end-to-end live
 * test (module e2e) builds the same network rather than a copy of it.
 */
public final class LiveNetwork implements AutoCloseable {
    private static final Pattern OUR_NAMESPACE = Pattern.compile("^(em-[ri]-(\\d+)-[0-9a-f]+)\\b.*");
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(20);
    private static final ObjectMapper JSON = new ObjectMapper();

    public final String router;
    public final String internet;
    private final Path logs;
    private final List<String> namespaces = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();

    public LiveNetwork(final Path logs) {
        final String suffix = ProcessHandle.current().pid() + "-" +
            Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000, 0x100000));
        this.router = "em-r-" + suffix;
        this.internet = "em-i-" + suffix;
        this.logs = logs;
    }

    /** Deletes the {@code em-*} namespaces whose creating JVM no longer runs, and the processes left inside. */
    public static void deleteStaleNamespaces() {
        for (final String line : run("ip", "netns", "list").split("\n")) {
            final Matcher matcher = OUR_NAMESPACE.matcher(line.trim());
            if (matcher.matches() && ProcessHandle.of(Long.parseLong(matcher.group(2))).isEmpty()) {
                deleteNamespace(matcher.group(1));
            }
        }
    }

    /**
     * Skips the calling test when it is not root and {@code -Desimmeter.skipPrivileged=true} was given; fails it
     * when it is not root otherwise (CI runs as root: a silent skip there would hide the live tests).
     */
    public static void requireRoot(final String test) {
        final boolean root;
        try {
            root = Files.readAllLines(Path.of("/proc/self/status")).stream()
                .anyMatch(line -> line.matches("Uid:\\s+0\\s.*"));
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!root) {
            final String why = test + " needs root: it creates network namespaces, veth and TUN devices and " +
                "captures packets (run `mvn verify` as root, or pass -Desimmeter.skipPrivileged=true to skip it)";
            Assumptions.assumeFalse(Boolean.getBoolean("esimmeter.skipPrivileged"), why);
            fail(why);
        }
    }

    /** Fails unless every tool is on the PATH. */
    public static void requireTools(final String... tools) {
        for (final String tool : tools) {
            final Result which = execute(null, "sh", "-c", "command -v " + tool);
            assertEquals(0, which.status(), tool + " : not installed (expected: installed by .ci/run)");
        }
    }

    public void addNamespaces() {
        for (final String namespace : List.of(router, internet)) {
            run("ip", "netns", "add", namespace);
            namespaces.add(namespace);
            run("ip", "-n", namespace, "link", "set", "lo", "up");
            // Before any interface exists: `default` covers the ones created later (veth, TUN), so none of them
            // ever sends a router solicitation, neighbour discovery or MLD report.
            inNamespace(namespace, "sh", "-c", "echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6 && " +
                "echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6");
        }
    }

    /** A veth pair from namespace {@code a} to {@code b}, each end addressed (CIDR) and up. */
    public static void veth(final String a, final String aName, final String aAddress, final String b,
        final String bName, final String bAddress) {
        run("ip", "link", "add", aName, "netns", a, "type", "veth", "peer", "name", bName, "netns", b);
        run("ip", "-n", a, "addr", "add", aAddress, "dev", aName);
        run("ip", "-n", b, "addr", "add", bAddress, "dev", bName);
        run("ip", "-n", a, "link", "set", aName, "up");
        run("ip", "-n", b, "link", "set", bName, "up");
    }

    /**
     * A permanent neighbour entry: no ARP request, reply or unicast probe ever crosses the link, so interface
     * counters hold only the test's traffic.
     */
    public static void permanentNeighbour(final String namespace, final String address, final String mac,
        final String iface) {
        run("ip", "-n", namespace, "neigh", "replace", address, "lladdr", mac, "dev", iface, "nud", "permanent");
    }

    /** The MAC address of {@code iface} in {@code namespace}, as "aa:bb:cc:dd:ee:ff". */
    public static String mac(final String namespace, final String iface) {
        return inNamespace(namespace, "cat", "/sys/class/net/" + iface + "/address").trim();
    }

    /** Runs a command inside a namespace and returns its output; fails the test on a non-zero exit. */
    public static String inNamespace(final String namespace, final String... command) {
        final String[] full = new String[command.length + 4];
        full[0] = "ip";
        full[1] = "netns";
        full[2] = "exec";
        full[3] = namespace;
        System.arraycopy(command, 0, full, 4, command.length);
        return run(full);
    }

    /** Runs a command to completion (bounded), returns stdout + stderr; fails the test on a non-zero exit. */
    public static String run(final String... command) {
        return run(null, command);
    }

    public static String run(final byte[] stdin, final String... command) {
        final Result result = execute(stdin, command);
        if (result.status != 0) {
            fail(String.join(" ", command) + " : exit status " + result.status + " (expected: 0): " + result.output);
        }
        return result.output;
    }

    public record Result(int status, String output) {
    }

    public static Result execute(final byte[] stdin, final String... command) {
        try {
            final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            try {
                if (stdin != null) {
                    process.getOutputStream().write(stdin);
                }
                process.getOutputStream().close();
                // The output of these commands is small: reading it before waitFor cannot dead-lock on the pipe.
                final byte[] output = process.getInputStream().readAllBytes();
                if (!process.waitFor(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    fail(String.join(" ", command) + " : still running after " + COMMAND_TIMEOUT);
                }
                return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
            } finally {
                process.destroyForcibly();
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(String.join(" ", command) + " : cannot run: " + e.getMessage(), e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Starts a long-running command in a namespace, stdout and stderr to {@code logs/name.out|err}. */
    public Process start(final String name, final String namespace, final String... command) {
        final List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
        full.addAll(Arrays.asList(command));
        try {
            // `ip netns exec` execs the command in place, so the pid is the command's: signals reach it directly.
            final Process process = new ProcessBuilder(full)
                .redirectOutput(out(name).toFile())
                .redirectError(err(name).toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .start();
            processes.add(process);
            return process;
        } catch (final IOException e) {
            throw new UncheckedIOException(String.join(" ", full) + " : cannot start: " + e.getMessage(), e);
        }
    }

    public Path out(final String name) {
        return logs.resolve(name + ".out");
    }

    public Path err(final String name) {
        return logs.resolve(name + ".err");
    }

    public String read(final Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sends a signal by number through the shell's builtin kill (no procps needed). */
    public static void signal(final Process process, final String signal) {
        run("sh", "-c", "kill -s " + signal + " " + process.pid());
    }

    /** Waits for a process to exit and returns its status; fails with its stderr when it outlives the deadline. */
    public int awaitExit(final Process process, final String name, final Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                fail(name + " : still running " + timeout + " after being asked to stop; stderr: " + read(err(name)));
            }
            return process.exitValue();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Polls {@code condition} until it holds; fails naming what was awaited (and why, from {@code detail}). */
    public static void await(final String what, final Duration timeout, final BooleanSupplier condition,
        final Supplier<String> detail) {
        final long deadlineNs = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadlineNs > 0) {
                fail("timed out after " + timeout + " waiting for " + what + ": " + detail.get());
            }
            pause();
        }
    }

    private static void pause() {
        try {
            Thread.sleep(20);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Kernel counters (rx/tx bytes and packets) of every interface in a namespace, by interface name. */
    public static Map<String, Counters> counters(final String namespace) {
        final Map<String, Counters> byName = new TreeMap<>();
        try {
            for (final JsonNode link : JSON.readTree(run("ip", "-n", namespace, "-s", "-j", "link", "show"))) {
                final JsonNode stats = link.path("stats64");
                byName.put(link.path("ifname").asText(), new Counters(
                    stats.path("rx").path("packets").asLong(), stats.path("rx").path("bytes").asLong(),
                    stats.path("tx").path("packets").asLong(), stats.path("tx").path("bytes").asLong()));
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        return byName;
    }

    /**
     * Waits until no counter of the namespace's interfaces moves for {@code stableFor}: the traffic, the tunnel
     * forwarding and the last TCP acknowledgements have all gone by. Returns the counters it settled on.
     */
    public static Map<String, Counters> awaitQuiet(final String namespace, final Duration stableFor, final Duration timeout) {
        final long deadlineNs = System.nanoTime() + timeout.toNanos();
        Map<String, Counters> last = counters(namespace);
        long stableSinceNs = System.nanoTime();
        while (System.nanoTime() - stableSinceNs < stableFor.toNanos()) {
            if (System.nanoTime() - deadlineNs > 0) {
                fail("the links in " + namespace + " did not go quiet within " + timeout + " (counters still moving: " +
                    last + ")");
            }
            pause();
            final Map<String, Counters> now = counters(namespace);
            if (!now.equals(last)) {
                last = now;
                stableSinceNs = System.nanoTime();
            }
        }
        return last;
    }

    public record Counters(long rxPackets, long rxBytes, long txPackets, long txBytes) {
        public Counters minus(final Counters earlier) {
            return new Counters(rxPackets - earlier.rxPackets, rxBytes - earlier.rxBytes,
                txPackets - earlier.txPackets, txBytes - earlier.txBytes);
        }
    }

    /** Stops every process started (politely, then by force), then deletes both namespaces. */
    @Override
    public void close() {
        for (final Process process : processes) {
            process.destroy();
        }
        for (final Process process : processes) {
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (final String namespace : namespaces) {
            deleteNamespace(namespace);
        }
    }

    private static void deleteNamespace(final String namespace) {
        // Backstop for anything started inside that is not ours to hold (or survived destroy()).
        final Result pids = execute(null, "ip", "netns", "pids", namespace);
        if (pids.status == 0) {
            for (final String pid : pids.output.trim().split("\\s+")) {
                if (!pid.isEmpty()) {
                    ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
                }
            }
        }
        execute(null, "ip", "netns", "delete", namespace);
    }
}
