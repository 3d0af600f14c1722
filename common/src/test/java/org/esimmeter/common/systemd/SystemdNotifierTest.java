package org.esimmeter.common.systemd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** sd_notify against a real AF_UNIX datagram socket bound by the test, as systemd binds its notify socket. */
class SystemdNotifierTest {
    private static final long PID = ProcessHandle.current().pid();
    private static final Duration WAIT = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    @Test
    void shouldSendReadyWithStatusToSocketPath() {
        try (NotifyReceiver systemd = NotifyReceiver.bind(dir.resolve("notify"))) {
            final SystemdNotifier notifier = SystemdNotifier.of(Map.of("NOTIFY_SOCKET", systemd.address()), PID);
            assertTrue(notifier.active());
            assertEquals(0, notifier.watchdogMicros());

            notifier.ready("capturing on wwan0,\nwwan1", Liveness.PROCESS);
            notifier.status("2 interfaces");
            notifier.stopping("draining");

            assertNotNull(systemd.await(m -> m.startsWith("STOPPING=1"), WAIT), "STOPPING=1 received");
            // The status's newline would start a new assignment in the protocol: it is sent as one line.
            assertEquals(List.of("READY=1\nSTATUS=capturing on wwan0, wwan1", "STATUS=2 interfaces",
                "STOPPING=1\nSTATUS=draining"), systemd.all());
        }
    }

    @Test
    void shouldSendToAbstractName() {
        final String name = "esim-meter-test-" + PID + "-" + ThreadLocalRandom.current().nextInt(1 << 30);
        try (NotifyReceiver systemd = NotifyReceiver.bindAbstract(name)) {
            SystemdNotifier.of(Map.of("NOTIFY_SOCKET", "@" + name), PID).ready("serving", Liveness.PROCESS);
            assertEquals("READY=1\nSTATUS=serving", systemd.await(m -> true, WAIT));
        }
    }

    @Test
    void shouldEncodeSockaddrLikeLibsystemd() {
        final byte[] family = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? new byte[] {1, 0} : new byte[] {0, 1};
        // Path: the name and its NUL. Abstract: a leading NUL and the name, no NUL after (addrlen bounds it).
        assertArrayEquals(concat(family, "/run/n\0"), NotifySocket.parse("/run/n").sockaddr());
        assertArrayEquals(concat(family, "\0abc"), NotifySocket.parse("@abc").sockaddr());
        assertEquals(2 + 108, NotifySocket.parse("/" + "x".repeat(106)).sockaddr().length);
    }

    @Test
    void shouldRefuseAddressesItCannotSendTo() {
        assertEquals("NOTIFY_SOCKET : run/notify (expected: an absolute path or @abstract-name; other address " +
            "families are not supported)", assertThrows(IllegalArgumentException.class,
                () -> NotifySocket.parse("run/notify")).getMessage());
        assertEquals("NOTIFY_SOCKET : vsock:2:1234 (expected: an absolute path or @abstract-name; other address " +
            "families are not supported)", assertThrows(IllegalArgumentException.class,
                () -> NotifySocket.parse("vsock:2:1234")).getMessage());
        assertEquals("NOTIFY_SOCKET : /" + "x".repeat(107) + " (expected: 1..107 bytes of name)",
            assertThrows(IllegalArgumentException.class, () -> NotifySocket.parse("/" + "x".repeat(107))).getMessage());
        // The daemon still runs, unnotified: a bad variable must not stop it.
        assertFalse(SystemdNotifier.of(Map.of("NOTIFY_SOCKET", "run/notify"), PID).active());
        assertFalse(SystemdNotifier.of(Map.of(), PID).active());
    }

    @Test
    void shouldDoNothingOutsideSystemd() {
        final SystemdNotifier notifier = SystemdNotifier.of(Map.of("WATCHDOG_USEC", "100000"), PID);
        assertFalse(notifier.active());
        notifier.ready("serving", withinNanos -> {
            throw new AssertionError("no watchdog without a notify socket");
        });
        notifier.stopping("bye");
    }

    @Test
    void shouldNotThrowWhenNobodyListens() {
        final SystemdNotifier notifier = SystemdNotifier.of(Map.of("NOTIFY_SOCKET",
            dir.resolve("absent").toString()), PID);
        assertFalse(notifier.send("READY=1"));
        notifier.ready("serving", Liveness.PROCESS);
    }

    @Test
    void shouldPingWatchdogEveryHalfInterval() {
        try (NotifyReceiver systemd = NotifyReceiver.bind(dir.resolve("notify"))) {
            final SystemdNotifier notifier = SystemdNotifier.of(Map.of("NOTIFY_SOCKET", systemd.address(),
                "WATCHDOG_USEC", "200000", "WATCHDOG_PID", String.valueOf(PID)), PID);
            assertEquals(200_000, notifier.watchdogMicros());
            final List<Long> asked = new CopyOnWriteArrayList<>();
            final long readyNs = System.nanoTime();
            notifier.ready("serving", withinNanos -> {
                asked.add(withinNanos);
                return null;
            });
            assertEquals("READY=1\nSTATUS=serving", systemd.await(m -> true, WAIT));
            for (int i = 0; i < 5; i++) {
                awaitPing(systemd);
            }
            final long fifthNs = System.nanoTime();
            notifier.stopping("bye");
            // Pings every 100 ms (half of WATCHDOG_USEC), the first at once: the fifth is sent 400 ms after READY=1
            // at the earliest (a busy scheduler runs late, never early), and received after it is sent.
            assertTrue(fifthNs - readyNs >= 400_000_000L, "5 pings within " + (fifthNs - readyNs) / 1_000_000 + " ms");
            assertEquals(100_000_000L, asked.get(0), "progress is asked for within one ping period");
        }
    }

    @Test
    void shouldWithholdPingWhileDaemonMakesNoProgress() {
        try (NotifyReceiver systemd = NotifyReceiver.bind(dir.resolve("notify"))) {
            final SystemdNotifier notifier = SystemdNotifier.of(Map.of("NOTIFY_SOCKET", systemd.address(),
                "WATCHDOG_USEC", "100000"), PID);
            final AtomicReference<String> problem = new AtomicReference<>();
            notifier.ready("capturing", withinNanos -> problem.get());
            awaitPing(systemd);

            problem.set("capture loop made no progress for 51 ms");
            assertEquals("STATUS=watchdog withheld: capture loop made no progress for 51 ms",
                systemd.await(m -> m.startsWith("STATUS="), WAIT));
            // Every period (50 ms) while stuck: the problem again as the status, never a ping.
            assertEquals("STATUS=watchdog withheld: capture loop made no progress for 51 ms",
                systemd.await(m -> true, WAIT));
            assertNull(systemd.await(m -> m.contains("WATCHDOG=1"), Duration.ofMillis(250)), "no ping while stuck: " +
                systemd.all());

            problem.set(null);
            assertEquals("WATCHDOG=1\nSTATUS=capturing", systemd.await(m -> m.contains("WATCHDOG=1"), WAIT));
            awaitPing(systemd);
            notifier.stopping("bye");
        }
    }

    @Test
    void shouldLeaveWatchdogOfAnotherProcessAlone() {
        try (NotifyReceiver systemd = NotifyReceiver.bind(dir.resolve("notify"))) {
            final SystemdNotifier notifier = SystemdNotifier.of(Map.of("NOTIFY_SOCKET", systemd.address(),
                "WATCHDOG_USEC", "100000", "WATCHDOG_PID", String.valueOf(PID + 1)), PID);
            assertEquals(0, notifier.watchdogMicros());
            notifier.ready("serving", Liveness.PROCESS);
            assertEquals("READY=1\nSTATUS=serving", systemd.await(m -> true, WAIT));
            assertNull(systemd.await(m -> true, Duration.ofMillis(200)), "nothing after READY=1");
        }
    }

    @Test
    void shouldStopPingingOnStopping() {
        try (NotifyReceiver systemd = NotifyReceiver.bind(dir.resolve("notify"))) {
            final SystemdNotifier notifier = SystemdNotifier.of(Map.of("NOTIFY_SOCKET", systemd.address(),
                "WATCHDOG_USEC", "100000"), PID);
            notifier.ready("serving", Liveness.PROCESS);
            awaitPing(systemd);
            notifier.stopping("draining");
            assertEquals("STOPPING=1\nSTATUS=draining", systemd.await(m -> m.startsWith("STOPPING=1"), WAIT));
            assertNull(systemd.await(m -> true, Duration.ofMillis(200)), "nothing after STOPPING=1");
        }
    }

    private static long awaitPing(final NotifyReceiver systemd) {
        assertEquals("WATCHDOG=1", systemd.await(m -> m.contains("WATCHDOG=1"), WAIT), "a watchdog ping");
        return System.nanoTime();
    }

    private static byte[] concat(final byte[] family, final String path) {
        final byte[] tail = path.getBytes(StandardCharsets.UTF_8);
        final byte[] all = new byte[family.length + tail.length];
        System.arraycopy(family, 0, all, 0, family.length);
        System.arraycopy(tail, 0, all, family.length, tail.length);
        return all;
    }
}
