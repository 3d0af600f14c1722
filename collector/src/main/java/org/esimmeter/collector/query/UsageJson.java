package org.esimmeter.collector.query;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.util.List;
import org.esimmeter.collector.store.AgentInfo;
import org.esimmeter.collector.store.GroupBy;
import org.esimmeter.collector.store.GroupKey;
import org.esimmeter.collector.store.GroupUsage;
import org.esimmeter.collector.store.UsagePoint;
import org.esimmeter.collector.store.UsageQuery;
import org.esimmeter.wire.ClockStep;
import org.esimmeter.wire.Direction;
import org.esimmeter.wire.TrafficCounters;

/**
 * The JSON shapes of the query API, built as Jackson trees (the HTTP layer serializes them). Field names follow
 * the agent's outputs: {@code t} for an epoch second, {@code proto} for the IP protocol, {@code up}/{@code down}/
 * {@code unknown} objects of {@code packets}, {@code wireBytes} and {@code ipBytes}, and {@code total} over all
 * directions. Every instant is given twice: epoch seconds and ISO-8601 UTC ({@code time} fields).
 */
public final class UsageJson {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private UsageJson() {
    }

    /** {@code /v1/usage}: the question and one point per (bucket, group) with usage. */
    public static ObjectNode usage(final UsageQuery query, final List<UsagePoint> points) {
        final ObjectNode root = header(query);
        final ArrayNode array = root.putArray("points");
        for (final UsagePoint point : points) {
            final ObjectNode node = array.addObject();
            node.put("t", point.bucketStart());
            node.put("time", Times.iso(point.bucketStart()));
            group(node, query.groupBy(), point.group());
            counters(node, point.usage());
            context(node, query.groupBy(), point.usage(), point.uncaptured(), point.approximate());
        }
        return root;
    }

    /** {@code /v1/totals} and {@code /v1/top}: one entry per group. */
    public static ObjectNode groups(final UsageQuery query, final List<GroupUsage> groups, final Integer limit) {
        final ObjectNode root = header(query);
        if (limit != null) {
            root.put("limit", limit);
        }
        final ArrayNode array = root.putArray("groups");
        for (final GroupUsage usage : groups) {
            final ObjectNode node = array.addObject();
            group(node, query.groupBy(), usage.group());
            counters(node, usage.usage());
            context(node, query.groupBy(), usage.usage(), usage.uncaptured(), usage.approximate());
        }
        return root;
    }

    /** {@code /v1/agents}. */
    public static ObjectNode agents(final List<AgentInfo> agents) {
        final ObjectNode root = NODES.objectNode();
        final ArrayNode array = root.putArray("agents");
        for (final AgentInfo agent : agents) {
            final ObjectNode node = array.addObject();
            node.put("agent", agent.agentId());
            node.put("lastSeen", agent.lastSeenEpochSecond());
            node.put("lastSeenTime", Times.iso(agent.lastSeenEpochSecond()));
            node.put("lastSequence", agent.lastSequence());
            final ObjectNode clockSteps = node.putObject("clockSteps");
            clockSteps.put("count", agent.clockSteps());
            final ClockStep last = agent.lastClockStep();
            if (last == null) {
                clockSteps.putNull("last");
            } else {
                final ObjectNode step = clockSteps.putObject("last");
                final long detectedAt = Math.floorDiv(last.detectedAtMillis(), 1000);
                step.put("detectedAt", detectedAt);
                step.put("detectedAtTime", Times.iso(detectedAt));
                step.put("stepSeconds", BigDecimal.valueOf(last.stepMillis(), 3));
                step.put("affectedFrom", last.affectedFromSecond());
                step.put("affectedTo", last.affectedToSecond());
            }
            node.put("mergedRecords", agent.mergedRecords());
            node.put("mergedSeconds", agent.mergedSeconds());
            node.put("implausibleSeconds", agent.implausibleSeconds());
            final ArrayNode interfaces = node.putArray("interfaces");
            for (final AgentInfo.InterfaceInfo info : agent.interfaces()) {
                final ObjectNode iface = interfaces.addObject();
                iface.put("interface", info.name());
                iface.put("profile", info.profile());
                putNetwork(iface, info.network());
                iface.put("lastSecond", info.lastSecond());
                iface.put("lastSecondTime", Times.iso(info.lastSecond()));
            }
        }
        return root;
    }

    /** {@code up}, {@code down}, {@code unknown} and {@code total}, each {packets, wireBytes, ipBytes}. */
    public static void counters(final ObjectNode node, final TrafficCounters counters) {
        for (int direction = 0; direction < Direction.COUNT; direction++) {
            final ObjectNode values = node.putObject(Direction.name(direction));
            for (int metric = 0; metric < TrafficCounters.METRICS; metric++) {
                values.put(TrafficCounters.metricName(metric), counters.get(direction, metric));
            }
        }
        final ObjectNode total = node.putObject("total");
        for (int metric = 0; metric < TrafficCounters.METRICS; metric++) {
            total.put(TrafficCounters.metricName(metric), counters.sum(metric));
        }
    }

    /**
     * Interface dimensions: {@code uncaptured} (bytes the kernel counted that no capture saw, per direction and
     * total) and {@code totalWithUncaptured}, what the kernel counted on the interfaces. Flow dimensions:
     * {@code approximate}, the part of the group's bytes whose device the agent inferred.
     */
    private static void context(final ObjectNode node, final GroupBy by, final TrafficCounters usage,
        final TrafficCounters uncaptured, final TrafficCounters approximate) {
        if (by.isFlowDimension()) {
            metrics(node.putObject("approximate"), approximate);
            return;
        }
        counters(node.putObject("uncaptured"), uncaptured);
        final TrafficCounters all = new TrafficCounters();
        all.add(usage);
        all.add(uncaptured);
        metrics(node.putObject("totalWithUncaptured"), all);
    }

    /** {packets, wireBytes, ipBytes} over all directions. */
    private static void metrics(final ObjectNode node, final TrafficCounters counters) {
        for (int metric = 0; metric < TrafficCounters.METRICS; metric++) {
            node.put(TrafficCounters.metricName(metric), counters.sum(metric));
        }
    }

    /** A serving network, null when the agent did not know it. */
    private static void putNetwork(final ObjectNode node, final String network) {
        if (network == null || network.isEmpty()) {
            node.putNull("network");
        } else {
            node.put("network", network);
        }
    }

    private static ObjectNode header(final UsageQuery query) {
        final ObjectNode root = NODES.objectNode();
        root.put("from", query.fromSecond());
        root.put("fromTime", Times.iso(query.fromSecond()));
        root.put("to", query.toSecond());
        root.put("toTime", Times.iso(query.toSecond()));
        root.put("step", query.step().label());
        root.put("by", query.groupBy().label());
        final ObjectNode filters = root.putObject("filters");
        putIfSet(filters, "agent", query.agent());
        putIfSet(filters, "interface", query.interfaceName());
        putIfSet(filters, "profile", query.profile());
        putIfSet(filters, "network", query.network());
        putIfSet(filters, "device", query.device());
        putIfSet(filters, "service", query.service());
        return root;
    }

    private static void group(final ObjectNode node, final GroupBy by, final GroupKey key) {
        switch (by) {
            case AGENT:
                node.put("agent", key.agent());
                break;
            case INTERFACE:
                node.put("agent", key.agent());
                node.put("interface", key.interfaceName());
                node.put("profile", key.profile());
                break;
            case PROFILE:
                node.put("profile", key.profile());
                break;
            case FLOW:
                node.put("proto", key.protocol());
                node.put("src", key.src());
                node.put("srcPort", key.srcPort());
                node.put("dst", key.dst());
                node.put("dstPort", key.dstPort());
                node.put("direction", key.direction());
                break;
            case DST:
                node.put("dst", key.dst());
                break;
            case SRC:
                node.put("src", key.src());
                break;
            case PROTOCOL:
                node.put("proto", key.protocol());
                break;
            case NETWORK:
                putNetwork(node, key.network());
                break;
            case DEVICE:
                node.put("device", key.device());
                node.put("address", key.address());
                node.put("hostname", key.hostname());
                break;
            case SERVICE:
                node.put("service", key.service());
                break;
            default:
                throw new IllegalStateException("by : " + by);
        }
    }

    private static void putIfSet(final ObjectNode node, final String name, final String value) {
        if (value != null) {
            node.put(name, value);
        }
    }
}
