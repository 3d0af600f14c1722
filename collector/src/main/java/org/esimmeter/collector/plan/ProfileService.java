package org.esimmeter.collector.plan;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.esimmeter.collector.ingest.StoreTimers;
import org.esimmeter.collector.query.Times;
import org.esimmeter.collector.store.StoreException;
import org.esimmeter.collector.store.UsageStore;
import org.esimmeter.wire.Direction;
import org.esimmeter.wire.TrafficCounters;

/**
 * {@code GET /v1/profiles}: every configured profile with its current cycle, the bytes used in it, what is left of
 * the cap, and where the recent burn rate ends up at the cycle's end. Blocking (it reads the store): runs on a
 * worker thread.
 * <p>
 * The usage window is {@code [cycle start, end of the current second)}. The burn rate is the billable bytes of the
 * last 24 hours, or of the time since the cycle started when that is shorter, divided by that time.
 */
public final class ProfileService {
    static final long BURN_WINDOW_SECONDS = 86_400;
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final BigDecimal SECONDS_PER_DAY = BigDecimal.valueOf(86_400);

    private final List<ProfileConfig> profiles;
    private final ProfileUsage usage;
    private final Timer timer;

    public ProfileService(final List<ProfileConfig> profiles, final UsageStore store, final MeterRegistry registry) {
        this.profiles = List.copyOf(profiles);
        this.usage = new ProfileUsage(store);
        this.timer = StoreTimers.timer(registry, "profiles");
    }

    /** Every profile, in configuration order. */
    public ObjectNode all(final long nowSecond) throws StoreException {
        final long startNanos = System.nanoTime();
        try {
            final ObjectNode root = NODES.objectNode();
            asOf(root, nowSecond);
            final ArrayNode array = root.putArray("profiles");
            for (final ProfileConfig profile : profiles) {
                array.add(status(profile, nowSecond));
            }
            return root;
        } finally {
            timer.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
        }
    }

    /** One profile, named by its id or its ICCID. */
    public ObjectNode one(final String id, final long nowSecond) throws StoreException, UnknownProfileException {
        for (final ProfileConfig profile : profiles) {
            if (profile.matches(id)) {
                final long startNanos = System.nanoTime();
                try {
                    final ObjectNode node = status(profile, nowSecond);
                    asOf(node, nowSecond);
                    return node;
                } finally {
                    timer.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
                }
            }
        }
        throw new UnknownProfileException(id);
    }

    /**
     * Where a profile stands at {@code nowSecond}, as {@code /v1/profiles} answers it: the cycle (null when none is
     * running: a pass not started, no valid pack), its state, the bytes counted against the cap and the cap (null
     * when unlimited). Threshold alerts read this, so an alert and the answer of {@code /v1/profiles} never differ.
     */
    public record Billing(ProfileConfig profile, Cycle cycle, String state, long usedBytes, Long capBytes) {
        /** True when the cycle is running at the time asked: a pass that ended or has not started is not. */
        public boolean active() {
            return cycle != null && "active".equals(state);
        }
    }

    /** {@link Billing} of every profile, in configuration order. */
    public List<Billing> billing(final long nowSecond) throws StoreException {
        final List<Billing> all = new ArrayList<>(profiles.size());
        for (final ProfileConfig profile : profiles) {
            final Computed computed = compute(profile, nowSecond);
            all.add(new Billing(profile, computed.cycle, computed.state, computed.counted, computed.cap));
        }
        return all;
    }

    /** Billable bytes of {@code profile} in {@code [fromSecond, toSecond)}, by its plan's uploadCounts. */
    public long billable(final ProfileConfig profile, final long fromSecond, final long toSecond)
        throws StoreException {
        return ProfileUsage.billable(usage.between(profile, fromSecond, toSecond), profile.plan().uploadCounts());
    }

    /** What {@link #status} and {@link #billing} are computed from. */
    private record Computed(Cycle cycle, String state, Long cap, PackLedger.Result ledger, TrafficCounters used,
        long billable, long counted) {
    }

    private Computed compute(final ProfileConfig profile, final long nowSecond) throws StoreException {
        final PlanConfig plan = profile.plan();
        final ZoneId zone = plan.zone();
        final long upTo = nowSecond + 1; // the current second is included, as far as it has arrived
        Cycle cycle = null;
        String state;
        Long cap = plan.unlimited() ? null : plan.capBytes();
        PackLedger.Result ledger = null;
        switch (plan.type()) {
            case PlanConfig.MONTHLY:
                cycle = Cycles.monthly(plan.resetDay(), plan.resetLocalTime(), zone, nowSecond);
                state = "active";
                break;
            case PlanConfig.PASS:
                final long start = plan.startsOnFirstUse() ? usage.firstUse(profile, 0, upTo) :
                    plan.activatedSecond();
                if (start >= 0) {
                    cycle = Cycles.pass(start, plan.days(), zone);
                }
                state = cycle == null || nowSecond < cycle.startSecond() ? "not_started" :
                    nowSecond >= cycle.endSecond() ? "ended" : "active";
                break;
            case PlanConfig.PACKS:
                ledger = PackLedger.charge(plan.packs(), nowSecond,
                    (from, to) -> ProfileUsage.billable(usage.between(profile, from, to), plan.uploadCounts()));
                cycle = packsCycle(ledger);
                cap = 0L;
                for (final PackLedger.PackState pack : ledger.packs()) {
                    cap += isValid(pack) ? pack.pack().bytes() : 0;
                }
                state = cycle == null ? "no_valid_pack" : "active";
                break;
            default:
                throw new IllegalStateException("plan type : " + plan.type());
        }
        final TrafficCounters used = cycle == null ? new TrafficCounters() :
            usage.between(profile, cycle.startSecond(), Math.min(upTo, cycle.endSecond()));
        final long billable = ProfileUsage.billable(used, plan.uploadCounts());
        // Bytes counted against the cap: for packs, what the valid packs were charged (earlier packs may have
        // paid for part of this cycle's usage).
        long counted = billable;
        if (ledger != null) {
            counted = 0;
            for (final PackLedger.PackState pack : ledger.packs()) {
                counted += isValid(pack) ? pack.usedBytes() : 0;
            }
        }
        return new Computed(cycle, state, cap, ledger, used, billable, counted);
    }

    private ObjectNode status(final ProfileConfig profile, final long nowSecond) throws StoreException {
        final PlanConfig plan = profile.plan();
        final ZoneId zone = plan.zone();
        final ObjectNode node = NODES.objectNode();
        node.put("id", profile.id());
        node.put("label", profile.label());
        node.put("iccid", profile.iccid());
        node.put("carrier", profile.carrier());
        plan(node.putObject("plan"), plan);

        final Computed computed = compute(profile, nowSecond);
        final Cycle cycle = computed.cycle;
        final String state = computed.state;
        final Long cap = computed.cap;
        final PackLedger.Result ledger = computed.ledger;
        final ObjectNode cycleNode = node.putObject("cycle");
        cycleNode.put("state", state);
        final TrafficCounters used = computed.used;
        if (cycle == null) {
            cycleNode.putNull("start");
            cycleNode.putNull("startTime");
            cycleNode.putNull("end");
            cycleNode.putNull("endTime");
            cycleNode.putNull("daysLeft");
        } else {
            cycleNode.put("start", cycle.startSecond());
            cycleNode.put("startTime", local(cycle.startSecond(), zone));
            cycleNode.put("end", cycle.endSecond());
            cycleNode.put("endTime", local(cycle.endSecond(), zone));
            cycleNode.put("daysLeft", days(Math.max(0, cycle.endSecond() - Math.max(nowSecond,
                cycle.startSecond()))));
        }
        final long billable = computed.billable;
        final ObjectNode usedNode = node.putObject("used");
        usedNode.put("upBytes", used.get(Direction.UP, TrafficCounters.IP_BYTES));
        usedNode.put("downBytes", used.get(Direction.DOWN, TrafficCounters.IP_BYTES));
        usedNode.put("unknownBytes", used.get(Direction.UNKNOWN, TrafficCounters.IP_BYTES));
        usedNode.put("billableBytes", billable);

        final long counted = computed.counted;
        node.put("usedBytes", counted);
        if (cap == null) {
            node.putNull("capBytes");
            node.putNull("remainingBytes");
            node.putNull("percentUsed");
        } else {
            node.put("capBytes", cap);
            node.put("remainingBytes", Math.max(0, cap - counted));
            node.put("percentUsed", percent(counted, cap));
        }
        projection(node, profile, plan, cycle, state, nowSecond, counted, cap);
        if (ledger != null) {
            packs(node, ledger, zone);
        }
        return node;
    }

    private void projection(final ObjectNode node, final ProfileConfig profile, final PlanConfig plan,
        final Cycle cycle, final String state, final long nowSecond, final long counted, final Long cap)
        throws StoreException {
        if (cycle == null || !"active".equals(state)) {
            node.putNull("projection");
            return;
        }
        final long upTo = nowSecond + 1;
        final long from = Math.max(cycle.startSecond(), upTo - BURN_WINDOW_SECONDS);
        final long window = upTo - from;
        final long burnt = ProfileUsage.billable(usage.between(profile, from, upTo), plan.uploadCounts());
        final long ahead = Math.max(0, cycle.endSecond() - upTo);
        final long atEnd = counted + BigDecimal.valueOf(burnt).multiply(BigDecimal.valueOf(ahead))
            .divide(BigDecimal.valueOf(window), 0, RoundingMode.HALF_UP).longValueExact();
        final ObjectNode projection = node.putObject("projection");
        projection.put("basis", from == cycle.startSecond() ? "since cycle start" : "last 24 h");
        projection.put("from", from);
        projection.put("fromTime", Times.iso(from));
        projection.put("windowSeconds", window);
        projection.put("windowBillableBytes", burnt);
        projection.put("bytesPerDay", BigDecimal.valueOf(burnt).multiply(SECONDS_PER_DAY)
            .divide(BigDecimal.valueOf(window), 0, RoundingMode.HALF_UP).longValueExact());
        projection.put("atCycleEndBytes", atEnd);
        if (cap == null) {
            projection.putNull("percentAtCycleEnd");
        } else {
            projection.put("percentAtCycleEnd", percent(atEnd, cap));
        }
    }

    private static void packs(final ObjectNode node, final PackLedger.Result ledger, final ZoneId zone) {
        node.put("uncoveredBytes", ledger.uncoveredBytes());
        final ArrayNode array = node.putArray("packs");
        for (final PackLedger.PackState state : ledger.packs()) {
            final ObjectNode pack = array.addObject();
            pack.put("bytes", state.pack().bytes());
            pack.put("purchasedAt", state.pack().purchasedSecond());
            pack.put("purchasedTime", local(state.pack().purchasedSecond(), zone));
            pack.put("expiresAt", state.pack().expiresSecond());
            pack.put("expiresTime", local(state.pack().expiresSecond(), zone));
            pack.put("state", state.state());
            pack.put("usedBytes", state.usedBytes());
            pack.put("remainingBytes", state.remainingBytes());
        }
    }

    /** From the earliest purchase to the latest expiry of the packs usable now; null when none is. */
    private static Cycle packsCycle(final PackLedger.Result ledger) {
        long start = Long.MAX_VALUE;
        long end = Long.MIN_VALUE;
        for (final PackLedger.PackState pack : ledger.packs()) {
            if (isValid(pack)) {
                start = Math.min(start, pack.pack().purchasedSecond());
                end = Math.max(end, pack.pack().expiresSecond());
            }
        }
        return start == Long.MAX_VALUE ? null : new Cycle(start, end);
    }

    private static boolean isValid(final PackLedger.PackState pack) {
        return "active".equals(pack.state()) || "used_up".equals(pack.state());
    }

    private static void plan(final ObjectNode node, final PlanConfig plan) {
        node.put("type", plan.type());
        node.put("timeZone", plan.timeZone());
        node.put("uploadCounts", plan.uploadCounts());
        switch (plan.type()) {
            case PlanConfig.MONTHLY:
                node.put("capBytes", plan.capBytes());
                node.put("unlimited", plan.unlimited());
                node.put("resetDay", plan.resetDay());
                node.put("resetTime", plan.resetTime());
                break;
            case PlanConfig.PASS:
                node.put("capBytes", plan.capBytes());
                node.put("days", plan.days());
                node.put("activatedAt", plan.activatedAt());
                node.put("startsOnFirstUse", plan.startsOnFirstUse());
                break;
            default:
                break;
        }
    }

    private static void asOf(final ObjectNode node, final long nowSecond) {
        node.put("asOf", nowSecond);
        node.put("asOfTime", Times.iso(nowSecond));
    }

    /** ISO-8601 with the plan zone's offset, e.g. {@code 2026-03-29T00:00:00+01:00}. */
    static String local(final long epochSecond, final ZoneId zone) {
        return DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(Instant.ofEpochSecond(epochSecond).atZone(zone));
    }

    private static BigDecimal days(final long seconds) {
        return BigDecimal.valueOf(seconds).divide(SECONDS_PER_DAY, 2, RoundingMode.HALF_UP);
    }

    private static BigDecimal percent(final long part, final long whole) {
        return BigDecimal.valueOf(part).multiply(BigDecimal.valueOf(100)).divide(BigDecimal.valueOf(whole), 2,
            RoundingMode.HALF_UP);
    }
}
