package org.esimmeter.wire;

import java.util.List;

/**
 * A decoded batch: one agent's seconds under one sequence number. The collector stores a batch at most once per
 * (agentId, sequence).
 */
public record Batch(String agentId, long sequence, List<SecondUsage> seconds) {
    public Batch {
        seconds = List.copyOf(seconds);
    }
}
