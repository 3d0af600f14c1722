package org.esimmeter.collector.plan;

import static org.esimmeter.collector.web.TestCollector.AGENT_A;
import static org.esimmeter.collector.web.TestCollector.AGENT_B;
import static org.esimmeter.collector.web.TestCollector.TOKEN_A;
import static org.esimmeter.collector.web.TestCollector.TOKEN_B;
import static org.esimmeter.collector.web.TestCollector.error;
import static org.esimmeter.collector.web.TestCollector.json;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.esimmeter.collector.web.Frames;
import org.esimmeter.collector.web.TestCollector;
import org.esimmeter.wire.Direction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /v1/profiles} over batches ingested through the real HTTP server into a real SQLite store. Every
 * expected figure is summed by hand below; "now" is 2026-03-20T11:59:59Z, so usage counts up to 12:00:00Z.
 * <pre>
 * esim-eu (monthly, 20000 B, reset 31st 00:00 Europe/Berlin: cycle 2026-02-28T00:00+01:00 .. 2026-03-31T00:00+02:00)
 *   router-a wwan0 esim-eu              2026-02-27T22:59:59Z DOWN 4444 ip   (one second before the cycle: excluded)
 *   router-a wwan0 esim-eu              2026-02-27T23:00:00Z UP     10 ip   (the cycle's first second)
 *   router-a wwan0 esim-eu              2026-03-10T08:00:00Z UP   1000 ip (1100 wire), DOWN 5000 ip (5200 wire),
 *                                                             DOWN non-IP 60 wire (no IP bytes: not billed)
 *   router-b wwan0 esim-eu              2026-03-10T08:00:00Z UP     50 ip
 *   router-a wwan1 8949000000000000001  2026-03-20T11:00:00Z UP    300 ip, DOWN 700 ip (the ICCID, after wwan0 -> wwan1)
 *   up 1360, down 5700, billable 7060, 35.30 %; last 24 h: 1000 B; 900000 s left: 7060 + 10417 = 17477 (87.39 %)
 * esim-home (monthly, 100000 B, 1st 00:00 UTC, upload does not count)
 *   router-a wwan2 esim-home            2026-03-05T00:00:00Z UP 400 ip, DOWN 600 ip        billable 600, 0.60 %
 * travel (pass, 7 days from first use, 10000 B, Asia/Tokyo)
 *   router-b wwan0 travel               2026-03-18T09:15:27Z DOWN 2000 ip   (first use: 18:15:27+09:00)
 *   router-b wwan0 travel               2026-03-20T00:00:00Z UP    500 ip
 *   used 2500, 25.00 %; ends 2026-03-25T09:15:27Z; last 24 h 500 B; 422127 s left: 2500 + 2443 = 4943 (49.43 %)
 * topup (packs: A 3000 B 2026-03-01..04-01, B 1000 B 2026-03-15..03-22, UTC)
 *   router-b wwan1 topup                2026-03-10T00:00:00Z DOWN 2500 ip   (only A valid: A 500 left)
 *   router-b wwan1 topup                2026-03-16T00:00:00Z UP   1200 ip   (B expires first: B 0 left, A 300 left)
 *   cap 4000, used 3700, remaining 300, 92.50 %
 * fibre-backup (monthly, unlimited, 15th 00:00 America/Sao_Paulo, -03:00: cycle from 2026-03-15T03:00:00Z)
 *   router-a wwan3 fibre-backup         2026-03-15T02:59:59Z DOWN 7777 ip   (one second before the cycle: excluded)
 *   router-a wwan3 fibre-backup         2026-03-16T03:00:00Z UP 100 ip, DOWN 900 ip        billable 1000, no cap
 * cruise (pass, 5 days from activatedAt 2026-03-17T08:30:00Z, 8000 B, Europe/Lisbon, +00:00 until 29 March)
 *   router-a wwan4 cruise               2026-03-17T08:29:59Z DOWN  999 ip   (one second before activation: excluded)
 *   router-a wwan4 cruise               2026-03-17T08:30:00Z UP    100 ip   (the pass's first second)
 *   router-a wwan4 cruise               2026-03-20T11:00:00Z DOWN 3000 ip
 *   used 3100, 38.75 %; ends 2026-03-22T08:30:00Z, 160201 s after now (1.85 days); last 24 h 3000 B;
 *   160200 s left after the current second: 3100 + 3000 x 160200 / 86400 = 3100 + 5562.5 = 8663 (108.29 %)
 * </pre>
 */
class ProfilesEndpointTest {
    private static final long NOW = at("2026-03-20T11:59:59Z");
    private static final String PROFILES = "profiles:\n" +
        "  - id: esim-eu\n" +
        "    label: Travel EU\n" +
        "    iccid: \"8949000000000000001\"\n" +
        "    carrier: Example Mobile\n" +
        "    plan:\n" +
        "      type: monthly\n" +
        "      capBytes: 20000\n" +
        "      resetDay: 31\n" +
        "      timeZone: Europe/Berlin\n" +
        "  - id: esim-home\n" +
        "    label: Home\n" +
        "    carrier: Home Telecom\n" +
        "    plan:\n" +
        "      type: monthly\n" +
        "      capBytes: 100000\n" +
        "      resetDay: 1\n" +
        "      resetTime: \"00:00\"\n" +
        "      timeZone: UTC\n" +
        "      uploadCounts: false\n" +
        "  - id: travel\n" +
        "    plan:\n" +
        "      type: pass\n" +
        "      days: 7\n" +
        "      capBytes: 10000\n" +
        "      startsOnFirstUse: true\n" +
        "      timeZone: Asia/Tokyo\n" +
        "  - id: topup\n" +
        "    plan:\n" +
        "      type: packs\n" +
        "      packs:\n" +
        "        - {bytes: 3000, purchasedAt: \"2026-03-01T00:00:00Z\", expiresAt: \"2026-04-01T00:00:00Z\"}\n" +
        "        - {bytes: 1000, purchasedAt: \"2026-03-15T00:00:00Z\", expiresAt: \"2026-03-22T00:00:00Z\"}\n" +
        "  - id: fibre-backup\n" +
        "    plan:\n" +
        "      type: monthly\n" +
        "      unlimited: true\n" +
        "      resetDay: 15\n" +
        "      timeZone: America/Sao_Paulo\n" +
        "  - id: cruise\n" +
        "    plan:\n" +
        "      type: pass\n" +
        "      days: 5\n" +
        "      capBytes: 8000\n" +
        "      activatedAt: \"2026-03-17T08:30:00Z\"\n" +
        "      timeZone: Europe/Lisbon\n";
    private static final int TCP = 6;

    @TempDir
    static Path dataDirectory;

    private static final AtomicLong CLOCK = new AtomicLong(NOW);
    private static TestCollector collector;

    @BeforeAll
    static void start() throws Exception {
        collector = TestCollector.start(dataDirectory, PROFILES, CLOCK::get);
        final byte[] a = Frames.batch(AGENT_A, 1)
            .second("wwan0", "esim-eu", at("2026-02-27T22:59:59Z"))
            .flow(Direction.DOWN, TCP, "1.1.1.1", 443, "10.0.0.2", 50000, 3, 4500, 4444)
            .second("wwan0", "esim-eu", at("2026-02-27T23:00:00Z"))
            .flow(Direction.UP, TCP, "10.0.0.2", 50000, "1.1.1.1", 443, 1, 24, 10)
            .second("wwan3", "fibre-backup", at("2026-03-15T02:59:59Z"))
            .flow(Direction.DOWN, TCP, "1.1.1.1", 443, "10.0.4.2", 50000, 6, 7900, 7777)
            .second("wwan3", "fibre-backup", at("2026-03-16T03:00:00Z"))
            .flow(Direction.UP, TCP, "10.0.4.2", 50000, "1.1.1.1", 443, 1, 114, 100)
            .flow(Direction.DOWN, TCP, "1.1.1.1", 443, "10.0.4.2", 50000, 1, 914, 900)
            .second("wwan2", "esim-home", at("2026-03-05T00:00:00Z"))
            .flow(Direction.UP, TCP, "10.0.2.2", 50000, "1.1.1.1", 443, 1, 414, 400)
            .flow(Direction.DOWN, TCP, "1.1.1.1", 443, "10.0.2.2", 50000, 1, 614, 600)
            .second("wwan0", "esim-eu", at("2026-03-10T08:00:00Z"))
            .flow(Direction.UP, TCP, "10.0.0.2", 50000, "1.1.1.1", 443, 5, 1100, 1000)
            .flow(Direction.DOWN, TCP, "1.1.1.1", 443, "10.0.0.2", 50000, 10, 5200, 5000)
            .nonIp(Direction.DOWN, 1, 60)
            .second("wwan1", "8949000000000000001", at("2026-03-20T11:00:00Z"))
            .flow(Direction.UP, TCP, "10.0.0.2", 50001, "1.1.1.1", 443, 3, 342, 300)
            .flow(Direction.DOWN, TCP, "1.1.1.1", 443, "10.0.0.2", 50001, 5, 770, 700)
            .second("wwan4", "cruise", at("2026-03-17T08:29:59Z"))
            .flow(Direction.DOWN, TCP, "1.1.1.1", 443, "10.0.5.2", 50000, 1, 1019, 999)
            .second("wwan4", "cruise", at("2026-03-17T08:30:00Z"))
            .flow(Direction.UP, TCP, "10.0.5.2", 50000, "1.1.1.1", 443, 1, 114, 100)
            .second("wwan4", "cruise", at("2026-03-20T11:00:00Z"))
            .flow(Direction.DOWN, TCP, "1.1.1.1", 443, "10.0.5.2", 50000, 3, 3042, 3000)
            .encode();
        final byte[] b = Frames.batch(AGENT_B, 1)
            .second("wwan1", "topup", at("2026-03-10T00:00:00Z"))
            .flow(Direction.DOWN, TCP, "1.1.1.1", 443, "10.0.3.2", 50000, 2, 2600, 2500)
            .second("wwan0", "esim-eu", at("2026-03-10T08:00:00Z"))
            .flow(Direction.UP, TCP, "10.0.1.2", 50000, "1.1.1.1", 443, 1, 64, 50)
            .second("wwan1", "topup", at("2026-03-16T00:00:00Z"))
            .flow(Direction.UP, TCP, "10.0.3.2", 50000, "1.1.1.1", 443, 2, 1300, 1200)
            .second("wwan0", "travel", at("2026-03-18T09:15:27Z"))
            .flow(Direction.DOWN, TCP, "1.1.1.1", 443, "10.0.1.2", 50000, 2, 2100, 2000)
            .second("wwan0", "travel", at("2026-03-20T00:00:00Z"))
            .flow(Direction.UP, TCP, "10.0.1.2", 50000, "1.1.1.1", 443, 1, 514, 500)
            .encode();
        assertEquals(200, collector.ingest(TOKEN_A, a).statusCode());
        assertEquals(200, collector.ingest(TOKEN_B, b).statusCode());
    }

    @AfterEach
    void resetClock() {
        CLOCK.set(NOW);
    }

    @AfterAll
    static void stop() throws Exception {
        collector.close();
    }

    @Test
    void shouldListEveryProfileInConfigurationOrder() throws Exception {
        final JsonNode body = ok("/v1/profiles");

        assertEquals(NOW, body.get("asOf").asLong());
        assertEquals("2026-03-20T11:59:59Z", body.get("asOfTime").asText());
        final List<String> ids = new ArrayList<>();
        body.get("profiles").forEach(profile -> ids.add(profile.get("id").asText()));
        assertEquals(List.of("esim-eu", "esim-home", "travel", "topup", "fibre-backup", "cruise"), ids);
    }

    @Test
    void shouldSumAMonthlyCycleInItsZoneAcrossTwoInterfacesMatchedByIccid() throws Exception {
        final JsonNode eu = profile(ok("/v1/profiles"), "esim-eu");

        assertEquals("Travel EU", eu.get("label").asText());
        assertEquals("8949000000000000001", eu.get("iccid").asText());
        assertEquals("Example Mobile", eu.get("carrier").asText());
        assertEquals("monthly", eu.get("plan").get("type").asText());
        assertEquals(31, eu.get("plan").get("resetDay").asInt());
        assertEquals("00:00", eu.get("plan").get("resetTime").asText());
        assertEquals("Europe/Berlin", eu.get("plan").get("timeZone").asText());
        final JsonNode cycle = eu.get("cycle");
        assertEquals("active", cycle.get("state").asText());
        assertEquals(at("2026-02-27T23:00:00Z"), cycle.get("start").asLong());
        assertEquals("2026-02-28T00:00:00+01:00", cycle.get("startTime").asText());
        assertEquals(at("2026-03-30T22:00:00Z"), cycle.get("end").asLong());
        assertEquals("2026-03-31T00:00:00+02:00", cycle.get("endTime").asText());
        assertEquals(10.42, cycle.get("daysLeft").doubleValue()); // 900001 s
        assertEquals("up 1360 down 5700 unknown 0 billable 7060", used(eu));
        assertEquals(7060, eu.get("usedBytes").asLong());
        assertEquals(20000, eu.get("capBytes").asLong());
        assertEquals(12940, eu.get("remainingBytes").asLong());
        assertEquals(35.30, eu.get("percentUsed").doubleValue());
        final JsonNode projection = eu.get("projection");
        assertEquals("last 24 h", projection.get("basis").asText());
        assertEquals(at("2026-03-19T12:00:00Z"), projection.get("from").asLong());
        assertEquals(86400, projection.get("windowSeconds").asLong());
        assertEquals(1000, projection.get("windowBillableBytes").asLong());
        assertEquals(1000, projection.get("bytesPerDay").asLong());
        assertEquals(17477, projection.get("atCycleEndBytes").asLong());
        assertEquals(87.39, projection.get("percentAtCycleEnd").doubleValue());
    }

    @Test
    void shouldCountDownloadOnlyWhenUploadDoesNotCount() throws Exception {
        final JsonNode home = profile(ok("/v1/profiles"), "esim-home");

        assertEquals(at("2026-03-01T00:00:00Z"), home.get("cycle").get("start").asLong());
        assertEquals("2026-04-01T00:00:00Z", home.get("cycle").get("endTime").asText());
        assertEquals("up 400 down 600 unknown 0 billable 600", used(home));
        assertEquals(99400, home.get("remainingBytes").asLong());
        assertEquals(0.60, home.get("percentUsed").doubleValue());
        assertEquals(0, home.get("projection").get("bytesPerDay").asLong());
        assertEquals(600, home.get("projection").get("atCycleEndBytes").asLong());
    }

    @Test
    void shouldGiveNoCapRemainingOrPercentForAnUnlimitedPlan() throws Exception {
        final JsonNode fibre = ok("/v1/profiles/fibre-backup");

        assertEquals(at("2026-03-15T03:00:00Z"), fibre.get("cycle").get("start").asLong());
        assertEquals("2026-03-15T00:00:00-03:00", fibre.get("cycle").get("startTime").asText());
        assertEquals("2026-04-15T00:00:00-03:00", fibre.get("cycle").get("endTime").asText());
        assertEquals("up 100 down 900 unknown 0 billable 1000", used(fibre));
        assertEquals(true, fibre.get("plan").get("unlimited").asBoolean());
        assertEquals(true, fibre.get("capBytes").isNull());
        assertEquals(true, fibre.get("remainingBytes").isNull());
        assertEquals(true, fibre.get("percentUsed").isNull());
        assertEquals(1000, fibre.get("projection").get("atCycleEndBytes").asLong());
        assertEquals(true, fibre.get("projection").get("percentAtCycleEnd").isNull());
    }

    @Test
    void shouldStartAPassAtTheFirstSecondOfUsage() throws Exception {
        final JsonNode travel = profile(ok("/v1/profiles"), "travel");

        final JsonNode cycle = travel.get("cycle");
        assertEquals("active", cycle.get("state").asText());
        assertEquals(at("2026-03-18T09:15:27Z"), cycle.get("start").asLong());
        assertEquals("2026-03-18T18:15:27+09:00", cycle.get("startTime").asText());
        assertEquals(at("2026-03-25T09:15:27Z"), cycle.get("end").asLong());
        assertEquals("up 500 down 2000 unknown 0 billable 2500", used(travel));
        assertEquals(25.00, travel.get("percentUsed").doubleValue());
        assertEquals(500, travel.get("projection").get("bytesPerDay").asLong());
        assertEquals(4943, travel.get("projection").get("atCycleEndBytes").asLong());
        assertEquals(49.43, travel.get("projection").get("percentAtCycleEnd").doubleValue());
    }

    @Test
    void shouldProjectFromTheCycleStartWhenItBeganLessThanADayAgo() throws Exception {
        CLOCK.set(at("2026-03-18T21:15:26Z")); // usage counts up to 21:15:27Z: 12 h of the pass, 2000 B

        final JsonNode projection = ok("/v1/profiles/travel").get("projection");

        assertEquals("since cycle start", projection.get("basis").asText());
        assertEquals(43200, projection.get("windowSeconds").asLong());
        assertEquals(4000, projection.get("bytesPerDay").asLong());
        // 7 days - 12 h = 561600 s ahead at 2000 B / 43200 s = 26000 B, plus the 2000 used.
        assertEquals(28000, projection.get("atCycleEndBytes").asLong());
    }

    @Test
    void shouldSayAPassHasNotStartedBeforeFirstUseAndHasEndedAfterItsDays() throws Exception {
        CLOCK.set(at("2026-03-18T09:15:26Z"));
        final JsonNode before = ok("/v1/profiles/travel");
        assertEquals("not_started", before.get("cycle").get("state").asText());
        assertEquals(true, before.get("cycle").get("start").isNull());
        assertEquals(10000, before.get("remainingBytes").asLong());

        CLOCK.set(at("2026-03-25T09:15:27Z"));
        final JsonNode after = ok("/v1/profiles/travel");
        assertEquals("ended", after.get("cycle").get("state").asText());
        assertEquals(0.00, after.get("cycle").get("daysLeft").doubleValue());
        assertEquals(2500, after.get("usedBytes").asLong());
        assertEquals(true, after.get("projection").isNull());
    }

    @Test
    void shouldRunAPassForItsDaysFromAFixedActivation() throws Exception {
        final JsonNode cruise = ok("/v1/profiles/cruise");

        final JsonNode plan = cruise.get("plan");
        assertEquals("pass", plan.get("type").asText());
        assertEquals(5, plan.get("days").asInt());
        assertEquals("2026-03-17T08:30:00Z", plan.get("activatedAt").asText());
        assertEquals(false, plan.get("startsOnFirstUse").asBoolean());
        final JsonNode cycle = cruise.get("cycle");
        assertEquals("active", cycle.get("state").asText());
        assertEquals(at("2026-03-17T08:30:00Z"), cycle.get("start").asLong());
        assertEquals("2026-03-17T08:30:00Z", cycle.get("startTime").asText());
        assertEquals(at("2026-03-22T08:30:00Z"), cycle.get("end").asLong());
        assertEquals("2026-03-22T08:30:00Z", cycle.get("endTime").asText());
        assertEquals(1.85, cycle.get("daysLeft").doubleValue());
        assertEquals("up 100 down 3000 unknown 0 billable 3100", used(cruise));
        assertEquals(3100, cruise.get("usedBytes").asLong());
        assertEquals(8000, cruise.get("capBytes").asLong());
        assertEquals(4900, cruise.get("remainingBytes").asLong());
        assertEquals(38.75, cruise.get("percentUsed").doubleValue());
        final JsonNode projection = cruise.get("projection");
        assertEquals("last 24 h", projection.get("basis").asText());
        assertEquals(3000, projection.get("windowBillableBytes").asLong());
        assertEquals(3000, projection.get("bytesPerDay").asLong());
        assertEquals(8663, projection.get("atCycleEndBytes").asLong());
        assertEquals(108.29, projection.get("percentAtCycleEnd").doubleValue());
    }

    @Test
    void shouldKnowAFixedPassBeforeItStartsAndAfterItEnds() throws Exception {
        CLOCK.set(at("2026-03-17T08:29:59Z"));
        final JsonNode before = ok("/v1/profiles/cruise");
        assertEquals("not_started", before.get("cycle").get("state").asText());
        assertEquals(at("2026-03-17T08:30:00Z"), before.get("cycle").get("start").asLong());
        assertEquals(5.00, before.get("cycle").get("daysLeft").doubleValue());
        assertEquals(0, before.get("usedBytes").asLong()); // the 999 B before activation are not the pass's
        assertEquals(8000, before.get("remainingBytes").asLong());
        assertEquals(true, before.get("projection").isNull());

        CLOCK.set(at("2026-03-22T08:30:00Z"));
        final JsonNode after = ok("/v1/profiles/cruise");
        assertEquals("ended", after.get("cycle").get("state").asText());
        assertEquals(0.00, after.get("cycle").get("daysLeft").doubleValue());
        assertEquals(3100, after.get("usedBytes").asLong());
        assertEquals(true, after.get("projection").isNull());
    }

    @Test
    void shouldChargeStackedPacksEarliestExpiryFirst() throws Exception {
        final JsonNode topup = ok("/v1/profiles/topup");

        assertEquals(at("2026-03-01T00:00:00Z"), topup.get("cycle").get("start").asLong());
        assertEquals(at("2026-04-01T00:00:00Z"), topup.get("cycle").get("end").asLong());
        assertEquals(4000, topup.get("capBytes").asLong());
        assertEquals(3700, topup.get("usedBytes").asLong());
        assertEquals(300, topup.get("remainingBytes").asLong());
        assertEquals(92.50, topup.get("percentUsed").doubleValue());
        assertEquals(0, topup.get("uncoveredBytes").asLong());
        assertEquals(List.of("3000 active used 2700 left 300", "1000 used_up used 1000 left 0"), packs(topup));

        CLOCK.set(at("2026-03-22T00:00:00Z")); // B has expired: only A is valid
        final JsonNode later = ok("/v1/profiles/topup");
        assertEquals(3000, later.get("capBytes").asLong());
        assertEquals(2700, later.get("usedBytes").asLong());
        assertEquals(List.of("3000 active used 2700 left 300", "1000 expired used 1000 left 0"), packs(later));
    }

    @Test
    void shouldFindAProfileByItsIccid() throws Exception {
        final JsonNode eu = ok("/v1/profiles/8949000000000000001");

        assertEquals("esim-eu", eu.get("id").asText());
        assertEquals(7060, eu.get("usedBytes").asLong());
        assertEquals(NOW, eu.get("asOf").asLong());
    }

    @Test
    void shouldAnswer404ForAnUnknownProfile() throws Exception {
        final HttpResponse<String> response = collector.get("/v1/profiles/nope");

        assertEquals(404, response.statusCode());
        assertEquals(Map.of("error", "profile : nope (no such profile in the collector's configuration; see " +
            "/v1/profiles)"), error(response));
    }

    @Test
    void shouldRefuseParameters() throws Exception {
        final HttpResponse<String> response = collector.get("/v1/profiles?at=1");

        assertEquals(400, response.statusCode());
        assertEquals(Map.of("error", "at : unknown parameter (expected: none)", "parameter", "at"), error(response));
    }

    private static JsonNode ok(final String path) throws Exception {
        final HttpResponse<String> response = collector.get(path);
        assertEquals(200, response.statusCode(), response.body());
        return json(response);
    }

    private static JsonNode profile(final JsonNode body, final String id) {
        for (final JsonNode profile : body.get("profiles")) {
            if (profile.get("id").asText().equals(id)) {
                return profile;
            }
        }
        throw new AssertionError("no profile " + id + " in " + body);
    }

    private static String used(final JsonNode profile) {
        final JsonNode used = profile.get("used");
        return "up " + used.get("upBytes").asLong() + " down " + used.get("downBytes").asLong() + " unknown " +
            used.get("unknownBytes").asLong() + " billable " + used.get("billableBytes").asLong();
    }

    private static List<String> packs(final JsonNode profile) {
        final List<String> lines = new ArrayList<>();
        profile.get("packs").forEach(pack -> lines.add(pack.get("bytes").asLong() + " " + pack.get("state").asText() +
            " used " + pack.get("usedBytes").asLong() + " left " + pack.get("remainingBytes").asLong()));
        return lines;
    }

    private static long at(final String instant) {
        return Instant.parse(instant).getEpochSecond();
    }
}
