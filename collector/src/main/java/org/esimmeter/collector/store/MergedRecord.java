package org.esimmeter.collector.store;

/**
 * Where a merged record (span > 1 s) of an agent's spool is stored: all its usage sits in the bucket of its first
 * second, {@code fromSecond}, although it covers {@code [fromSecond, fromSecond + spanSeconds)}.
 */
public record MergedRecord(String agentId, String interfaceName, String profile, long fromSecond, int spanSeconds) {
    public long toSecond() {
        return fromSecond + spanSeconds;
    }
}
