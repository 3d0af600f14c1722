package org.esimmeter.agent.ship;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import org.esimmeter.agent.config.AgentConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sequence lease of a spool on tmpfs (/run, the default) must outlive a reboot: the collector answers a reused
 * sequence "duplicate", so an agent that started again at 1 would have its batches dropped, silently, until it
 * passed its old numbers.
 */
class SpoolLeaseTest {
    @TempDir
    Path dir;

    @Test
    void shouldContinueAboveEverySequenceAfterARebootEmptiedTheSpool() throws Exception {
        final Path run = dir.resolve("run/esim-meter");
        final Path state = dir.resolve("var/lib/esim-meter/agent");
        long last = 0;
        try (Spool spool = Spool.open(run, state, 3)) {
            for (int i = 0; i < 7; i++) { // crosses two lease blocks of 3
                last = spool.nextSequence();
            }
        }
        assertEquals(7, last);
        deleteTree(dir.resolve("run")); // what a reboot does to tmpfs

        try (Spool spool = Spool.open(run, state, 3)) {
            final long first = spool.nextSequence();
            assertTrue(first > last, "first sequence after the reboot " + first + " (expected: > " + last + ")");
        }
        // Without a lease directory the spool alone cannot know: the reason the lease directory exists.
        deleteTree(dir.resolve("run"));
        try (Spool spool = Spool.open(run, 3)) {
            assertEquals(1, spool.nextSequence());
        }
    }

    @Test
    void shouldStartAboveTheHigherOfBothLeases() throws Exception {
        final Path run = dir.resolve("run");
        final Path state = dir.resolve("state");
        Files.createDirectories(run);
        // An agent that used the spool alone before its unit set STATE_DIRECTORY: its old lease is in the spool.
        Files.writeString(run.resolve("sequence"), "5000\n");
        try (Spool spool = Spool.open(run, state, 10)) {
            assertEquals(5000, spool.nextSequence());
        }
        assertEquals("5010", Files.readString(state.resolve("sequence")).trim());
        assertEquals("5010", Files.readString(run.resolve("sequence")).trim());

        Files.writeString(run.resolve("sequence"), "20\n"); // the lease directory now holds the higher one
        try (Spool spool = Spool.open(run, state, 10)) {
            assertEquals(5010, spool.nextSequence());
        }
    }

    @Test
    void shouldKeepTheLeaseInStateDirectoryWhenSystemdSetsIt() {
        final AgentConfig.Collector collector = new AgentConfig.Collector("http://127.0.0.1:7470", "router-a", "t0ken",
            null, null, null, null, null, null);
        assertEquals("/var/lib/esim-meter/agent", collector.resolveLeaseDirectory(Map.of(
            "RUNTIME_DIRECTORY", "/run/esim-meter", "STATE_DIRECTORY", "/var/lib/esim-meter/agent:/var/lib/other")));
        assertEquals("/run/esim-meter", collector.resolveLeaseDirectory(Map.of("RUNTIME_DIRECTORY", "/run/esim-meter")));
    }

    @Test
    void shouldKeepTheLeaseInVarLibForTheDefaultSpoolOfAnAgentStartedByHandAsRoot() {
        final AgentConfig.Collector collector = new AgentConfig.Collector("http://127.0.0.1:7470", "router-a", "t0ken",
            null, null, null, null, null, null);
        final boolean root = Files.isWritable(Path.of("/run")) && Files.isWritable(Path.of("/var/lib"));
        org.junit.jupiter.api.Assumptions.assumeTrue(root, "needs root: the defaults differ without it");
        assertEquals("/run/esim-meter", collector.resolveSpoolDirectory(Map.of()));
        assertEquals("/var/lib/esim-meter/agent", collector.resolveLeaseDirectory(Map.of()));
        // A spool directory the operator chose keeps the lease with it.
        final AgentConfig.Collector chosen = new AgentConfig.Collector("http://127.0.0.1:7470", "router-a", "t0ken",
            null, null, null, "/srv/spool", null, null);
        assertEquals("/srv/spool", chosen.resolveLeaseDirectory(Map.of()));
    }

    private static void deleteTree(final Path root) throws Exception {
        try (Stream<Path> paths = Files.walk(root)) {
            for (final Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
