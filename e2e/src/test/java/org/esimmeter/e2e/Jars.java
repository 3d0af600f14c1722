package org.esimmeter.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The shaded jars under test (failsafe passes their paths) and the JVM that runs them. */
final class Jars {
    private Jars() {
    }

    static Path agent() {
        return jar("agent.jar");
    }

    static Path collector() {
        return jar("collector.jar");
    }

    /** {@code java -jar JAR args...} with the JVM running the tests. */
    static List<String> command(final Path jar, final String... args) {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-jar");
        command.add(jar.toString());
        command.addAll(List.of(args));
        return command;
    }

    private static Path jar(final String property) {
        final String value = System.getProperty(property);
        assertTrue(value != null && !value.isBlank(), "system property " + property + " is not set (failsafe sets " +
            "it; from an IDE pass -D" + property + "=PATH)");
        final Path path = Path.of(value).toAbsolutePath().normalize();
        assertTrue(Files.isRegularFile(path), property + " : " + path + " does not exist (expected: the shaded jar " +
            "that `mvn package` builds)");
        return path;
    }
}
