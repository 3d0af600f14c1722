package org.esimmeter.bench.ship;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.esimmeter.wire.Direction;
import org.esimmeter.wire.TrafficCounters;

/**
 * Reads back what the collector stored, through its public HTTP API only, and compares it with what was fed:
 * {@code /v1/totals?by=interface} per interface and direction (packets, wire bytes, IP bytes, exactly),
 * {@code /v1/totals?by=flow} (the flow rows add up to the same wire bytes: the flow detail was stored too), and
 * the ingest counters of {@code /metrics} (interface-seconds and flow-second records stored, duplicates excluded).
 * Every mismatch is collected, so one run names all of them.
 */
final class CollectorAnswers {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] METRIC_FIELDS = {"packets", "wireBytes", "ipBytes"};

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10)).build();
    private final URI base;
    private final List<String> mismatches = new ArrayList<>();
    private String metrics;

    CollectorAnswers(final URI base) {
        this.base = base;
    }

    /** Compares the stored totals of [fromSecond, toSecond) with the fed counters; returns the mismatches. */
    List<String> check(final String agentId, final BusyRouter router, final long fromSecond, final long toSecond,
        final SpoolContents backlog) throws IOException, InterruptedException {
        final String range = "from=" + fromSecond + "&to=" + toSecond + "&agent=" + agentId;
        final JsonNode byInterface = JSON.readTree(get("/v1/totals?by=interface&" + range)).path("groups");
        long fedWire = 0;
        for (int i = 0; i < BusyRouter.INTERFACES.length; i++) {
            final String name = BusyRouter.INTERFACES[i];
            final TrafficCounters fed = router.fed(i);
            fedWire += fed.sum(TrafficCounters.WIRE_BYTES);
            JsonNode group = null;
            for (final JsonNode candidate : byInterface) {
                if (name.equals(candidate.path("interface").asText())) {
                    if (group != null) {
                        mismatches.add("interface " + name + " : more than one group");
                    }
                    group = candidate;
                }
            }
            if (group == null) {
                mismatches.add("interface " + name + " : no stored usage");
                continue;
            }
            if (!BusyRouter.PROFILES[i].equals(group.path("profile").asText())) {
                mismatches.add("interface " + name + " : profile " + group.path("profile").asText() + " (expected: " +
                    BusyRouter.PROFILES[i] + ")");
            }
            for (int direction = 0; direction < Direction.COUNT; direction++) {
                for (int metric = 0; metric < TrafficCounters.METRICS; metric++) {
                    final long stored = group.path(Direction.name(direction)).path(METRIC_FIELDS[metric]).asLong(-1);
                    final long expected = fed.get(direction, metric);
                    if (stored != expected) {
                        mismatches.add(String.format("interface %s %s %s : %d stored (expected: %d)", name,
                            Direction.name(direction), METRIC_FIELDS[metric], stored, expected));
                    }
                }
            }
        }
        if (byInterface.size() != BusyRouter.INTERFACES.length) {
            mismatches.add("by=interface : " + byInterface.size() + " groups (expected: " +
                BusyRouter.INTERFACES.length + ")");
        }
        long flowWire = 0;
        for (final JsonNode flow : JSON.readTree(get("/v1/totals?by=flow&" + range)).path("groups")) {
            flowWire += flow.path("total").path("wireBytes").asLong();
        }
        // Every frame is IP and no second exceeds the flow table: flows carry every byte.
        if (flowWire != fedWire) {
            mismatches.add("by=flow : " + flowWire + " wire bytes (expected: " + fedWire + ")");
        }
        metrics = get("/metrics");
        expectMetric("esim_ingest_seconds_total", backlog.interfaceSeconds());
        expectMetric("esim_ingest_flows_total", backlog.flowSeconds());
        return mismatches;
    }

    private void expectMetric(final String sample, final long expected) {
        final double value = metric(sample);
        if (value != expected) {
            mismatches.add(sample + " : " + value + " (expected: " + expected + ")");
        }
    }

    /** A sample of the last {@code /metrics} read, {@code NaN} if absent ({@code name} or {@code name{labels}}). */
    double metric(final String sample) {
        for (final String line : metrics.split("\n")) {
            if (line.startsWith(sample + " ")) {
                return Double.parseDouble(line.substring(sample.length() + 1).trim().split(" ")[0]);
            }
        }
        return Double.NaN;
    }

    private String get(final String path) throws IOException, InterruptedException {
        final HttpResponse<String> response = client.send(HttpRequest.newBuilder(base.resolve(path))
            .timeout(Duration.ofSeconds(60)).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("GET " + path + " answered " + response.statusCode() + " " + response.body());
        }
        return response.body();
    }
}
