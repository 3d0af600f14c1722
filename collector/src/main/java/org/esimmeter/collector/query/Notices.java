package org.esimmeter.collector.query;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.esimmeter.collector.store.AgentClockStep;
import org.esimmeter.collector.store.MergedRecord;
import org.esimmeter.collector.store.StoreException;
import org.esimmeter.collector.store.UsageQuery;
import org.esimmeter.collector.store.UsageStore;
import org.esimmeter.wire.ClockStep;

/**
 * The {@code notices} of a usage answer: what makes its numbers less than they seem, said next to them so that
 * nobody bills from them unaware.
 * <ul>
 * <li>{@code clock-step}: an agent in scope stepped its wall clock, and seconds it stamped with the old clock lie
 *     in the range. They are stored where they were stamped (1970 after a boot without real-time clock, or the
 *     last shutdown time): never dropped, never moved, since a wrong estimate would count them twice.</li>
 * <li>{@code merged}: the agent's spool merged seconds into longer records at its size cap; each record's usage
 *     sits at its first second. Listed when the answer would split one: a time series whose step is shorter than
 *     the record, or a range that starts or ends inside it (then the record is counted wholly or not at all).
 *     Adjacent records of one interface and span are coalesced.</li>
 * </ul>
 * At most {@value #MAX_NOTICES}; {@code noticesTruncated} says when there were more.
 */
public final class Notices {
    public static final int MAX_NOTICES = 100;
    /** Merged records read before coalescing; a range with more is reported truncated. */
    static final int MAX_MERGED_ROWS = 10_000;

    private Notices() {
    }

    /** One stretch of merged records of an interface. */
    private record Stretch(String agent, String interfaceName, int spanSeconds, long from, long to, int records) {
    }

    private static final Comparator<MergedRecord> BY_INTERFACE_THEN_TIME = Comparator
        .comparing(MergedRecord::agentId).thenComparing(MergedRecord::interfaceName)
        .thenComparingInt(MergedRecord::spanSeconds).thenComparingLong(MergedRecord::fromSecond);

    /**
     * Adds {@code notices} and {@code noticesTruncated} to {@code root}.
     * @param bucketSeconds the width of the answer's buckets: the step of a time series, Long.MAX_VALUE for totals
     */
    static void add(final ObjectNode root, final UsageStore store, final UsageQuery query, final long bucketSeconds)
        throws StoreException {
        final List<AgentClockStep> steps = store.clockSteps(query, MAX_NOTICES + 1);
        final List<MergedRecord> merged = store.mergedRecords(query, bucketSeconds, MAX_MERGED_ROWS + 1);
        final List<Stretch> stretches = coalesce(merged.subList(0, Math.min(merged.size(), MAX_MERGED_ROWS)));
        final ArrayNode notices = root.putArray("notices");
        int total = 0;
        for (final AgentClockStep step : steps) {
            if (total++ < MAX_NOTICES) {
                clockStep(notices.addObject(), step);
            }
        }
        for (final Stretch stretch : stretches) {
            if (total++ < MAX_NOTICES) {
                merged(notices.addObject(), stretch);
            }
        }
        root.put("noticesTruncated", total > MAX_NOTICES || merged.size() > MAX_MERGED_ROWS);
    }

    private static List<Stretch> coalesce(final List<MergedRecord> records) {
        final List<MergedRecord> sorted = new ArrayList<>(records);
        sorted.sort(BY_INTERFACE_THEN_TIME);
        final List<Stretch> stretches = new ArrayList<>();
        Stretch open = null;
        for (final MergedRecord record : sorted) {
            if (open != null && open.agent().equals(record.agentId()) &&
                open.interfaceName().equals(record.interfaceName()) && open.spanSeconds() == record.spanSeconds() &&
                record.fromSecond() <= open.to()) {
                open = new Stretch(open.agent(), open.interfaceName(), open.spanSeconds(), open.from(),
                    Math.max(open.to(), record.toSecond()), open.records() + 1);
                continue;
            }
            if (open != null) {
                stretches.add(open);
            }
            open = new Stretch(record.agentId(), record.interfaceName(), record.spanSeconds(), record.fromSecond(),
                record.toSecond(), 1);
        }
        if (open != null) {
            stretches.add(open);
        }
        stretches.sort(Comparator.comparingLong(Stretch::from).thenComparing(Stretch::agent)
            .thenComparing(Stretch::interfaceName));
        return stretches;
    }

    private static void clockStep(final ObjectNode node, final AgentClockStep agentStep) {
        final ClockStep step = agentStep.step();
        final String stepSeconds = BigDecimal.valueOf(step.stepMillis(), 3).toPlainString();
        final long detectedAt = Math.floorDiv(step.detectedAtMillis(), 1000);
        final long shift = Math.floorDiv(step.stepMillis(), 1000);
        node.put("kind", "clock-step");
        node.put("agent", agentStep.agentId());
        node.put("detectedAt", detectedAt);
        node.put("detectedAtTime", Times.iso(detectedAt));
        node.put("stepSeconds", BigDecimal.valueOf(step.stepMillis(), 3));
        node.put("affectedFrom", step.affectedFromSecond());
        node.put("affectedFromTime", Times.iso(step.affectedFromSecond()));
        node.put("affectedTo", step.affectedToSecond());
        node.put("affectedToTime", Times.iso(step.affectedToSecond()));
        node.put("message", agentStep.agentId() + "'s wall clock was stepped " + (step.stepMillis() > 0 ? "+" : "") +
            stepSeconds + " s at " + Times.iso(detectedAt) + ": the seconds stamped " +
            Times.iso(step.affectedFromSecond()) + " .. " + Times.iso(step.affectedToSecond()) + " by the old clock " +
            "(about " + Times.iso(step.affectedFromSecond() + shift) + " .. " +
            Times.iso(step.affectedToSecond() + shift) + " by the new one) are stored where they were stamped, " +
            "not moved");
    }

    private static void merged(final ObjectNode node, final Stretch stretch) {
        node.put("kind", "merged");
        node.put("agent", stretch.agent());
        node.put("interface", stretch.interfaceName());
        node.put("from", stretch.from());
        node.put("fromTime", Times.iso(stretch.from()));
        node.put("to", stretch.to());
        node.put("toTime", Times.iso(stretch.to()));
        node.put("spanSeconds", stretch.spanSeconds());
        node.put("records", stretch.records());
        node.put("message", stretch.agent() + " " + stretch.interfaceName() + ": " + Times.iso(stretch.from()) +
            " .. " + Times.iso(stretch.to()) + " is in " + stretch.records() + " record(s) of " +
            stretch.spanSeconds() + " s that the agent's spool merged at its size cap; each record's usage is " +
            "shown at its first second (totals exact, per-second detail lost)");
    }
}
