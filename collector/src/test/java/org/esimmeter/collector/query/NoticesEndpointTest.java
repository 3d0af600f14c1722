package org.esimmeter.collector.query;

import static org.esimmeter.collector.web.Fixture.T0;
import static org.esimmeter.collector.web.Fixture.TCP;
import static org.esimmeter.collector.web.Fixture.UDP;
import static org.esimmeter.collector.web.TestCollector.AGENT_A;
import static org.esimmeter.collector.web.TestCollector.TOKEN_A;
import static org.esimmeter.collector.web.TestCollector.TOKEN_B;
import static org.esimmeter.collector.web.TestCollector.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.esimmeter.collector.web.Frames;
import org.esimmeter.collector.web.TestCollector;
import org.esimmeter.wire.Direction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the collector does with degraded seconds, seen through the HTTP API: merged records (the agent's spool at its
 * cap) keep every total exact and are flagged where an answer would split them; seconds stamped before a clock step
 * are stored where they were stamped and flagged in every answer whose range they fall in; implausible stamps are
 * counted. Sums below are worked out by hand from the batches.
 */
class NoticesEndpointTest {
    /** Old clock: 1970-01-01T00:00:00Z .. 00:02:00Z; the step, detected at T0 + 0.5 s, is T0 - 121 s + 0.5 s. */
    private static final long STEP_MILLIS = (T0 - 121) * 1000 + 500;

    @TempDir
    Path dataDirectory;

    private TestCollector collector;

    @BeforeEach
    void start() throws Exception {
        collector = TestCollector.start(dataDirectory);
    }

    @AfterEach
    void stop() throws Exception {
        collector.close();
    }

    /**
     * router-a: T0+59 one second (100 B up), T0+60 and T0+120 minute records (60000 B and 30000 B up), T0+3600 an
     * hour record (1500000 B down). Total 1590100 wire bytes.
     */
    private static byte[] mergedBatch() {
        return Frames.batch(AGENT_A, 1)
            .second("wwan0", "esim-eu", T0 + 59)
            .flow(Direction.UP, UDP, "10.0.0.2", 5353, "1.1.1.1", 53, 1, 100, 86)
            .merged("wwan0", "esim-eu", T0 + 60, 60)
            .flow(Direction.UP, TCP, "10.0.0.2", 50000, "93.184.216.34", 443, 60, 60_000, 59_160)
            .merged("wwan0", "esim-eu", T0 + 120, 60)
            .flow(Direction.UP, TCP, "10.0.0.2", 50000, "93.184.216.34", 443, 30, 30_000, 29_580)
            .merged("wwan0", "esim-eu", T0 + 3600, 3600)
            .flow(Direction.DOWN, TCP, "93.184.216.34", 443, "10.0.0.2", 50000, 1000, 1_500_000, 1_486_000)
            .encode();
    }

    /** router-a after a boot without real-time clock: a second stamped 1970-01-01T00:02:00Z, then NTP's step. */
    private static byte[] clockStepBatch() {
        return Frames.batch(AGENT_A, 1)
            .second("wwan0", "esim-eu", 120)
            .flow(Direction.UP, UDP, "10.0.0.2", 5353, "1.1.1.1", 53, 1, 60, 46)
            .clockStep(T0 * 1000 + 500, STEP_MILLIS, 0, 120)
            .encode();
    }

    private JsonNode get(final String pathAndQuery) throws Exception {
        final var response = collector.get(pathAndQuery);
        assertEquals(200, response.statusCode(), response.body());
        return json(response);
    }

    private static long wireBytes(final JsonNode answer, final String array) {
        long sum = 0;
        for (final JsonNode entry : answer.get(array)) {
            sum += entry.get("total").get("wireBytes").asLong();
        }
        return sum;
    }

    private static List<String> points(final JsonNode usage) {
        final List<String> points = new ArrayList<>();
        for (final JsonNode point : usage.get("points")) {
            points.add(point.get("time").asText() + "=" + point.get("total").get("wireBytes").asLong());
        }
        return points;
    }

    private List<String> metrics(final String... names) throws Exception {
        final List<String> lines = Arrays.asList(collector.get("/metrics").body().split("\n"));
        return Arrays.stream(names).map(name -> lines.stream().filter(line -> line.startsWith(name + " "))
            .findFirst().orElse(name + " missing")).toList();
    }

    @Test
    void shouldKeepTotalsExactOverMergedRecordsAndFlagTheAnswersThatSplitThem() throws Exception {
        assertEquals(200, collector.ingest(TOKEN_A, mergedBatch()).statusCode());
        assertEquals("duplicate", json(collector.ingest(TOKEN_A, mergedBatch())).get("outcome").asText());

        // Totals over the whole stretch: exact, and nothing to flag.
        final JsonNode hours = get("/v1/totals?from=" + T0 + "&to=" + (T0 + 7200));
        assertEquals(1_590_100, wireBytes(hours, "groups"));
        assertEquals(0, hours.get("notices").size());
        assertEquals(false, hours.get("noticesTruncated").asBoolean());
        for (final String step : List.of("1s", "1m", "1h", "1d")) {
            assertEquals(1_590_100, wireBytes(get("/v1/usage?from=" + T0 + "&to=" + (T0 + 7200) + "&step=" + step),
                "points"), step);
        }

        // Per second: each minute record shows whole at its first second, and the answer says so (coalesced).
        final JsonNode seconds = get("/v1/usage?from=" + (T0 + 60) + "&to=" + (T0 + 180) + "&step=1s");
        assertEquals(List.of("2024-05-01T00:01:00Z=60000", "2024-05-01T00:02:00Z=30000"), points(seconds));
        assertEquals(1, seconds.get("notices").size(), seconds.toString());
        final JsonNode notice = seconds.get("notices").get(0);
        assertEquals("merged", notice.get("kind").asText());
        assertEquals(AGENT_A, notice.get("agent").asText());
        assertEquals("wwan0", notice.get("interface").asText());
        assertEquals(T0 + 60, notice.get("from").asLong());
        assertEquals(T0 + 180, notice.get("to").asLong());
        assertEquals(60, notice.get("spanSeconds").asInt());
        assertEquals(2, notice.get("records").asInt());
        assertEquals("router-a wwan0: 2024-05-01T00:01:00Z .. 2024-05-01T00:03:00Z is in 2 record(s) of 60 s that " +
            "the agent's spool merged at its size cap; each record's usage is shown at its first second (totals " +
            "exact, per-second detail lost)", notice.get("message").asText());

        // Per minute: the minute records are exact, the hour record is not.
        assertEquals(0, get("/v1/usage?from=" + T0 + "&to=" + (T0 + 180) + "&step=1m").get("notices").size());
        final JsonNode minutes = get("/v1/usage?from=" + (T0 + 3600) + "&to=" + (T0 + 7200) + "&step=1m");
        assertEquals(List.of("2024-05-01T01:00:00Z=1500000"), points(minutes));
        assertEquals(List.of("merged 3600 " + (T0 + 3600) + ".." + (T0 + 7200)), summary(minutes));

        // A range that starts inside a record: that record is counted wholly or not at all, and flagged.
        final JsonNode cut = get("/v1/totals?from=" + (T0 + 90) + "&to=" + (T0 + 7200));
        assertEquals(30_000 + 1_500_000, wireBytes(cut, "groups"));
        assertEquals(List.of("merged 60 " + (T0 + 60) + ".." + (T0 + 120)), summary(cut));
        assertEquals(List.of("merged 60 " + (T0 + 60) + ".." + (T0 + 120)),
            summary(get("/v1/top?from=" + (T0 + 90) + "&to=" + (T0 + 7200))));
        // Filters narrow the notices as they narrow the usage.
        assertEquals(0, get("/v1/totals?from=" + (T0 + 90) + "&to=" + (T0 + 7200) + "&interface=wwan1")
            .get("notices").size());

        assertEquals(List.of("esim_ingest_merged_records_total 3.0", "esim_ingest_merged_seconds_total 3720.0",
            "esim_ingest_seconds_total 4.0"), metrics("esim_ingest_merged_records_total",
            "esim_ingest_merged_seconds_total", "esim_ingest_seconds_total"));
        final JsonNode agent = get("/v1/agents").get("agents").get(0);
        assertEquals(3, agent.get("mergedRecords").asLong());
        assertEquals(3720, agent.get("mergedSeconds").asLong());
        assertEquals(T0 + 7199, agent.get("interfaces").get(0).get("lastSecond").asLong());
    }

    private static List<String> summary(final JsonNode answer) {
        final List<String> notices = new ArrayList<>();
        for (final JsonNode notice : answer.get("notices")) {
            notices.add(notice.get("kind").asText() + " " + (notice.has("spanSeconds") ?
                notice.get("spanSeconds").asInt() + " " + notice.get("from").asLong() + ".." + notice.get("to").asLong() :
                notice.get("affectedFrom").asLong() + ".." + notice.get("affectedTo").asLong()));
        }
        return notices;
    }

    @Test
    void shouldStoreSecondsStampedBeforeAClockStepWhereTheyAreAndFlagEveryRangeTheyFallIn() throws Exception {
        assertEquals(200, collector.ingest(TOKEN_A, clockStepBatch()).statusCode());
        assertEquals("duplicate", json(collector.ingest(TOKEN_A, clockStepBatch())).get("outcome").asText());

        // Stored as stamped: in 1970, not moved to 2024.
        final JsonNode epoch = get("/v1/totals?from=0&to=86400");
        assertEquals(60, wireBytes(epoch, "groups"));
        assertEquals(0, wireBytes(get("/v1/totals?from=" + (T0 - 3600) + "&to=" + (T0 + 3600)), "groups"));
        assertEquals(1, epoch.get("notices").size(), epoch.toString());
        final JsonNode notice = epoch.get("notices").get(0);
        assertEquals("clock-step", notice.get("kind").asText());
        assertEquals(AGENT_A, notice.get("agent").asText());
        assertEquals(T0, notice.get("detectedAt").asLong());
        assertEquals("2024-05-01T00:00:00Z", notice.get("detectedAtTime").asText());
        assertEquals(0, new java.math.BigDecimal("1714521479.5").compareTo(notice.get("stepSeconds").decimalValue()));
        // Milliseconds exact in the JSON text, never a floating-point exponent.
        assertTrue(collector.get("/v1/totals?from=0&to=86400").body().contains("\"stepSeconds\":1714521479.500,"));
        assertEquals(0, notice.get("affectedFrom").asLong());
        assertEquals(120, notice.get("affectedTo").asLong());
        assertEquals("router-a's wall clock was stepped +1714521479.500 s at 2024-05-01T00:00:00Z: the seconds " +
            "stamped 1970-01-01T00:00:00Z .. 1970-01-01T00:02:00Z by the old clock (about 2024-04-30T23:57:59Z .. " +
            "2024-04-30T23:59:59Z by the new one) are stored where they were stamped, not moved",
            notice.get("message").asText());

        // Present wherever the affected seconds overlap the range, absent otherwise.
        assertEquals(List.of("clock-step 0..120"), summary(get("/v1/usage?from=120&to=121&step=1s")));
        assertEquals(List.of("clock-step 0..120"), summary(get("/v1/top?from=0&to=1&by=flow")));
        assertEquals(List.of(), summary(get("/v1/usage?from=121&to=3600")));
        assertEquals(List.of(), summary(get("/v1/usage?from=" + T0 + "&to=" + (T0 + 3600))));
        assertEquals(List.of(), summary(get("/v1/usage?from=0&to=3600&agent=router-b")));

        final JsonNode agent = get("/v1/agents").get("agents").get(0);
        assertEquals(1, agent.get("clockSteps").get("count").asLong());
        assertEquals(T0, agent.get("clockSteps").get("last").get("detectedAt").asLong());
        assertEquals(0, new java.math.BigDecimal("1714521479.5").compareTo(agent.get("clockSteps").get("last")
            .get("stepSeconds").decimalValue()));
        assertEquals(List.of("esim_ingest_clock_steps_total 1.0"), metrics("esim_ingest_clock_steps_total"));
    }

    @Test
    void shouldCountImplausiblyStampedSecondsOnMetricsAndPerAgent() throws Exception {
        final long now = System.currentTimeMillis() / 1000;
        assertEquals(200, collector.ingest(TOKEN_A, clockStepBatch()).statusCode());
        assertEquals(200, collector.ingest(TOKEN_A, Frames.batch(AGENT_A, 2)
            .second("wwan0", "esim-eu", T0)
            .nonIp(Direction.DOWN, 1, 60)
            .second("wwan0", "esim-eu", now + 3 * 86_400)
            .nonIp(Direction.DOWN, 1, 60)
            .encode()).statusCode());
        assertEquals(200, collector.ingest(TOKEN_B, Frames.batch(TestCollector.AGENT_B, 1)
            .second("wwan0", "esim-eu", T0)
            .nonIp(Direction.DOWN, 1, 60)
            .encode()).statusCode());

        assertEquals(List.of("esim_ingest_implausible_seconds_total 2.0", "esim_ingest_seconds_total 4.0"),
            metrics("esim_ingest_implausible_seconds_total", "esim_ingest_seconds_total"));
        final JsonNode agents = get("/v1/agents").get("agents");
        assertEquals(2, agents.get(0).get("implausibleSeconds").asLong());
        assertEquals(0, agents.get(1).get("implausibleSeconds").asLong());
        assertTrue(agents.get(1).get("clockSteps").get("last").isNull());
        assertEquals(0, agents.get(1).get("clockSteps").get("count").asLong());
    }
}
