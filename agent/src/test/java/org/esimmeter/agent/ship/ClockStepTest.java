package org.esimmeter.agent.ship;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.esimmeter.wire.Batch;
import org.esimmeter.wire.ClockStep;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Wall-clock steps: detected against the monotonic clock, reported to the collector with the range of seconds
 * stamped by the old clock. The clocks are the test's own: stepping this machine's clock is not something a test may
 * do.
 */
class ClockStepTest {
    private static final long T = 1_700_000_000L;
    private static final long HOUR_MILLIS = 3_600_000;

    private IngestReceiver receiver;
    private CollectorSink sink;

    @AfterEach
    void stop() throws InterruptedException {
        if (sink != null) {
            sink.close(0);
        }
        if (receiver != null) {
            receiver.close();
        }
    }

    /** A wall clock that runs with the monotonic one from {@code startMillis}, plus whatever the test sets. */
    private static final class SettableClocks implements ClockWatch.Clocks {
        final AtomicLong monotonic = new AtomicLong();
        final AtomicLong set = new AtomicLong();
        private final long startMillis;
        private final long startNanos = System.nanoTime();
        private final boolean real;

        SettableClocks(final long startMillis, final boolean real) {
            this.startMillis = startMillis;
            this.real = real;
        }

        @Override
        public long wallMillis() {
            return startMillis + (monotonicNanos() - startNanos) / 1_000_000 + set.get();
        }

        @Override
        public long monotonicNanos() {
            return real ? System.nanoTime() : startNanos + monotonic.get();
        }
    }

    @Test
    void shouldReportAStepButNotSlewing() {
        final SettableClocks clocks = new SettableClocks(T * 1000, false);
        final ClockWatch watch = new ClockWatch(clocks, ClockWatch.DEFAULT_THRESHOLD_MILLIS);
        // An hour of NTP slewing at its 500 ppm limit, checked every second: 0.5 ms a check, never a step.
        for (int i = 0; i < 3600; i++) {
            clocks.monotonic.addAndGet(1_000_000_000L);
            clocks.set.addAndGet(i % 2 == 0 ? 0 : 1);
            assertEquals(0, watch.check(), "check " + i);
        }
        clocks.set.addAndGet(999);
        assertEquals(0, watch.check(), "under a second is not a step");
        clocks.set.addAndGet(56L * 365 * 86_400_000);
        assertEquals(56L * 365 * 86_400_000, watch.check(), "1970 to now, as a router without RTC sees NTP sync");
        clocks.set.addAndGet(-7_200_000);
        assertEquals(-7_200_000, watch.check(), "backwards too");
        assertEquals(0, watch.check());
    }

    @Test
    void shouldSendTheStepWithTheRangeOfSecondsTheOldClockStamped() throws Exception {
        receiver = IngestReceiver.start();
        // The old clock says T + 2.5 s at start; the seconds fed are stamped T .. T+2 by it.
        final SettableClocks clocks = new SettableClocks(T * 1000 + 2500, true);
        sink = new CollectorSink(CollectorSink.Settings.of(receiver.url(), "router-7", IngestReceiver.TOKEN, 4096,
            1 << 20).withTimes(HOUR_MILLIS, 20, 200), 1, null, clocks);
        final List<TestSeconds.Second> fed = List.of(TestSeconds.second("wwan0", T, 1),
            TestSeconds.second("wwan0", T + 1, 2), TestSeconds.second("wwan0", T + 2, 3));
        fed.forEach(sink::onSecond);
        assertTrue(sink.awaitDelivered(10, TimeUnit.SECONDS));
        final long oldNowMillis = clocks.wallMillis();
        clocks.set.addAndGet(HOUR_MILLIS); // NTP steps the clock an hour forward

        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        List<ClockStep> steps = List.of();
        while (steps.isEmpty()) {
            assertTrue(System.nanoTime() < deadline, "no step reported within 10 s");
            TimeUnit.MILLISECONDS.sleep(5); // re-check interval of a condition wait
            steps = receiver.accepted().stream().flatMap(batch -> batch.clockSteps().stream()).toList();
        }
        assertEquals(1, steps.size());
        final ClockStep step = steps.get(0);
        assertTrue(Math.abs(step.stepMillis() - HOUR_MILLIS) <= 2, "step " + step.stepMillis());
        assertEquals(T, step.affectedFromSecond(), "from the first second the old clock stamped");
        // Up to the old clock's "now" when the step was seen: within the watch's 1 s check interval.
        assertTrue(step.affectedToSecond() >= oldNowMillis / 1000 &&
            step.affectedToSecond() <= oldNowMillis / 1000 + 2, step.toString());
        assertTrue(step.detectedAtMillis() >= oldNowMillis + HOUR_MILLIS, step.toString());
        assertEquals(1, sink.clockSteps());
        // The report rode on a batch of its own (no second was open); the seconds went before it, unchanged.
        final List<Batch> batches = receiver.accepted();
        assertEquals(TestSeconds.describeFed(fed), TestSeconds.describeReceived(batches));
        assertTrue(batches.get(batches.size() - 1).seconds().isEmpty());
    }
}
