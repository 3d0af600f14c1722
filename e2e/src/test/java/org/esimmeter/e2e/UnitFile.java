package org.esimmeter.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A systemd unit file read as systemd reads it for what the tests check: sections, assignments (a key may repeat),
 * comments and backslash-continued lines joined with a space.
 */
final class UnitFile {
    private final Map<String, List<String>> values = new LinkedHashMap<>();

    private UnitFile() {
    }

    static UnitFile read(final Path file) {
        final List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        final UnitFile unit = new UnitFile();
        String section = "";
        StringBuilder pending = null;
        for (final String raw : lines) {
            final String line = raw.strip();
            if (pending == null && (line.isEmpty() || line.startsWith("#") || line.startsWith(";"))) {
                continue;
            }
            if (pending == null && line.startsWith("[") && line.endsWith("]")) {
                section = line.substring(1, line.length() - 1);
                continue;
            }
            final boolean continued = line.endsWith("\\");
            final String part = continued ? line.substring(0, line.length() - 1).strip() : line;
            pending = pending == null ? new StringBuilder(part) : pending.append(' ').append(part);
            if (!continued) {
                final String assignment = pending.toString();
                final int equals = assignment.indexOf('=');
                unit.values.computeIfAbsent(section + "." + assignment.substring(0, equals).strip(),
                    key -> new ArrayList<>()).add(assignment.substring(equals + 1).strip());
                pending = null;
            }
        }
        return unit;
    }

    /** The values of {@code section.key}, in order; empty when absent. */
    List<String> all(final String key) {
        return values.getOrDefault(key, List.of());
    }

    /** The one value of {@code section.key}, or null; fails when it is set more than once. */
    String get(final String key) {
        final List<String> all = all(key);
        if (all.size() > 1) {
            throw new AssertionError(key + " is set " + all.size() + " times: " + all);
        }
        return all.isEmpty() ? null : all.get(0);
    }
}
