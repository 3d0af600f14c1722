package org.esimmeter.collector.store;

import org.esimmeter.wire.ClockStep;

/** A wall-clock step an agent reported, as stored. */
public record AgentClockStep(String agentId, ClockStep step) {
}
