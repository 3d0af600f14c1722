package org.esimmeter.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Whatever the writer encodes (within the format's rules), the reader gives back exactly. */
class RoundTripTest {
    @Test
    void shouldGiveBackEveryRandomBatchExactly() throws WireFormatException {
        final RandomBatches batches = new RandomBatches(20_240_301L);
        final BatchReader reader = new BatchReader(WireFormat.DEFAULT_MAX_FRAME_BYTES);
        int seconds = 0;
        int flows = 0;
        int merged = 0;
        int clockSteps = 0;
        int labelled = 0;
        for (int i = 0; i < 600; i++) {
            final Batch batch = batches.next();
            final Batch decoded = BatchReaderTest.read(reader, RandomBatches.encode(batch));
            assertEquals(WireBytes.describe(batch), WireBytes.describe(decoded), "batch " + i);
            seconds += batch.seconds().size();
            flows += batch.seconds().stream().mapToInt(second -> second.flows().size()).sum();
            merged += (int) batch.seconds().stream().filter(SecondUsage::isMerged).count();
            clockSteps += batch.clockSteps().size();
            labelled += (int) batch.seconds().stream().flatMap(second -> second.flows().stream())
                .filter(FlowUsage::hasLabels).count();
        }
        // The generator must actually exercise seconds and flows, not just empty batches.
        assertEquals(true, seconds > 600 && flows > 6000, seconds + " seconds, " + flows + " flows");
        assertEquals(true, merged > 100 && clockSteps > 100, merged + " merged records, " + clockSteps + " clock steps");
        assertEquals(true, labelled > 1000, labelled + " labelled flows");
    }
}
