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
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.esimmeter.collector.ingest.StoreTimers;
import org.esimmeter.collector.query.Times;
import org.esimmeter.collector.store.GroupBy;
import org.esimmeter.collector.store.GroupUsage;
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
 * <p>
 * Billable bytes include the uncaptured ones (the kernel counted them on the interface, no capture saw them), shown
 * apart under {@code used.uncaptured}. For the cycle: bytes per serving network and the roaming part of them
 * ({@code roaming}), and the top {@value #TOP} devices and services, each list completed by what the others used
 * and what no device or service was named for, so that the parts add up to {@code used.billableBytes} exactly.
 */
public final class ProfileService {
    static final long BURN_WINDOW_SECONDS = 86_400;
    static final int TOP = 5;
    /** Reads of one profile's answer until its parts agree with its whole (see {@link #status}). */
    static final int CONSISTENT_ATTEMPTS = 3;
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final BigDecimal SECONDS_PER_DAY = BigDecimal.valueOf(86_400);

    private static final Comparator<Map.Entry<String, Long>> LARGEST_FIRST = Comparator
        .comparingLong((Map.Entry<String, Long> e) -> e.getValue()).reversed().thenComparing(Map.Entry::getKey);

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
    private record Computed(Cycle cycle, String state, Long cap, PackLedger.Result ledger, ProfileUsage.Used split,
        long usedFrom, long usedTo, long billable, long counted) {
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
        final long usedFrom = cycle == null ? 0 : cycle.startSecond();
        final long usedTo = cycle == null ? 0 : Math.min(upTo, cycle.endSecond());
        final ProfileUsage.Used split = cycle == null ?
            new ProfileUsage.Used(new TrafficCounters(), new TrafficCounters()) : usage.split(profile, usedFrom, usedTo);
        final long billable = ProfileUsage.billable(split.all(), plan.uploadCounts());
        // Bytes counted against the cap: for packs, what the valid packs were charged (earlier packs may have
        // paid for part of this cycle's usage).
        long counted = billable;
        if (ledger != null) {
            counted = 0;
            for (final PackLedger.PackState pack : ledger.packs()) {
                counted += isValid(pack) ? pack.usedBytes() : 0;
            }
        }
        return new Computed(cycle, state, cap, ledger, split, usedFrom, usedTo, billable, counted);
    }

    /**
     * Tries an answer again when the billable bytes of its range changed while it was read: each part (networks, top
     * lists) is a read of its own, and a batch stored between them (an agent's current second, a spooled backlog)
     * would make the parts disagree with the whole. After {@value #CONSISTENT_ATTEMPTS} tries under constant ingest,
     * the last answer stands, its unlabelled remainders never below 0.
     */
    private ObjectNode status(final ProfileConfig profile, final long nowSecond) throws StoreException {
        ObjectNode node = null;
        for (int attempt = 0; attempt < CONSISTENT_ATTEMPTS; attempt++) {
            final Computed computed = compute(profile, nowSecond);
            node = status(profile, nowSecond, computed);
            if (computed.cycle == null || computed.billable == ProfileUsage.billable(
                usage.split(profile, computed.usedFrom, computed.usedTo).all(), profile.plan().uploadCounts())) {
                break;
            }
        }
        return node;
    }

    private ObjectNode status(final ProfileConfig profile, final long nowSecond, final Computed computed)
        throws StoreException {
        final PlanConfig plan = profile.plan();
        final ZoneId zone = plan.zone();
        final ObjectNode node = NODES.objectNode();
        node.put("id", profile.id());
        node.put("label", profile.label());
        node.put("iccid", profile.iccid());
        node.put("carrier", profile.carrier());
        plan(node.putObject("plan"), plan);

        final Cycle cycle = computed.cycle;
        final String state = computed.state;
        final Long cap = computed.cap;
        final PackLedger.Result ledger = computed.ledger;
        final ObjectNode cycleNode = node.putObject("cycle");
        cycleNode.put("state", state);
        final TrafficCounters used = computed.split.all();
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
        ipBytes(usedNode, used);
        usedNode.put("billableBytes", billable);
        final ObjectNode uncapturedNode = usedNode.putObject("uncaptured");
        ipBytes(uncapturedNode, computed.split.uncaptured());
        uncapturedNode.put("billableBytes", ProfileUsage.billable(computed.split.uncaptured(), plan.uploadCounts()));

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
        roaming(node.putObject("roaming"), profile, computed.usedFrom, computed.usedTo);
        top(node.putObject("topDevices"), "devices", profile, computed.usedFrom, computed.usedTo, GroupBy.DEVICE,
            billable);
        top(node.putObject("topServices"), "services", profile, computed.usedFrom, computed.usedTo,
            GroupBy.SERVICE, billable);
        return node;
    }

    private static void ipBytes(final ObjectNode node, final TrafficCounters counters) {
        node.put("upBytes", counters.get(Direction.UP, TrafficCounters.IP_BYTES));
        node.put("downBytes", counters.get(Direction.DOWN, TrafficCounters.IP_BYTES));
        node.put("unknownBytes", counters.get(Direction.UNKNOWN, TrafficCounters.IP_BYTES));
    }

    /**
     * Billable bytes of the cycle per serving network, largest first (network null: the agent did not know it), and
     * roamingBytes: those on known networks that are not home (null when the profile names no home networks).
     */
    private void roaming(final ObjectNode node, final ProfileConfig profile, final long from, final long to)
        throws StoreException {
        final List<String> home = profile.homeNetworks();
        if (home == null) {
            node.putNull("homeNetworks");
        } else {
            final ArrayNode homeNode = node.putArray("homeNetworks");
            home.forEach(homeNode::add);
        }
        final boolean uploadCounts = profile.plan().uploadCounts();
        final List<Map.Entry<String, Long>> networks = new ArrayList<>();
        usage.grouped(profile, from, to, GroupBy.NETWORK).forEach((network, group) ->
            networks.add(Map.entry(network, ProfileUsage.billable(group.usage(), uploadCounts))));
        networks.sort(LARGEST_FIRST);
        long roaming = 0;
        long unknown = 0;
        final ArrayNode array = node.putArray("networks");
        for (final Map.Entry<String, Long> network : networks) {
            final ObjectNode entry = array.addObject();
            final boolean known = !network.getKey().isEmpty();
            if (known) {
                entry.put("network", network.getKey());
            } else {
                entry.putNull("network");
                unknown += network.getValue();
            }
            entry.put("billableBytes", network.getValue());
            if (home == null || !known) {
                entry.putNull("home");
            } else {
                entry.put("home", home.contains(network.getKey()));
                roaming += home.contains(network.getKey()) ? 0 : network.getValue();
            }
        }
        node.put("unknownNetworkBytes", unknown);
        if (home == null) {
            node.putNull("roamingBytes");
        } else {
            node.put("roamingBytes", roaming);
        }
    }

    /**
     * The {@value #TOP} devices or services with most billable bytes in the cycle; {@code otherBytes} what the rest
     * of the named ones used, {@code unlabelledBytes} all that no name was given for (flows without a label, bytes
     * without a flow, uncaptured bytes): top + other + unlabelled = billable.
     */
    private void top(final ObjectNode node, final String listName, final ProfileConfig profile, final long from,
        final long to, final GroupBy by, final long billable) throws StoreException {
        final boolean uploadCounts = profile.plan().uploadCounts();
        final List<GroupUsage> named = new ArrayList<>();
        usage.grouped(profile, from, to, by).forEach((name, group) -> {
            if (name != null && ProfileUsage.billable(group.usage(), uploadCounts) > 0) {
                named.add(group);
            }
        });
        named.sort(Comparator.comparingLong((GroupUsage g) -> ProfileUsage.billable(g.usage(), uploadCounts))
            .reversed().thenComparing(GroupUsage::group));
        final ArrayNode array = node.putArray(listName);
        long namedBytes = 0;
        long otherBytes = 0;
        for (int i = 0; i < named.size(); i++) {
            final GroupUsage group = named.get(i);
            final long bytes = ProfileUsage.billable(group.usage(), uploadCounts);
            namedBytes += bytes;
            if (i >= TOP) {
                otherBytes += bytes;
                continue;
            }
            final ObjectNode entry = array.addObject();
            if (by == GroupBy.DEVICE) {
                entry.put("device", group.group().device());
                entry.put("address", group.group().address());
                entry.put("hostname", group.group().hostname());
                entry.put("billableBytes", bytes);
                entry.put("approximateBytes", ProfileUsage.billable(group.approximate(), uploadCounts));
            } else {
                entry.put("service", group.group().service());
                entry.put("billableBytes", bytes);
            }
        }
        node.put("otherBytes", otherBytes);
        node.put("others", Math.max(0, named.size() - TOP));
        node.put("unlabelledBytes", Math.max(0, billable - namedBytes)); // see status(): parts read apart
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
