package org.esimmeter.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code scripts/install.sh} as a packager runs it (DESTDIR, PREFIX): the usual layout, byte-identical jars and
 * units, modes that keep tokens private, and an administrator's edited configuration kept on a second run.
 */
class InstallScriptIT {
    private static final Path ROOT = SystemdUnitsIT.ROOT;

    @TempDir
    Path destdir;

    private record Run(int status, String output) {
    }

    private Run install(final Map<String, String> environment, final String... args) throws Exception {
        final List<String> command = new ArrayList<>(List.of(ROOT.resolve("scripts/install.sh").toString()));
        command.addAll(List.of(args));
        final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("DESTDIR", destdir.toString());
        builder.environment().put("AGENT_JAR", Jars.agent().toString());
        builder.environment().put("COLLECTOR_JAR", Jars.collector().toString());
        builder.environment().putAll(environment);
        final Process process = builder.start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "install.sh still running after 60 s: " + output);
        return new Run(process.exitValue(), output);
    }

    /** Every file under DESTDIR with its mode, e.g. {@code etc/esim-meter/agent.env rw-------}. */
    private Map<String, String> layout() throws IOException {
        final Map<String, String> files = new TreeMap<>();
        try (Stream<Path> paths = Files.walk(destdir)) {
            for (final Path path : paths.filter(Files::isRegularFile).toList()) {
                files.put(destdir.relativize(path).toString(),
                    PosixFilePermissions.toString(Files.getPosixFilePermissions(path)));
            }
        }
        return files;
    }

    @Test
    void shouldLayOutJarsConfigurationAndUnitsTheUsualWay() throws Exception {
        final Run run = install(Map.of());
        assertEquals(0, run.status(), run.output());

        assertEquals(new TreeMap<>(Map.ofEntries(
            Map.entry("usr/lib/esim-meter/esim-meter-agent.jar", "rw-r--r--"),
            Map.entry("usr/lib/esim-meter/esim-meter-collector.jar", "rw-r--r--"),
            Map.entry("usr/lib/esim-meter/mmcli-active-sim", "rwxr-xr-x"),
            Map.entry("etc/esim-meter/agent.yaml", "rw-r-----"),
            Map.entry("etc/esim-meter/collector.yaml", "rw-r-----"),
            Map.entry("etc/esim-meter/agent.env", "rw-------"),
            Map.entry("etc/esim-meter/collector.env", "rw-------"),
            Map.entry("lib/systemd/system/esim-meter-agent.service", "rw-r--r--"),
            Map.entry("lib/systemd/system/esim-meter-collector.service", "rw-r--r--"),
            Map.entry("usr/lib/sysusers.d/esim-meter.conf", "rw-r--r--"),
            Map.entry("usr/share/doc/esim-meter/README.md", "rw-r--r--"))), layout());
        assertSameBytes(Jars.agent(), "usr/lib/esim-meter/esim-meter-agent.jar");
        assertSameBytes(ROOT.resolve("scripts/mmcli-active-sim"), "usr/lib/esim-meter/mmcli-active-sim");
        assertSameBytes(Jars.collector(), "usr/lib/esim-meter/esim-meter-collector.jar");
        assertSameBytes(ROOT.resolve("config/agent.yaml"), "etc/esim-meter/agent.yaml");
        assertSameBytes(ROOT.resolve("config/collector.yaml"), "etc/esim-meter/collector.yaml");
        // With the default PREFIX the units are the repository's, byte for byte (the paths they name are these).
        assertSameBytes(SystemdUnitsIT.AGENT, "lib/systemd/system/esim-meter-agent.service");
        assertSameBytes(SystemdUnitsIT.COLLECTOR, "lib/systemd/system/esim-meter-collector.service");
        assertSameBytes(ROOT.resolve("systemd/esim-meter.sysusers"), "usr/lib/sysusers.d/esim-meter.conf");
        assertTrue(run.output().contains("systemctl enable --now esim-meter-agent"), run.output());
        assertTrue(run.output().contains("Edit /etc/esim-meter/agent.yaml"), run.output());
    }

    @Test
    void shouldKeepAnEditedConfigurationOnASecondRun() throws Exception {
        assertEquals(0, install(Map.of()).status());
        final Path agentYaml = destdir.resolve("etc/esim-meter/agent.yaml");
        final String edited = "interfaces:\n  - name: wwan7\n";
        Files.writeString(agentYaml, edited);
        Files.writeString(destdir.resolve("etc/esim-meter/agent.env"), "ESIM_METER_TOKEN=secret-of-the-admin\n");

        final Run second = install(Map.of());

        assertEquals(0, second.status(), second.output());
        assertEquals(edited, Files.readString(agentYaml));
        assertEquals("ESIM_METER_TOKEN=secret-of-the-admin\n",
            Files.readString(destdir.resolve("etc/esim-meter/agent.env")));
        assertTrue(second.output().contains("install.sh: kept /etc/esim-meter/agent.yaml /etc/esim-meter/collector.yaml " +
            "/etc/esim-meter/agent.env /etc/esim-meter/collector.env"), second.output());
        assertSameBytes(Jars.agent(), "usr/lib/esim-meter/esim-meter-agent.jar"); // the jars are replaced, always
    }

    @Test
    void shouldWriteAnotherPrefixIntoTheUnits() throws Exception {
        final Run run = install(Map.of("PREFIX", "/usr/local", "SYSCONFDIR", "/usr/local/etc"));
        assertEquals(0, run.status(), run.output());

        final Path unit = destdir.resolve("usr/local/lib/systemd/system/esim-meter-agent.service");
        assertTrue(Files.isRegularFile(destdir.resolve("usr/local/lib/esim-meter/esim-meter-agent.jar")));
        assertTrue(Files.isRegularFile(destdir.resolve("usr/local/etc/esim-meter/agent.yaml")));
        assertTrue(UnitFile.read(unit).get("Service.ExecStart").endsWith(
            " -jar /usr/local/lib/esim-meter/esim-meter-agent.jar run --config /usr/local/etc/esim-meter/agent.yaml"));
        assertEquals(Files.readString(SystemdUnitsIT.AGENT)
                .replace("/usr/lib/esim-meter/", "/usr/local/lib/esim-meter/")
                .replace("/etc/esim-meter/", "/usr/local/etc/esim-meter/")
                .replace("/usr/share/doc/esim-meter/", "/usr/local/share/doc/esim-meter/"),
            Files.readString(unit), "only the paths differ");
        SystemdUnitsIT.assertVerified(unit,
            destdir.resolve("usr/local/lib/systemd/system/esim-meter-collector.service"));
    }

    @Test
    void shouldRefuseMissingJarsWithOneLine() throws Exception {
        final Run run = install(Map.of("AGENT_JAR", destdir.resolve("nope.jar").toString()));
        assertEquals(new Run(2, "install.sh: " + destdir.resolve("nope.jar") + " : not found (expected: the " +
            "shaded jar; build it with 'mvn -B package -DskipTests' or run with --build)\n"), run);
        assertEquals(Map.of(), layout(), "nothing installed");
    }

    private void assertSameBytes(final Path expected, final String installed) throws IOException {
        assertArrayEquals(Files.readAllBytes(expected), Files.readAllBytes(destdir.resolve(installed)), installed);
    }
}
