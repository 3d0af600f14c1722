package org.esimmeter.collector.plan;

/** A billing cycle: the half-open range {@code [startSecond, endSecond)} of epoch seconds. */
public record Cycle(long startSecond, long endSecond) {
    public Cycle {
        if (endSecond <= startSecond) {
            throw new IllegalArgumentException("cycle : end " + endSecond + " (expected: > start " + startSecond + ")");
        }
    }

    public boolean contains(final long epochSecond) {
        return epochSecond >= startSecond && epochSecond < endSecond;
    }
}
