package org.esimmeter.agent.corpus;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Finds the shared corpus of real captures, {@code shared/pcaps} beside the repository root (the project's
 * {@code ../shared/pcaps}), by walking up from the working directory: Maven runs tests in {@code agent/}, an IDE
 * may run them at the root, and worktrees sit at other depths. {@code -Desimmeter.pcaps=DIR} overrides.
 */
public final class SharedPcaps {
    public static final String ABSENT = "../shared/pcaps (real captures with tshark truths) is not beside this " +
        "checkout; corpus tests skipped. Set -Desimmeter.pcaps=DIR to point at it.";

    private SharedPcaps() {
    }

    public static Optional<Path> directory() {
        final String override = System.getProperty("esimmeter.pcaps");
        if (override != null && !override.isBlank()) {
            final Path path = Path.of(override).toAbsolutePath();
            return Files.isDirectory(path) ? Optional.of(path) : Optional.empty();
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            final Path candidate = dir.resolve("shared").resolve("pcaps");
            if (Files.isDirectory(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }
}
