package org.esimmeter.collector.query;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.esimmeter.collector.store.GroupBy;
import org.esimmeter.collector.store.Resolution;
import org.esimmeter.collector.store.UsageQuery;
import org.esimmeter.wire.WireFormat;

/**
 * Turns the query string of {@code /v1/usage}, {@code /v1/totals} and {@code /v1/top} into a {@link UsageQuery}.
 * Every problem is a {@link BadParameterException} naming the parameter; unknown and repeated parameters are
 * errors too, so a typo ({@code form=}) is never silently a different question.
 * <p>
 * Defaults: {@code to} is the end of the current second, {@code from} is 24 hours before {@code to}. Without
 * {@code step} the finest resolution that keeps the series short is chosen: a range up to 1 hour in 1s buckets,
 * up to 2 days in 1m, up to 60 days in 1h, longer in 1d. An explicit step may give at most
 * {@value #MAX_BUCKETS} buckets.
 */
public final class QueryParameters {
    public static final int MAX_BUCKETS = 100_000;
    public static final int DEFAULT_LIMIT = 10;
    public static final int MAX_LIMIT = 1_000;
    static final long DEFAULT_RANGE_SECONDS = 86_400;

    private static final Set<String> RANGE = Set.of("from", "to", "step", "by", "agent", "interface", "profile",
        "network", "device", "service");
    private static final Set<String> TOP = Set.of("from", "to", "step", "by", "agent", "interface", "profile",
        "network", "device", "service", "limit");
    /** MCC (3 digits) + MNC (2 or 3 digits), as modems report the serving network. */
    private static final Pattern NETWORK = Pattern.compile("\\d{5,6}");
    /** A MAC address, or AGENT/ADDRESS for a device known only by its LAN address (IPv6 with its zone). */
    private static final Pattern DEVICE = Pattern.compile("[0-9A-Za-z:.%_/-]+");
    /** A domain as DNS answers and TLS SNI carry it. */
    private static final Pattern SERVICE = Pattern.compile("[0-9A-Za-z_.-]+");
    private static final Set<String> LIVE = Set.of("agent", "interface", "profile", "network");

    private QueryParameters() {
    }

    /** Filters of {@code /v1/live}; null = any. */
    public record LiveFilter(String agent, String interfaceName, String profile, String network) {
    }

    /** Parameters of {@code /v1/live} (the web layer has taken {@code access_token} out already). */
    public static LiveFilter live(final Map<String, List<String>> parameters) throws BadParameterException {
        checkNames(parameters, LIVE);
        return new LiveFilter(filter(parameters, "agent"), filter(parameters, "interface"),
            filter(parameters, "profile"), filter(parameters, "network", NETWORK, "MCC+MNC, 5 or 6 digits, e.g. 26201"));
    }

    /** A parsed request: the store question and, for {@code /v1/top}, the number of groups. */
    public record Parsed(UsageQuery query, int limit) {
    }

    /** Parameters of {@code /v1/usage} and {@code /v1/totals}. */
    public static Parsed range(final Map<String, List<String>> parameters, final long nowSecond,
        final GroupBy defaultBy) throws BadParameterException {
        return parse(parameters, RANGE, nowSecond, defaultBy);
    }

    /** Parameters of {@code /v1/top}: those of a range plus {@code limit}. */
    public static Parsed top(final Map<String, List<String>> parameters, final long nowSecond)
        throws BadParameterException {
        return parse(parameters, TOP, nowSecond, GroupBy.FLOW);
    }

    /** The step used when none is given: the finest that keeps a series at or below a few thousand buckets. */
    public static Resolution automaticStep(final long rangeSeconds) {
        if (rangeSeconds <= 3_600) {
            return Resolution.SECOND;
        }
        if (rangeSeconds <= 2 * 86_400) {
            return Resolution.MINUTE;
        }
        if (rangeSeconds <= 60 * 86_400) {
            return Resolution.HOUR;
        }
        return Resolution.DAY;
    }

    private static Parsed parse(final Map<String, List<String>> parameters, final Set<String> allowed,
        final long nowSecond, final GroupBy defaultBy) throws BadParameterException {
        checkNames(parameters, allowed);
        final String toText = single(parameters, "to");
        final long to = toText == null ? nowSecond + 1 : Times.parse("to", toText, true);
        final String fromText = single(parameters, "from");
        final long from = fromText == null ? to - DEFAULT_RANGE_SECONDS : Times.parse("from", fromText, false);
        if (to <= from) {
            throw new BadParameterException(toText == null ? "from" : "to", (toText == null ? "from" : "to") +
                " : the range " + Times.iso(from) + " .. " + Times.iso(to) + " is empty (expected: from < to)");
        }
        final String stepText = single(parameters, "step");
        final Resolution step;
        if (stepText == null) {
            step = automaticStep(to - from);
        } else {
            try {
                step = Resolution.fromLabel(stepText);
            } catch (final IllegalArgumentException e) {
                throw new BadParameterException("step", e.getMessage());
            }
            final long buckets = Resolution.SECOND == step ? to - from :
                (step.bucketStart(to - 1) - step.bucketStart(from)) / step.seconds() + 1;
            if (buckets > MAX_BUCKETS) {
                throw new BadParameterException("step", "step : " + step.label() + " gives " + buckets +
                    " buckets over this range (expected: <= " + MAX_BUCKETS + "; choose a coarser step)");
            }
        }
        final String byText = single(parameters, "by");
        final GroupBy by;
        try {
            by = byText == null ? defaultBy : GroupBy.fromLabel(byText);
        } catch (final IllegalArgumentException e) {
            throw new BadParameterException("by", e.getMessage());
        }
        final String agent = filter(parameters, "agent");
        final String interfaceName = filter(parameters, "interface");
        final String profile = filter(parameters, "profile");
        final String network = filter(parameters, "network", NETWORK, "MCC+MNC, 5 or 6 digits, e.g. 26201");
        final String device = filter(parameters, "device", DEVICE,
            "a device key: a MAC address such as aa:bb:cc:dd:ee:ff, or a LAN address");
        final String service = filter(parameters, "service", SERVICE, "a domain, e.g. video.example.com");
        if ((device != null || service != null) && !by.isFlowDimension()) {
            final String name = device != null ? "device" : "service";
            throw new BadParameterException(name, name + " : filters flows, not interface totals (expected: by " +
                "flow, dst, src, protocol, device or service)");
        }
        final String limitText = single(parameters, "limit");
        final int limit = limitText == null ? DEFAULT_LIMIT : limit(limitText);
        return new Parsed(new UsageQuery(from, to, step, by, agent, interfaceName, profile, network, device, service),
            limit);
    }

    private static void checkNames(final Map<String, List<String>> parameters, final Set<String> allowed)
        throws BadParameterException {
        for (final Map.Entry<String, List<String>> entry : parameters.entrySet()) {
            if (!allowed.contains(entry.getKey())) {
                throw new BadParameterException(entry.getKey(), entry.getKey() + " : unknown parameter (expected: " +
                    String.join(", ", allowed.stream().sorted().toList()) + ")");
            }
            if (entry.getValue().size() != 1) {
                throw new BadParameterException(entry.getKey(), entry.getKey() + " : given " +
                    entry.getValue().size() + " times (expected: once)");
            }
        }
    }

    private static int limit(final String text) throws BadParameterException {
        try {
            final int limit = Integer.parseInt(text.trim());
            if (limit >= 1 && limit <= MAX_LIMIT) {
                return limit;
            }
        } catch (final NumberFormatException e) {
            // reported below, with the accepted range
        }
        throw new BadParameterException("limit", "limit : " + text + " (expected: 1.." + MAX_LIMIT + ")");
    }

    private static String filter(final Map<String, List<String>> parameters, final String name)
        throws BadParameterException {
        final String value = single(parameters, name);
        if (value == null) {
            return null;
        }
        final int length = value.getBytes(StandardCharsets.UTF_8).length;
        if (length < 1 || length > WireFormat.MAX_STRING_BYTES) {
            throw new BadParameterException(name, name + " : " + length + " UTF-8 bytes (expected: 1.." +
                WireFormat.MAX_STRING_BYTES + ")");
        }
        return value;
    }

    private static String filter(final Map<String, List<String>> parameters, final String name,
        final Pattern pattern, final String expected) throws BadParameterException {
        final String value = filter(parameters, name);
        if (value != null && !pattern.matcher(value).matches()) {
            throw new BadParameterException(name, name + " : '" + value + "' (expected: " + expected + ")");
        }
        return value;
    }

    private static String single(final Map<String, List<String>> parameters, final String name) {
        final List<String> values = parameters.get(name);
        return values == null ? null : values.get(0);
    }
}
