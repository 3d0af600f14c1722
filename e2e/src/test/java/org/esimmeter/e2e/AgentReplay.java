package org.esimmeter.e2e;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** {@code java -jar esim-meter-agent.jar ARGS} run to completion, its output in files (no pipe to fill). */
record AgentReplay(int exit, String out, String err) {
    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    static AgentReplay run(final Path workDirectory, final String... args) {
        try {
            final Path out = Files.createTempFile(workDirectory, "agent", ".out");
            final Path err = Files.createTempFile(workDirectory, "agent", ".err");
            final Process process = new ProcessBuilder(Jars.command(Jars.agent(), args))
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .start();
            try {
                if (!process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    fail("agent " + String.join(" ", args) + " : still running after " + TIMEOUT + "; stderr: " +
                        Files.readString(err));
                }
                return new AgentReplay(process.exitValue(), Files.readString(out), Files.readString(err));
            } finally {
                process.destroyForcibly();
                process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "exit " + exit + "\nstdout: " + out + "\nstderr: " + err;
    }
}
