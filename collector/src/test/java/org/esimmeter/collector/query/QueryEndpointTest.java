package org.esimmeter.collector.query;

import static org.esimmeter.collector.web.TestCollector.TOKEN_A;
import static org.esimmeter.collector.web.TestCollector.TOKEN_B;
import static org.esimmeter.collector.web.TestCollector.error;
import static org.esimmeter.collector.web.TestCollector.json;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.esimmeter.collector.web.Fixture;
import org.esimmeter.collector.web.TestCollector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The query API over the hand-summed {@link Fixture}: exact totals, series, top-N, agents, parameter errors. */
class QueryEndpointTest {
    private static final String DAY = "from=2024-05-01T00:00:00Z&to=2024-05-02T00:00:00Z";

    @TempDir
    static Path dataDirectory;

    private static TestCollector collector;

    @BeforeAll
    static void start() throws Exception {
        collector = TestCollector.start(dataDirectory);
        assertEquals(200, collector.ingest(TOKEN_A, Fixture.batchA1()).statusCode());
        assertEquals(200, collector.ingest(TOKEN_B, Fixture.batchB1()).statusCode());
    }

    @AfterAll
    static void stop() throws Exception {
        collector.close();
    }

    @Test
    void shouldTotalPerInterfaceExactly() throws Exception {
        final JsonNode body = ok("/v1/totals?" + DAY + "&by=interface");

        assertEquals(1714521600, body.get("from").asLong());
        assertEquals("2024-05-01T00:00:00Z", body.get("fromTime").asText());
        assertEquals(1714608000, body.get("to").asLong());
        assertEquals("2024-05-02T00:00:00Z", body.get("toTime").asText());
        assertEquals("interface", body.get("by").asText());
        assertEquals(List.of(
            "router-a wwan0 esim-eu up 11/15080/14066 down 22/30180/29106 unknown 0/0/0 total 33/45260/43172",
            "router-a wwan1 esim-home up 5/5000/4800 down 0/0/0 unknown 0/0/0 total 5/5000/4800",
            "router-b wwan0 esim-eu up 2/200/172 down 0/0/0 unknown 0/0/0 total 2/200/172"),
            lines(body.get("groups"), "agent", "interface", "profile"));
    }

    @Test
    void shouldTotalPerProfileAndPerAgent() throws Exception {
        assertEquals(List.of(
            "esim-eu up 13/15280/14238 down 22/30180/29106 unknown 0/0/0 total 35/45460/43344",
            "esim-home up 5/5000/4800 down 0/0/0 unknown 0/0/0 total 5/5000/4800"),
            lines(ok("/v1/totals?" + DAY + "&by=profile").get("groups"), "profile"));
        assertEquals(List.of(
            "router-a up 16/20080/18866 down 22/30180/29106 unknown 0/0/0 total 38/50260/47972",
            "router-b up 2/200/172 down 0/0/0 unknown 0/0/0 total 2/200/172"),
            lines(ok("/v1/totals?" + DAY + "&by=agent").get("groups"), "agent"));
    }

    @Test
    void shouldFilterByAgentInterfaceAndProfile() throws Exception {
        assertEquals(List.of("router-b wwan0 esim-eu up 2/200/172 down 0/0/0 unknown 0/0/0 total 2/200/172"),
            lines(ok("/v1/totals?" + DAY + "&agent=router-b").get("groups"), "agent", "interface", "profile"));
        assertEquals(List.of("router-a wwan1 esim-home up 5/5000/4800 down 0/0/0 unknown 0/0/0 total 5/5000/4800"),
            lines(ok("/v1/totals?" + DAY + "&profile=esim-home").get("groups"), "agent", "interface", "profile"));
        assertEquals(2, ok("/v1/totals?" + DAY + "&interface=wwan0").get("groups").size());
        final JsonNode filters = ok("/v1/totals?" + DAY + "&agent=router-b&profile=esim-eu").get("filters");
        assertEquals("router-b", filters.get("agent").asText());
        assertEquals("esim-eu", filters.get("profile").asText());
    }

    @Test
    void shouldGiveASeriesPerSecondWithEpochAndIsoBucketStarts() throws Exception {
        final JsonNode body = ok("/v1/usage?from=1714521600&to=1714521700&step=1s&by=agent");

        assertEquals("1s", body.get("step").asText());
        assertEquals(List.of(
            "1714521600 2024-05-01T00:00:00Z router-a up 10/15000/14000 down 21/30060/29000 unknown 0/0/0 " +
                "total 31/45060/43000",
            "1714521601 2024-05-01T00:00:01Z router-a up 1/80/66 down 1/120/106 unknown 0/0/0 total 2/200/172",
            "1714521602 2024-05-01T00:00:02Z router-b up 2/200/172 down 0/0/0 unknown 0/0/0 total 2/200/172",
            "1714521661 2024-05-01T00:01:01Z router-a up 5/5000/4800 down 0/0/0 unknown 0/0/0 total 5/5000/4800"),
            lines(body.get("points"), "t", "time", "agent"));
    }

    @Test
    void shouldGiveASeriesPerMinute() throws Exception {
        final JsonNode body = ok("/v1/usage?" + DAY + "&step=1m&by=profile");

        assertEquals(List.of(
            "1714521600 esim-eu up 13/15280/14238 down 22/30180/29106 unknown 0/0/0 total 35/45460/43344",
            "1714521660 esim-home up 5/5000/4800 down 0/0/0 unknown 0/0/0 total 5/5000/4800"),
            lines(body.get("points"), "t", "profile"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"1s", "1m", "1h", "1d"})
    void shouldSumToTheSameTotalsWhateverTheStep(final String step) throws Exception {
        final JsonNode points = ok("/v1/usage?" + DAY + "&step=" + step + "&by=agent").get("points");
        long wireUp = 0;
        long wireDown = 0;
        long packets = 0;
        for (final JsonNode point : points) {
            wireUp += point.get("up").get("wireBytes").asLong();
            wireDown += point.get("down").get("wireBytes").asLong();
            packets += point.get("total").get("packets").asLong();
        }
        assertEquals(20280, wireUp);
        assertEquals(30180, wireDown);
        assertEquals(40, packets);
    }

    @Test
    void shouldChooseTheStepFromTheRangeWhenNoneIsGiven() throws Exception {
        assertEquals("1s", ok("/v1/usage?from=1714521600&to=1714525200").get("step").asText());
        assertEquals("1m", ok("/v1/usage?from=1714521600&to=1714525201").get("step").asText());
        assertEquals("1h", ok("/v1/usage?from=2024-05-01&to=2024-06-01").get("step").asText());
        assertEquals("1d", ok("/v1/usage?from=2024-01-01&to=2025-01-01").get("step").asText());
    }

    @Test
    void shouldRankFlowsByWireBytes() throws Exception {
        final JsonNode body = ok("/v1/top?" + DAY + "&by=flow&limit=2");

        assertEquals(2, body.get("limit").asInt());
        assertEquals(List.of(
            "6 93.184.216.34 443 10.0.0.2 50000 down up 0/0/0 down 20/30000/29000 unknown 0/0/0 total 20/30000/29000",
            "6 10.0.0.2 50000 93.184.216.34 443 up up 10/15000/14000 down 0/0/0 unknown 0/0/0 total 10/15000/14000"),
            lines(body.get("groups"), "proto", "src", "srcPort", "dst", "dstPort", "direction"));
    }

    @Test
    void shouldRankDestinationsAndProtocols() throws Exception {
        assertEquals(List.of(
            "10.0.0.2 up 0/0/0 down 21/30120/29106 unknown 0/0/0 total 21/30120/29106",
            "93.184.216.34 up 15/20000/18800 down 0/0/0 unknown 0/0/0 total 15/20000/18800",
            "8.8.8.8 up 2/200/172 down 0/0/0 unknown 0/0/0 total 2/200/172"),
            lines(ok("/v1/top?" + DAY + "&by=dst&limit=3").get("groups"), "dst"));
        assertEquals(List.of(
            "6 up 15/20000/18800 down 20/30000/29000 unknown 0/0/0 total 35/50000/47800",
            "17 up 3/280/238 down 1/120/106 unknown 0/0/0 total 4/400/344"),
            lines(ok("/v1/top?" + DAY + "&by=protocol").get("groups"), "proto"));
    }

    @Test
    void shouldListAgentsWithInterfacesProfilesAndLastSecond() throws Exception {
        final JsonNode agents = ok("/v1/agents").get("agents");

        assertEquals(2, agents.size());
        assertEquals("router-a", agents.get(0).get("agent").asText());
        assertEquals(1, agents.get(0).get("lastSequence").asLong());
        final List<String> interfaces = new ArrayList<>();
        for (final JsonNode agent : agents) {
            for (final JsonNode iface : agent.get("interfaces")) {
                interfaces.add(agent.get("agent").asText() + " " + iface.get("interface").asText() + " " +
                    iface.get("profile").asText() + " " + iface.get("lastSecond").asLong() + " " +
                    iface.get("lastSecondTime").asText());
            }
        }
        assertEquals(List.of(
            "router-a wwan0 esim-eu 1714521601 2024-05-01T00:00:01Z",
            "router-a wwan1 esim-home 1714521661 2024-05-01T00:01:01Z",
            "router-b wwan0 esim-eu 1714521602 2024-05-01T00:00:02Z"), interfaces);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "/v1/usage?from=yesterday|from|from : yesterday (expected: ISO-8601 date 2024-05-01, date-time 2024-05-01T00:00:00Z, or epoch seconds)",
        "/v1/usage?from=2024-05-02&to=2024-05-01|to|to : the range 2024-05-02T00:00:00Z .. 2024-05-01T00:00:00Z is empty (expected: from < to)",
        "/v1/usage?to=99999999999999999999|to|to : 99999999999999999999 (expected: between 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z)",
        "/v1/usage?step=2s|step|step : 2s (expected: 1s, 1m, 1h or 1d)",
        "/v1/usage?from=2024-04-01&to=2024-05-01&step=1s|step|step : 1s gives 2592000 buckets over this range (expected: <= 100000; choose a coarser step)",
        "/v1/totals?by=app|by|by : app (expected: agent, interface, profile, network, flow, dst, src, protocol, device or service)",
        "/v1/totals?network=2620|network|network : '2620' (expected: MCC+MNC, 5 or 6 digits, e.g. 26201)",
        "/v1/top?by=service&device=a%20b|device|device : 'a b' (expected: a device key: a MAC address such as aa:bb:cc:dd:ee:ff, or a LAN address)",
        "/v1/top?by=device&service=x/y|service|service : 'x/y' (expected: a domain, e.g. video.example.com)",
        "/v1/totals?by=interface&service=video.example.com|service|service : filters flows, not interface totals (expected: by flow, dst, src, protocol, device or service)",
        "/v1/usage?device=aa:bb:cc:dd:ee:ff|device|device : filters flows, not interface totals (expected: by flow, dst, src, protocol, device or service)",
        "/v1/top?limit=0|limit|limit : 0 (expected: 1..1000)",
        "/v1/top?limit=1001|limit|limit : 1001 (expected: 1..1000)",
        "/v1/top?limit=ten|limit|limit : ten (expected: 1..1000)",
        "/v1/totals?form=2024-05-01|form|form : unknown parameter (expected: agent, by, device, from, interface, network, profile, service, step, to)",
        "/v1/totals?limit=3|limit|limit : unknown parameter (expected: agent, by, device, from, interface, network, profile, service, step, to)",
        "/v1/usage?agent=a&agent=b|agent|agent : given 2 times (expected: once)",
        "/v1/usage?agent=|agent|agent : 0 UTF-8 bytes (expected: 1..255)",
        "/v1/agents?by=agent|by|by : unknown parameter (expected: none)",
        "/v1/live?agnt=router-a|agnt|agnt : unknown parameter (expected: agent, interface, network, profile)",
    })
    void shouldNameTheBadParameter(final String pathAndQuery, final String parameter, final String message)
        throws Exception {
        final HttpResponse<String> response = collector.get(pathAndQuery);

        assertEquals(400, response.statusCode(), response.body());
        assertEquals(Map.of("error", message, "parameter", parameter), error(response));
    }

    @Test
    void shouldAnswer404ForAnUnknownPath() throws Exception {
        final HttpResponse<String> response = collector.get("/v1/usages");

        assertEquals(404, response.statusCode());
        assertEquals(Map.of("error", "path : /v1/usages (no such resource; see /v1/openapi.json)"), error(response));
    }

    @Test
    void shouldAnswer405ForAWrongMethodAndSayWhichOneFits() throws Exception {
        final HttpResponse<String> post = collector.send("POST", "/v1/totals", new byte[0]);
        assertEquals(405, post.statusCode());
        assertEquals("GET", post.headers().firstValue("allow").orElse(""));
        assertEquals(Map.of("error", "method : POST (expected: GET for /v1/totals)"), error(post));

        final HttpResponse<String> get = collector.get("/v1/ingest");
        assertEquals(405, get.statusCode());
        assertEquals("POST", get.headers().firstValue("allow").orElse(""));
        assertEquals(Map.of("error", "method : GET (expected: POST for /v1/ingest)"), error(get));
    }

    @Test
    void shouldReportHealthWhenTheStoreAnswers() throws Exception {
        final HttpResponse<String> response = collector.get("/healthz");

        assertEquals(200, response.statusCode());
        assertEquals("ok", json(response).get("status").asText());
    }

    private static JsonNode ok(final String pathAndQuery) throws Exception {
        final HttpResponse<String> response = collector.get(pathAndQuery);
        assertEquals(200, response.statusCode(), response.body());
        return json(response);
    }

    /** Each entry as one line: the named fields, then up/down/unknown/total as packets/wireBytes/ipBytes. */
    static List<String> lines(final JsonNode array, final String... fields) {
        final List<String> lines = new ArrayList<>();
        for (final JsonNode node : array) {
            final StringBuilder line = new StringBuilder();
            for (final String field : fields) {
                line.append(node.get(field).asText()).append(' ');
            }
            for (final String direction : new String[] {"up", "down", "unknown", "total"}) {
                final JsonNode counters = node.get(direction);
                line.append(direction).append(' ').append(counters.get("packets").asLong()).append('/')
                    .append(counters.get("wireBytes").asLong()).append('/').append(counters.get("ipBytes").asLong())
                    .append(direction.equals("total") ? "" : " ");
            }
            lines.add(line.toString());
        }
        return lines;
    }
}
