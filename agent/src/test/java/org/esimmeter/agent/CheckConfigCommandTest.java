package org.esimmeter.agent;

import static org.esimmeter.agent.RunCommandTest.assertRefused;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.esimmeter.agent.corpus.AgentRun;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code check-config FILE}: a one-line summary and exit 0 for a good file (the refusals: RunCommandTest). */
class CheckConfigCommandTest {
    @TempDir
    Path directory;

    private AgentRun check(final String yaml) throws IOException {
        final Path file = Files.writeString(directory.resolve("agent.yaml"), yaml);
        return AgentRun.execute("check-config", file.toString());
    }

    private void assertAccepted(final AgentRun run, final String summary) {
        assertEquals(0, run.exit(), run::toString);
        assertEquals(directory.resolve("agent.yaml") + " : ok (" + summary + ")\n", run.out(), run::toString);
        assertEquals("", run.err(), run::toString);
    }

    @Test
    void shouldSummarizeAMinimalFileWithItsDefaults() throws IOException {
        assertAccepted(check("interfaces:\n  - name: lo\n"), "1 interface: lo -> lo; snaplen 128, buffer 4194304 " +
            "bytes, filter none; no collector; service names on lo (snaplen 1500); JSON lines -; log level info (default)");
    }

    @Test
    void shouldSummarizeEverySectionWithoutTheSecret() throws IOException {
        final Path spool = directory.resolve("spool");
        assertAccepted(check("capture:\n  snaplen: 256\n  bufferBytes: 1048576\n  filter: not port 22\n" +
                "interfaces:\n  - name: lo\n    profile: loopback\n    filter: udp\n  - name: any\n" +
                "collector:\n  url: http://127.0.0.1:7470/\n  agentId: router-1\n  token: secret-token-0123456789\n" +
                "  spoolDirectory: " + spool + "\n  spoolMaxBytes: 1048576\noutput:\n  jsonLines: /var/log/x.jsonl\n" +
                "logging:\n  level: DEBUG\n"),
            "2 interfaces: lo -> loopback (filter 'udp'), any -> any; snaplen 256, buffer 1048576 bytes, filter " +
                "'not port 22'; collector http://127.0.0.1:7470 as router-1, token in the file, spool " + spool +
                " (cap 1048576 bytes); service names on lo, any (snaplen 1500); JSON lines /var/log/x.jsonl; log level " +
                "debug");
    }

    @Test
    void shouldRefuseTheShippedExampleOnAMachineWithoutItsModems() throws IOException {
        // config/agent.yaml names wwan0 and wwan1: the check is about this machine, not only the file.
        Path example = null;
        for (Path at = Path.of("").toAbsolutePath(); at != null && example == null; at = at.getParent()) {
            example = Files.isRegularFile(at.resolve("config/agent.yaml")) ? at.resolve("config/agent.yaml") : null;
        }
        Assumptions.assumeFalse(Files.exists(Path.of("/sys/class/net/wwan0")), "this machine has a wwan0");
        assertRefused(AgentRun.execute("check-config", example.toString()), example + " : interfaces[0].name : wwan0 : no such interface on this machine " +
            "(esim-meter-agent interfaces lists them)");
    }

    @Test
    void shouldSummarizeProfileDiscovery() throws IOException {
        assertAccepted(check("interfaces:\n  - name: lo\n    profileFrom:\n      command: [sh, -c, 'cat /run/sim']\n" +
                "  - name: any\n    profile: home\n    profileFrom:\n      file: /run/esim/active\n" +
                "      intervalSeconds: 2\n"),
            "2 interfaces: lo -> ICCID from sh -c cat /run/sim every 5 s (until then unknown-sim), any -> ICCID " +
                "from /run/esim/active every 2 s (until then home); snaplen 128, buffer 4194304 bytes, filter none; " +
                "no collector; service names on lo, any (snaplen 1500); JSON lines -; log level info (default)");
    }

    @Test
    void shouldRefuseADiscoveryCommandThatCannotRun() throws IOException {
        final Path file = directory.resolve("agent.yaml");
        assertRefused(check("interfaces:\n  - name: lo\n    profileFrom:\n      command: [mmcli-typo, -J]\n"),
            file + " : interfaces[0].profileFrom.command : mmcli-typo : not found on PATH (expected: an " +
                "executable, or its absolute path)");
        final Path script = Files.writeString(directory.resolve("modem.sh"), "#!/bin/sh\n");
        assertRefused(check("interfaces:\n  - name: lo\n  - name: any\n    profileFrom:\n      command: [" + script +
            "]\n"), file + " : interfaces[1].profileFrom.command : " + script + " : not executable");
        assertRefused(check("interfaces:\n  - name: lo\n    profileFrom:\n      command: [" + directory +
            "/absent]\n"), file + " : interfaces[0].profileFrom.command : " + directory + "/absent : no such file");
    }

    @Test
    void shouldRequireTheFileArgument() {
        final AgentRun run = AgentRun.execute("check-config");
        assertEquals(2, run.exit(), run::toString);
        assertEquals("esim-meter-agent: Missing required parameter: 'FILE'", run.errLines().get(0), run::toString);
    }
}
