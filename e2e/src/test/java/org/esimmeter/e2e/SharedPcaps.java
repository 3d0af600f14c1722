package org.esimmeter.e2e;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The shared corpus of real captures, {@code shared/pcaps} beside the repository root, found by walking up from the
 * working directory (Maven runs this module in {@code e2e/}; worktrees sit at other depths).
 * {@code -Desimmeter.pcaps=DIR} overrides. Never copied into the repository.
 */
final class SharedPcaps {
    static final String ABSENT = "../shared/pcaps (real captures) is not beside this checkout; the corpus cases " +
        "are skipped. Set -Desimmeter.pcaps=DIR to point at it.";

    private SharedPcaps() {
    }

    static Optional<Path> directory() {
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
