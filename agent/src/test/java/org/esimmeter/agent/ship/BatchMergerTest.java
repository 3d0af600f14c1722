package org.esimmeter.agent.ship;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.esimmeter.wire.Batch;
import org.esimmeter.wire.BatchReader;
import org.esimmeter.wire.ClockStep;
import org.esimmeter.wire.SecondUsage;
import org.esimmeter.wire.WireFormat;
import org.esimmeter.wire.WireFormatException;
import org.junit.jupiter.api.Test;

/** Merging at each level: sums checked against sums made in the test, frames checked by the real reader. */
class BatchMergerTest {
    private static final long T = 1_700_000_000L; // 20 s into a minute: the seconds below cross minute boundaries

    private static List<Batch> batchesOf(final List<TestSeconds.Second> seconds, final List<ClockStep> steps)
        throws WireFormatException {
        // One batch per interface-second, as the agent sends them in steady state.
        final List<Batch> batches = new ArrayList<>();
        long sequence = 1;
        for (final Batch decoded : TestBatches.encode(seconds)) {
            batches.add(new Batch(decoded.agentId(), sequence, decoded.seconds(), sequence == 1 ? steps : List.of()));
            sequence++;
        }
        return batches;
    }

    private static List<Batch> read(final List<BatchMerger.Merged> merged) throws WireFormatException {
        final BatchReader reader = new BatchReader(WireFormat.DEFAULT_MAX_FRAME_BYTES);
        final List<Batch> batches = new ArrayList<>();
        for (final BatchMerger.Merged m : merged) {
            final Batch batch = reader.read(Unpooled.wrappedBuffer(m.frame()));
            assertEquals(m.sequence(), batch.sequence());
            assertEquals(m.records(), batch.seconds().size());
            batches.add(batch);
        }
        return batches;
    }

    @Test
    void shouldSumSecondsIntoMinuteRecordsPerInterfaceAndFlow() throws Exception {
        final List<TestSeconds.Second> seconds = TestSeconds.seconds(200, T); // 100 s on wwan0 and wwan1
        final AtomicLong sequences = new AtomicLong(500);
        final List<BatchMerger.Merged> merged = new BatchMerger("router-7", 1 << 20, sequences::getAndIncrement)
            .merge(batchesOf(seconds, List.of()), MergeLevel.MINUTE);
        final List<Batch> batches = read(merged);
        assertEquals(1, batches.size());
        assertEquals(500, batches.get(0).sequence());
        // T + 0..99 lies in the minutes starting at T-20 and T+40: two records per interface.
        assertEquals(4, batches.get(0).seconds().size());
        assertEquals(TestSeconds.describeMerged(seconds, 60, true), TestSeconds.describeReceived(batches));
    }

    @Test
    void shouldMoveFlowsIntoOverflowAtDayTotals() throws Exception {
        final List<TestSeconds.Second> seconds = TestSeconds.seconds(40, T);
        final List<Batch> batches = read(new BatchMerger("router-7", 1 << 20, new AtomicLong()::getAndIncrement)
            .merge(batchesOf(seconds, List.of()), MergeLevel.DAY_TOTALS));
        for (final SecondUsage record : batches.get(0).seconds()) {
            assertTrue(record.flows().isEmpty());
            assertEquals(86_400, record.spanSeconds());
        }
        assertEquals(TestSeconds.describeMerged(seconds, 86_400, false), TestSeconds.describeReceived(batches));
    }

    @Test
    void shouldSplitLargeMergesAndCarryClockStepsInTheFirstFrame() throws Exception {
        final List<TestSeconds.Second> seconds = TestSeconds.seconds(400, T);
        final ClockStep step = new ClockStep(1_800_000_000_000L, 99_000_000_000L, 3600, 7200);
        final List<Batch> batches = read(new BatchMerger("router-7", 512, new AtomicLong(1)::getAndIncrement)
            .merge(batchesOf(seconds, List.of(step)), MergeLevel.MINUTE));
        assertTrue(batches.size() > 1, batches.size() + " frames");
        assertEquals(List.of(step), batches.get(0).clockSteps());
        for (final Batch batch : batches.subList(1, batches.size())) {
            assertTrue(batch.clockSteps().isEmpty());
        }
        assertEquals(TestSeconds.describeMerged(seconds, 60, true), TestSeconds.describeReceived(batches));
    }

    @Test
    void shouldKnowEachBatchLevel() throws Exception {
        final List<Batch> seconds = batchesOf(TestSeconds.seconds(4, T), List.of());
        assertEquals(MergeLevel.SECOND, MergeLevel.of(seconds.get(0)));
        for (final MergeLevel level : List.of(MergeLevel.MINUTE, MergeLevel.HOUR, MergeLevel.DAY,
            MergeLevel.DAY_TOTALS)) {
            final List<Batch> merged = read(new BatchMerger("r", 1 << 20, new AtomicLong()::getAndIncrement)
                .merge(seconds, level));
            assertEquals(level, MergeLevel.of(merged.get(0)));
        }
    }
}
