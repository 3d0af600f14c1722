package org.esimmeter.collector.store;

/** What {@link UsageStore#ingest} did with a batch. */
public enum IngestOutcome {
    /** Stored now, durably. */
    STORED,
    /** This (agentId, sequence) was stored before; nothing changed. Still an acknowledgement for the agent. */
    DUPLICATE
}
