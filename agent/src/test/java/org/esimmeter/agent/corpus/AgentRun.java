package org.esimmeter.agent.corpus;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.esimmeter.agent.AgentMain;

/** One in-process run of the agent's command line: exit status and everything it printed. */
public record AgentRun(int exit, String out, String err) {

    public static AgentRun execute(final String... args) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exit;
        try (PrintStream outStream = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            exit = AgentMain.execute(outStream, errStream, args);
        }
        return new AgentRun(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Lines on stderr, without the empty string after the last newline. */
    public List<String> errLines() {
        return err.isEmpty() ? List.of() : Arrays.asList(err.split("\r?\n"));
    }

    @Override
    public String toString() {
        return "exit " + exit + "\n--- stdout ---\n" + out + "--- stderr ---\n" + err;
    }
}
