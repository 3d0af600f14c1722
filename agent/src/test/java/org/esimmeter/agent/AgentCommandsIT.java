package org.esimmeter.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.esimmeter.agent.capture.LiveNetwork;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's jar as an operator runs it: --version, --help, {@code interfaces} on this machine (checked against
 * tcpdump and ip), what an unprivileged user gets, and the log: which level is in effect and what a line looks
 * like. Root: the interfaces are opened and lo is captured; the unprivileged cases run through setpriv.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class AgentCommandsIT {
    private static final Pattern COLUMNS = Pattern.compile(" {2,}");
    private static final Pattern TIMESTAMPED = Pattern.compile("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z " +
        "(ERROR|WARN|INFO|DEBUG|TRACE) \\S+ - .*");
    private static final String NOBODY = "65534";

    @TempDir
    Path directory;

    /** Exit status, stdout and stderr of a finished run. */
    private record Finished(int exit, String out, List<String> err) {
        List<String> outLines() {
            return out.lines().toList();
        }
    }

    @BeforeEach
    void openTheDirectoryToNobody() throws IOException {
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private static List<String> agent(final boolean asNobody, final String... args) {
        final List<String> command = new ArrayList<>();
        if (asNobody) {
            command.addAll(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups"));
        }
        command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
            Path.of(System.getProperty("agent.jar")).toAbsolutePath().toString()));
        command.addAll(Arrays.asList(args));
        return command;
    }

    private Finished finish(final List<String> command, final Map<String, String> environment) throws Exception {
        final Path out = directory.resolve("out.txt");
        final Path err = directory.resolve("err.txt");
        final ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile())
            .redirectError(err.toFile());
        builder.environment().remove("JOURNAL_STREAM");
        builder.environment().remove("ESIM_METER_LOG_LEVEL");
        builder.environment().putAll(environment);
        final Process process = builder.start();
        try {
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "still running after 60 s: " + command);
        } finally {
            process.destroyForcibly();
        }
        return new Finished(process.exitValue(), Files.readString(out), Files.readAllLines(err));
    }

    private Finished finish(final String... args) throws Exception {
        return finish(agent(false, args), Map.of());
    }

    private Path config(final String yaml) throws IOException {
        final Path file = Files.writeString(directory.resolve("agent.yaml"), yaml);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        return file;
    }

    private static String[] row(final List<String> table, final String name) {
        final List<String[]> rows = table.stream().map(line -> COLUMNS.split(line.trim()))
            .filter(cells -> cells[0].equals(name)).toList();
        assertEquals(1, rows.size(), "rows for " + name + " in\n" + String.join("\n", table));
        return rows.get(0);
    }

    private static String commandOutput(final String... command) throws Exception {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(20, TimeUnit.SECONDS), String.join(" ", command));
        return output;
    }

    @Test
    void versionShouldBeTheMavenProjectVersionWithLibpcapAndJava() throws Exception {
        final Finished version = finish("--version");
        assertEquals(0, version.exit(), version::toString);
        assertEquals(3, version.outLines().size(), version::toString);
        assertEquals("esim-meter-agent " + System.getProperty("project.version"), version.outLines().get(0));
        // tcpdump links the same Debian libpcap and says its version the same way.
        final String libpcap = commandOutput("tcpdump", "--version").lines()
            .filter(line -> line.startsWith("libpcap version ")).findFirst().orElseThrow();
        assertEquals(libpcap, version.outLines().get(1));
        assertEquals("Java " + Runtime.version(), version.outLines().get(2).replaceFirst(" \\(.*\\)$", ""));
        assertEquals(List.of(), version.err());
    }

    @Test
    void helpShouldListEveryCommand() throws Exception {
        final Finished help = finish("--help");
        assertEquals(0, help.exit(), help::toString);
        assertTrue(help.out().startsWith("Usage: esim-meter-agent [-hV] [COMMAND]\n"), help::toString);
        for (final String command : List.of("run", "replay", "interfaces", "check-config")) {
            assertTrue(help.out().contains("\n  " + command + "  "), command + " missing:\n" + help.out());
        }
        final Finished unknown = finish("frobnicate");
        assertEquals(2, unknown.exit(), unknown::toString);
        assertEquals("esim-meter-agent: Unmatched argument at index 0: 'frobnicate'", unknown.err().get(0));
    }

    @Test
    void interfacesShouldShowLoopbackAsLibpcapOpensIt() throws Exception {
        LiveNetwork.requireRoot("interfacesShouldShowLoopbackAsLibpcapOpensIt");
        final Finished listed = finish("interfaces");
        assertEquals(0, listed.exit(), listed::toString);
        assertEquals(List.of("INTERFACE", "LINK TYPE", "DIRECTION BY", "STATE", "ADDRESSES"),
            List.of(COLUMNS.split(listed.outLines().get(0).trim())), listed::toString);
        final String[] lo = row(listed.outLines(), "lo");
        // Linux loopback is Ethernet-framed (zero MACs) to libpcap: tcpdump lists EN10MB as its only link type.
        assertTrue(commandOutput("tcpdump", "-L", "-i", "lo").contains("EN10MB"));
        assertEquals("EN10MB (1)", lo[1], listed::toString);
        assertEquals("own MAC 00:00:00:00:00:00", lo[2], listed::toString);
        assertEquals("up", lo[3], listed::toString);
        assertTrue(commandOutput("ip", "-o", "-4", "addr", "show", "dev", "lo").contains(" 127.0.0.1/8 "));
        assertTrue(lo[4].startsWith("127.0.0.1/8"), listed::toString);
        // "any" is libpcap's cooked pseudo-interface: direction comes from each packet's header.
        assertEquals(List.of("any", "LINUX_SLL (113)", "cooked header", "up", "-"),
            List.of(row(listed.outLines(), "any")), listed::toString);
    }

    @Test
    void interfacesShouldPrintJsonAndTheProfilesOfAConfiguration() throws Exception {
        LiveNetwork.requireRoot("interfacesShouldPrintJsonAndTheProfilesOfAConfiguration");
        final Path file = config("interfaces:\n  - name: lo\n    profile: loopback-plan\n  - name: wwan7\n" +
            "    profile: esim-eu\n");

        final Finished json = finish("interfaces", "--json", "--config", file.toString());
        assertEquals(0, json.exit(), json::toString);
        final JsonNode all = new ObjectMapper().readTree(json.out());
        JsonNode lo = null;
        JsonNode wwan7 = null;
        for (final JsonNode device : all) {
            lo = "lo".equals(device.get("name").asText()) ? device : lo;
            wwan7 = "wwan7".equals(device.get("name").asText()) ? device : wwan7;
            if (!"lo".equals(device.get("name").asText()) && !"wwan7".equals(device.get("name").asText())) {
                assertEquals("-", device.get("profile").asText(), device::toString);
            }
        }
        assertEquals("EN10MB", lo.get("linkType").asText(), json::toString);
        assertEquals(1, lo.get("linkTypeNumber").asInt(), json::toString);
        assertEquals("up", lo.get("state").asText());
        assertTrue(lo.get("loopback").asBoolean());
        assertEquals("127.0.0.1/8", lo.get("addresses").get(0).asText());
        assertEquals("loopback-plan", lo.get("profile").asText());
        assertEquals("absent", wwan7.get("state").asText());
        assertEquals("esim-eu", wwan7.get("profile").asText());
        assertTrue(wwan7.get("linkType").isNull());

        final Finished table = finish("interfaces", "--config", file.toString());
        assertEquals(List.of("INTERFACE", "LINK TYPE", "DIRECTION BY", "STATE", "PROFILE", "ADDRESSES"),
            List.of(COLUMNS.split(table.outLines().get(0).trim())), table::toString);
        assertEquals("loopback-plan", row(table.outLines(), "lo")[4], table::toString);
        assertEquals(List.of("wwan7", "-", "-", "absent", "esim-eu", "-"), List.of(row(table.outLines(), "wwan7")),
            table::toString);
    }

    @Test
    void withoutCapNetRawInterfacesListsButRunRefusesWithTheReason() throws Exception {
        LiveNetwork.requireRoot("withoutCapNetRawInterfacesListsButRunRefusesWithTheReason");
        final Finished listed = finish(agent(true, "interfaces"), Map.of());
        assertEquals(0, listed.exit(), listed::toString);
        final String[] lo = row(listed.outLines(), "lo");
        assertEquals("?", lo[1], listed::toString);
        assertTrue(lo[4].startsWith("127.0.0.1/8"), listed::toString);
        assertEquals(1, listed.err().size(), listed::toString);
        assertTrue(listed.err().get(0).startsWith("esim-meter-agent: link type unknown for ") &&
            listed.err().get(0).endsWith(" : no permission to capture (socket: Operation not permitted): run as " +
                "root or with the capability CAP_NET_RAW, as esim-meter-agent.service grants it") &&
            listed.err().get(0).contains(" lo"), listed::toString);

        final Path file = config("interfaces:\n  - name: lo\noutput:\n  jsonLines: none\n");
        final Finished run = finish(agent(true, "run", "--config", file.toString()), Map.of());
        assertEquals(2, run.exit(), run::toString);
        assertEquals("esim-meter-agent: lo : no permission to capture (socket: Operation not permitted): run as root " +
            "or with the capability CAP_NET_RAW, as esim-meter-agent.service grants it", run.err().get(run.err().size() -
            1), run::toString);

        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        final Finished unreadable = finish(agent(true, "check-config", file.toString()), Map.of());
        assertEquals(2, unreadable.exit(), unreadable::toString);
        assertEquals(List.of("esim-meter-agent: " + file + " : cannot read (permission denied)"), unreadable.err());
    }

    /** Runs the agent on lo until its first JSON line, stops it with SIGTERM; its stderr. */
    private List<String> logOfARun(final String logging, final Map<String, String> environment,
        final String... options) throws Exception {
        final Path file = config("interfaces:\n  - name: lo\n    profile: loopback\n" + logging);
        final List<String> args = new ArrayList<>(List.of("run", "--config", file.toString()));
        args.addAll(List.of(options));
        final Path out = directory.resolve("seconds.jsonl");
        final Path err = directory.resolve("agent.log");
        final ProcessBuilder builder = new ProcessBuilder(agent(false, args.toArray(new String[0])))
            .redirectOutput(out.toFile()).redirectError(err.toFile());
        builder.environment().remove("JOURNAL_STREAM");
        builder.environment().remove("ESIM_METER_LOG_LEVEL");
        builder.environment().putAll(environment);
        final Process process = builder.start();
        try (DatagramSocket traffic = new DatagramSocket()) {
            // The first sealed second, not a log line: at level warn there is none to wait for. A second with no
            // packet has no line, so the wait sends one datagram to lo's discard port per poll.
            final DatagramPacket datagram = new DatagramPacket(new byte[16], 16, InetAddress.getLoopbackAddress(), 9);
            LiveNetwork.await("the agent's first JSON line", Duration.ofSeconds(20), () -> {
                send(traffic, datagram);
                return !process.isAlive() || !read(out).isEmpty() && String.join("\n", read(out)).endsWith("}");
            }, () -> String.join("\n", read(err)));
            assertTrue(process.isAlive(), () -> "the agent exited: " + String.join("\n", read(err)));
            process.destroy();
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), "still running 30 s after SIGTERM");
            assertEquals(0, process.exitValue(), () -> String.join("\n", read(err)));
        } finally {
            process.destroyForcibly();
        }
        return read(err);
    }

    private static void send(final DatagramSocket socket, final DatagramPacket datagram) {
        try {
            socket.send(datagram);
        } catch (final IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> read(final Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (final IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long count(final List<String> log, final String part) {
        return log.stream().filter(line -> line.contains(part)).count();
    }

    @Test
    void runShouldLogAtTheLevelAskedForOneTimestampedLinePerEvent() throws Exception {
        LiveNetwork.requireRoot("runShouldLogAtTheLevelAskedForOneTimestampedLinePerEvent");
        final String starting = " INFO AgentMain - esim-meter-agent " + System.getProperty("project.version") +
            " starting with " + directory.resolve("agent.yaml");
        final String debugConfiguration = " DEBUG AgentMain - configuration: 1 interface: lo -> loopback; ";

        final List<String> byDefault = logOfARun("", Map.of());
        for (final String line : byDefault) {
            assertTrue(TIMESTAMPED.matcher(line).matches(), "not one timestamped event per line: " + line);
        }
        assertEquals(1, count(byDefault, starting + " (log level info)"), byDefault::toString);
        assertEquals(1, count(byDefault, " INFO LiveCapture - capturing on lo (EN10MB, profile loopback"),
            byDefault::toString);
        assertEquals(0, count(byDefault, " DEBUG "), byDefault::toString);

        final List<String> debug = logOfARun("", Map.of(), "--log-level", "debug");
        assertEquals(1, count(debug, debugConfiguration), debug::toString);
        assertEquals(1, count(debug, starting + " (log level debug)"), debug::toString);

        final List<String> fromFile = logOfARun("logging:\n  level: debug\n", Map.of());
        assertEquals(1, count(fromFile, debugConfiguration), fromFile::toString);

        final List<String> environmentBeatsFile = logOfARun("logging:\n  level: debug\n",
            Map.of("ESIM_METER_LOG_LEVEL", "warn"));
        assertEquals(List.of(), environmentBeatsFile);

        final List<String> optionBeatsEnvironment = logOfARun("", Map.of("ESIM_METER_LOG_LEVEL", "warn"),
            "--log-level", "debug");
        assertEquals(1, count(optionBeatsEnvironment, debugConfiguration), optionBeatsEnvironment::toString);
        assertFalse(optionBeatsEnvironment.stream().anyMatch(line -> line.contains("\u001b")), "colour codes");
    }

    @Test
    void shouldRefuseABadLevelInTheEnvironmentNamingIt() throws Exception {
        final Finished replay = finish(agent(false, "replay", directory.resolve("any.pcap").toString()),
            Map.of("ESIM_METER_LOG_LEVEL", "chatty"));
        assertEquals(2, replay.exit(), replay::toString);
        assertEquals(List.of("esim-meter-agent: ESIM_METER_LOG_LEVEL : chatty (expected: error, warn, info, debug " +
            "or trace)"), replay.err());
    }
}
