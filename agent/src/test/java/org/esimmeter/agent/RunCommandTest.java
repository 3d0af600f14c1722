package org.esimmeter.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.esimmeter.agent.corpus.AgentRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code run} and {@code check-config} refuse bad configuration alike, before capturing anything: exit 2 and
 * exactly one line on stderr naming the file, the key and what is wrong.
 */
class RunCommandTest {
    /** A variable no test environment sets. */
    static final String UNSET_VARIABLE = "ESIM_METER_TEST_VARIABLE_NEVER_SET";

    @TempDir
    Path directory;

    private Path file() {
        return directory.resolve("agent.yaml");
    }

    private Path write(final String yaml) throws IOException {
        return Files.writeString(file(), yaml);
    }

    static void assertRefused(final AgentRun run, final String expectedLine) {
        assertEquals(2, run.exit(), run::toString);
        assertEquals(List.of("esim-meter-agent: " + expectedLine), run.errLines(), run::toString);
        assertEquals("", run.out(), run::toString);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "unknown key|captur:\\n  snaplen: 128\\ninterfaces:\\n  - name: lo\\n|captur : unknown key (did you mean capture?)",
        "unknown key, far from any|interfaces:\\n  - name: lo\\nsnaplen: 128\\n|snaplen : unknown key (expected one of: capture, interfaces, collector, output, metrics, services, logging, privacy, devices)",
        "typo inside the collector section wins over the key it misses|interfaces:\\n  - name: lo\\ncollector:\\n  url: http://127.0.0.1:7470\\n  agentid: r1\\n  tokenEnv: T\\n|collector.agentid : unknown key (did you mean agentId?)",
        "typo in an interface|interfaces:\\n  - name: lo\\n    profil: esim-eu\\n|interfaces[0].profil : unknown key (did you mean profile?)",
        "text for a number|capture:\\n  pollMillis: soon\\ninterfaces:\\n  - name: lo\\n|capture.pollMillis : \"soon\" (expected: a whole number)",
        "fraction for a number|capture:\\n  snaplen: 128.5\\ninterfaces:\\n  - name: lo\\n|capture.snaplen : 128.5 (expected: a whole number)",
        "number out of range|capture:\\n  snaplen: 10\\ninterfaces:\\n  - name: lo\\n|capture.snaplen : 10 (expected: 64..512)",
        "text for a list|interfaces: lo\\n|interfaces : \"lo\" (expected: a list)",
        "no interfaces|capture:\\n  snaplen: 128\\n|interfaces : missing (expected: at least one interface to meter)",
        "interface without a name|interfaces:\\n  - name: lo\\n  - profile: esim-eu\\n|interfaces[1].name : missing",
        "interface listed twice|interfaces:\\n  - name: lo\\n  - name: lo\\n|interfaces : lo is listed twice",
        "interface not on this machine|interfaces:\\n  - name: lo\\n  - name: nosuch9\\n    profile: esim-eu\\n|interfaces[1].name : nosuch9 : no such interface on this machine (esim-meter-agent interfaces lists them)",
        "key given twice|capture:\\n  snaplen: 128\\n  snaplen: 256\\ninterfaces:\\n  - name: lo\\n|capture.snaplen : key given twice (line 3)",
        "log level|interfaces:\\n  - name: lo\\nlogging:\\n  level: loud\\n|logging.level : loud (expected: error, warn, info, debug or trace)",
        "collector without token|interfaces:\\n  - name: lo\\ncollector:\\n  url: http://127.0.0.1:7470\\n  agentId: r1\\n|collector : token missing (expected: token, or tokenEnv naming an environment variable that holds it)",
        "token variable not set|interfaces:\\n  - name: lo\\ncollector:\\n  url: http://127.0.0.1:7470\\n  agentId: r1\\n  tokenEnv: " + UNSET_VARIABLE + "\\n|collector.tokenEnv : " + UNSET_VARIABLE + " is not set in the environment",
    })
    void shouldRefuseBadConfigurationInRunAndCheckConfigAlike(final String what, final String yaml,
        final String problem) throws IOException {
        write(yaml.replace("\\n", "\n"));
        assertRefused(AgentRun.execute("run", "--config", file().toString()), file() + " : " + problem);
        assertRefused(AgentRun.execute("check-config", file().toString()), file() + " : " + problem);
    }

    @Test
    void shouldRefuseAMissingConfigurationFile() {
        final Path missing = directory.resolve("missing.yaml");
        assertRefused(AgentRun.execute("run", "--config", missing.toString()), missing + " : cannot read (no such file)");
        assertRefused(AgentRun.execute("check-config", missing.toString()), missing + " : cannot read (no such file)");
    }

    @Test
    void shouldRefuseADirectoryAsConfigurationFile() {
        assertRefused(AgentRun.execute("run", "--config", directory.toString()),
            directory + " : cannot read (a directory, expected: a file)");
    }

    @Test
    void shouldRefuseYamlThatDoesNotParseNamingTheLine() throws IOException {
        write("interfaces:\n  - name: lo\n capture: 1\n");
        assertRefused(AgentRun.execute("run", "--config", file().toString()),
            file() + " : line 3 : expected <block end>, but found '<block mapping start>' (not valid YAML)");
    }

    @Test
    void shouldRefuseAnOutputFileThatCannotBeOpened() throws IOException {
        final Path unwritable = directory.resolve("no-such-dir").resolve("seconds.jsonl");
        write("interfaces:\n  - name: lo\noutput:\n  jsonLines: " + unwritable + "\n");
        final AgentRun run = AgentRun.execute("run", "--config", file().toString());
        assertRefused(run, file() + " : output.jsonLines : cannot open " + unwritable + ": " + unwritable +
            " (No such file or directory)");
    }

    @Test
    void shouldRefuseABadLogLevelOption() throws IOException {
        write("interfaces:\n  - name: lo\n");
        assertRefused(AgentRun.execute("run", "--config", file().toString(), "--log-level", "loud"),
            "--log-level : loud (expected: error, warn, info, debug or trace)");
    }

    @Test
    void shouldRequireTheConfigOption() {
        final AgentRun run = AgentRun.execute("run");
        assertEquals(2, run.exit(), run::toString);
        assertEquals(List.of("esim-meter-agent: Missing required option: '--config=FILE'",
            "Try 'esim-meter-agent run --help' for more information."), run.errLines(), run::toString);
    }
}
