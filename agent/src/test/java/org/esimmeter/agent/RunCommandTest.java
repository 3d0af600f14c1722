package org.esimmeter.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.esimmeter.agent.corpus.AgentRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `run` refuses bad configuration before capturing anything: exit 2 and one line naming the file and key. */
class RunCommandTest {
    @TempDir
    Path directory;

    private AgentRun runWith(final String yaml) throws IOException {
        final Path config = directory.resolve("agent.yaml");
        Files.writeString(config, yaml);
        return AgentRun.execute("run", "--config", config.toString());
    }

    private void assertRefused(final AgentRun run, final String expectedLine) {
        assertEquals(2, run.exit(), run::toString);
        assertEquals(List.of("esim-meter-agent: " + expectedLine), run.errLines(), run::toString);
        assertEquals("", run.out(), run::toString);
    }

    @Test
    void shouldRefuseAMissingConfigurationFile() {
        final Path missing = directory.resolve("missing.yaml");
        assertRefused(AgentRun.execute("run", "--config", missing.toString()),
            missing + " : cannot read (missing or no permission)");
    }

    @Test
    void shouldRefuseAnUnknownKeyNamingIt() throws IOException {
        final AgentRun run = runWith("captur:\n  snaplen: 128\ninterfaces:\n  - name: lo\n");
        assertEquals(2, run.exit(), run::toString);
        assertEquals(1, run.errLines().size(), run::toString);
        assertTrue(run.errLines().get(0).startsWith(
            "esim-meter-agent: " + directory.resolve("agent.yaml") + " : captur : Unrecognized field \"captur\""),
            run::toString);
    }

    @Test
    void shouldRefuseAnOutOfRangeSnaplen() throws IOException {
        assertRefused(runWith("capture:\n  snaplen: 10\ninterfaces:\n  - name: lo\n"),
            directory.resolve("agent.yaml") + " : capture.snaplen : 10 (expected: 64..262144)");
    }

    @Test
    void shouldRefuseAWrongTypeNamingTheKey() throws IOException {
        final AgentRun run = runWith("capture:\n  pollMillis: soon\ninterfaces:\n  - name: lo\n");
        assertEquals(2, run.exit(), run::toString);
        assertEquals(1, run.errLines().size(), run::toString);
        assertTrue(run.errLines().get(0).startsWith(
            "esim-meter-agent: " + directory.resolve("agent.yaml") + " : capture.pollMillis : "), run::toString);
    }

    @Test
    void shouldRefuseAConfigurationWithoutInterfaces() throws IOException {
        assertRefused(runWith("capture:\n  snaplen: 128\n"), directory.resolve("agent.yaml") +
            " : interfaces : missing (expected: at least one interface to meter)");
    }

    @Test
    void shouldRefuseAnInterfaceListedTwice() throws IOException {
        assertRefused(runWith("interfaces:\n  - name: lo\n  - name: lo\n"),
            directory.resolve("agent.yaml") + " : interfaces : lo is listed twice");
    }

    @Test
    void shouldRefuseAnInterfaceThatDoesNotExist() throws IOException {
        assertRefused(runWith("interfaces:\n  - name: nosuch9\n    profile: esim-eu\n"),
            "nosuch9 : no such capture interface");
    }

    @Test
    void shouldRefuseAnOutputFileThatCannotBeOpened() throws IOException {
        final Path unwritable = directory.resolve("no-such-dir").resolve("seconds.jsonl");
        final AgentRun run = runWith("interfaces:\n  - name: lo\noutput:\n  jsonLines: " + unwritable + "\n");
        assertEquals(2, run.exit(), run::toString);
        assertEquals(1, run.errLines().size(), run::toString);
        assertTrue(run.errLines().get(0).startsWith(
            "esim-meter-agent: output.jsonLines : cannot open " + unwritable + ": "), run::toString);
    }

    @Test
    void shouldRequireTheConfigOption() {
        final AgentRun run = AgentRun.execute("run");
        assertEquals(2, run.exit(), run::toString);
        assertEquals("esim-meter-agent: Missing required option: '--config=FILE'", run.errLines().get(0),
            run::toString);
    }
}
