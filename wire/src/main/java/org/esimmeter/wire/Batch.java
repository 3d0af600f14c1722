package org.esimmeter.wire;

import java.util.List;

/**
 * A decoded batch: one agent's seconds under one sequence number, and the wall-clock steps the agent reports with
 * them. The collector stores a batch at most once per (agentId, sequence).
 */
public record Batch(String agentId, long sequence, List<SecondUsage> seconds, List<ClockStep> clockSteps) {
    public Batch {
        seconds = List.copyOf(seconds);
        clockSteps = List.copyOf(clockSteps);
    }

    /** A batch without clock steps. */
    public Batch(final String agentId, final long sequence, final List<SecondUsage> seconds) {
        this(agentId, sequence, seconds, List.of());
    }
}
