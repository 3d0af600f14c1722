package org.esimmeter.wire;

/**
 * A wall-clock step the agent detected by comparing its wall clock with its monotonic clock (NTP setting a router
 * that booted without a real-time clock, or an operator's {@code date -s}).
 *
 * @param detectedAtMillis   wall clock (epoch milliseconds) right after the step
 * @param stepMillis         new wall clock minus what the old one would show; never 0, negative when set back
 * @param affectedFromSecond first second timestamp the agent stamped with the old clock
 * @param affectedToSecond   last second timestamp the agent stamped with the old clock (>= affectedFromSecond)
 */
public record ClockStep(long detectedAtMillis, long stepMillis, long affectedFromSecond, long affectedToSecond) {
}
