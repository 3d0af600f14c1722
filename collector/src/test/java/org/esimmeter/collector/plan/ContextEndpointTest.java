package org.esimmeter.collector.plan;

import static org.esimmeter.collector.web.TestCollector.AGENT_A;
import static org.esimmeter.collector.web.TestCollector.AGENT_B;
import static org.esimmeter.collector.web.TestCollector.TOKEN_A;
import static org.esimmeter.collector.web.TestCollector.TOKEN_B;
import static org.esimmeter.collector.web.TestCollector.json;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.esimmeter.collector.web.Frames;
import org.esimmeter.collector.web.TestCollector;
import org.esimmeter.wire.Device;
import org.esimmeter.wire.Direction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Serving networks, uncaptured bytes, devices and services through the real HTTP server into a real SQLite store:
 * {@code /v1/top} and {@code /v1/totals} by network, device and service, and {@code /v1/profiles} with roaming and
 * the top devices and services. "Now" is 2026-03-20T12:00:00Z; the monthly cycle is March (UTC). Every expected
 * figure is written below as the sum of the IP bytes of the frames built in {@link #start}.
 * <pre>
 * router-a wwan0 travel-eu (home network 23415), flows DOWN unless marked UP:
 *   02-28T23:59:59  23415  phone 5555 video                                       (before the cycle: excluded)
 *   T1              23415  UP phone 1000 video, phone 8000 video, laptop~ 2000 (no service), UP (no device) 300 dns,
 *                          non-IP 60 wire, uncaptured DOWN 4000
 *   T1+1            26201  phone 3000 video, uncaptured DOWN 1500
 *   T1+2            20801  tv 600 cdn
 *   T1+3            (none) laptop 700 mail, uncaptured UP 100
 *   T1+5            23415  dev-4 .. dev-8: 50, 40, 30, 20, 10 with services s4 .. s8
 * router-a wwan1 8944000000000000001 (travel-eu's ICCID)
 *   T1+4            26201  phone 900 video
 * router-b wwan0 data-only (download only counts, no home networks)
 *   T1              23415  UP phone 500 news, kid 700 news, uncaptured UP 200, DOWN 300
 * </pre>
 */
class ContextEndpointTest {
    private static final long NOW = at("2026-03-20T12:00:00Z");
    private static final long T1 = at("2026-03-10T08:00:00Z");
    private static final String MARCH = "from=2026-03-01&to=2026-04-01";
    private static final Device PHONE = new Device("aa:bb:cc:00:00:01", "192.168.8.11", "phone");
    private static final Device LAPTOP = new Device("aa:bb:cc:00:00:02", "192.168.8.12", "laptop");
    private static final Device TV = new Device("192.168.8.14", "192.168.8.14", null);
    private static final Device KID = new Device("aa:bb:cc:00:00:09", null, "kid-tablet");
    private static final String VIDEO = "video.example.com";
    private static final int TCP = 6;
    private static final String PROFILES = "profiles:\n" +
        "  - id: travel-eu\n" +
        "    iccid: \"8944000000000000001\"\n" +
        "    homeNetworks: [\"23415\"]\n" +
        "    plan: {type: monthly, capBytes: 100000, resetDay: 1, timeZone: UTC}\n" +
        "  - id: data-only\n" +
        "    plan: {type: monthly, capBytes: 100000, resetDay: 1, timeZone: UTC, uploadCounts: false}\n";

    @TempDir
    static Path dataDirectory;

    private static TestCollector collector;

    @BeforeAll
    static void start() throws Exception {
        collector = TestCollector.start(dataDirectory, PROFILES, () -> NOW);
        final Frames a = Frames.batch(AGENT_A, 1)
            .second("wwan0", "travel-eu", at("2026-02-28T23:59:59Z")).network("23415");
        down(a, 1, 5555, PHONE, false, VIDEO);
        a.second("wwan0", "travel-eu", T1).network("23415").nonIp(Direction.UP, 1, 60)
            .uncaptured(Direction.DOWN, 4, 4056, 4000)
            .flow(Direction.UP, TCP, "10.0.0.2", 40000, "93.184.216.34", 443, 2, 1028, 1000, PHONE, false, VIDEO);
        down(a, 40000, 8000, PHONE, false, VIDEO);
        down(a, 40001, 2000, LAPTOP, true, null);
        a.flow(Direction.UP, TCP, "10.0.0.2", 40002, "1.1.1.1", 53, 1, 314, 300, null, false, "dns.example.net");
        a.second("wwan0", "travel-eu", T1 + 1).network("26201").uncaptured(Direction.DOWN, 2, 1528, 1500);
        down(a, 40000, 3000, PHONE, false, VIDEO);
        a.second("wwan0", "travel-eu", T1 + 2).network("20801");
        down(a, 40003, 600, TV, false, "cdn.example.org");
        a.second("wwan0", "travel-eu", T1 + 3).uncaptured(Direction.UP, 1, 114, 100);
        down(a, 40004, 700, LAPTOP, false, "mail.example.com");
        a.second("wwan1", "8944000000000000001", T1 + 4).network("26201");
        down(a, 40000, 900, PHONE, false, VIDEO);
        a.second("wwan0", "travel-eu", T1 + 5).network("23415");
        for (int i = 4; i <= 8; i++) {
            down(a, 41000 + i, 90 - 10 * i, new Device("aa:bb:cc:00:01:0" + i, null, "dev-" + i), false,
                "s" + i + ".example");
        }
        final Frames b = Frames.batch(AGENT_B, 1)
            .second("wwan0", "data-only", T1).network("23415").uncaptured(Direction.UP, 1, 214, 200)
            .uncaptured(Direction.DOWN, 1, 314, 300)
            .flow(Direction.UP, TCP, "10.0.0.3", 40000, "93.184.216.34", 443, 1, 514, 500, PHONE, false,
                "news.example.com");
        down(b, 40001, 700, KID, false, "news.example.com");
        assertEquals(200, collector.ingest(TOKEN_A, a.encode()).statusCode());
        assertEquals(200, collector.ingest(TOKEN_B, b.encode()).statusCode());
    }

    /** A download flow 93.184.216.34:443 -> 10.0.0.2:port of one packet per 1000 IP bytes (14-byte framing). */
    private static void down(final Frames frames, final int port, final long ipBytes, final Device device,
        final boolean approximate, final String service) {
        final long packets = (ipBytes + 999) / 1000;
        frames.flow(Direction.DOWN, TCP, "93.184.216.34", 443, "10.0.0.2", port, packets, ipBytes + 14 * packets,
            ipBytes, device, approximate, service);
    }

    @AfterAll
    static void stop() throws Exception {
        collector.close();
    }

    @Test
    void shouldRankServicesDevicesAndNetworksByTheirBytes() throws Exception {
        assertEquals(List.of(VIDEO + " " + (1000 + 8000 + 3000 + 900), "null 2000", "mail.example.com 700"),
            fields(ok("/v1/top?" + MARCH + "&agent=router-a&by=service&limit=3"), "service"));
        assertEquals(List.of(
            "aa:bb:cc:00:00:01 192.168.8.11 phone " + (1000 + 8000 + 3000 + 900) + " approximate 0",
            "aa:bb:cc:00:00:02 192.168.8.12 laptop " + (2000 + 700) + " approximate 2000",
            // Known by its LAN address only: scoped to the router that saw it.
            AGENT_A + "/192.168.8.14 192.168.8.14 null 600 approximate 0",
            "null null null 300 approximate 0"),
            fields(ok("/v1/top?" + MARCH + "&agent=router-a&by=device&limit=4"), "device", "address", "hostname"));
        // Networks: captured IP bytes, and beside them what the kernel counted that no capture saw.
        assertEquals(List.of(
            "23415 " + (1000 + 8000 + 2000 + 300 + 50 + 40 + 30 + 20 + 10) + " uncaptured 4000 with " +
                (1000 + 8000 + 2000 + 300 + 150 + 4000),
            "26201 " + (3000 + 900) + " uncaptured 1500 with " + (3000 + 900 + 1500),
            "null 700 uncaptured 100 with 800",
            "20801 600 uncaptured 0 with 600"),
            fields(ok("/v1/top?" + MARCH + "&agent=router-a&by=network"), "network"));
    }

    @Test
    void shouldNarrowByNetworkDeviceAndService() throws Exception {
        assertEquals(List.of("aa:bb:cc:00:00:01 192.168.8.11 phone " + (3000 + 900) + " approximate 0"),
            fields(ok("/v1/totals?" + MARCH + "&by=device&network=26201"), "device", "address", "hostname"));
        assertEquals(List.of(VIDEO + " " + (1000 + 8000 + 3000 + 900), "news.example.com 500"),
            fields(ok("/v1/top?" + MARCH + "&by=service&device=aa:bb:cc:00:00:01"), "service"));
        assertEquals(List.of("aa:bb:cc:00:00:02 192.168.8.12 laptop 700 approximate 0"),
            fields(ok("/v1/top?" + MARCH + "&by=device&service=mail.example.com"), "device", "address", "hostname"));
        assertEquals(0, ok("/v1/top?" + MARCH + "&by=device&service=never.example").get("groups").size());
        final JsonNode filters = ok("/v1/top?" + MARCH + "&by=flow&network=26201&device=aa:bb:cc:00:00:01&service=" +
            VIDEO).get("filters");
        assertEquals("26201 aa:bb:cc:00:00:01 " + VIDEO, filters.get("network").asText() + " " +
            filters.get("device").asText() + " " + filters.get("service").asText());
    }

    @Test
    void shouldAddDevicesAndTheUnattributedUpToTheInterfaceTotal() throws Exception {
        final JsonNode interfaces = ok("/v1/totals?" + MARCH + "&agent=router-a&by=agent").get("groups");
        assertEquals(1, interfaces.size());
        final JsonNode all = interfaces.get(0);
        final long flows = 1000 + 8000 + 2000 + 300 + 3000 + 600 + 700 + 900 + 150;
        assertEquals(flows, all.get("total").get("ipBytes").asLong());
        assertEquals(4000 + 1500 + 100, all.get("uncaptured").get("total").get("ipBytes").asLong());
        assertEquals(4000 + 1500, all.get("uncaptured").get("down").get("ipBytes").asLong());
        assertEquals(flows + 5600, all.get("totalWithUncaptured").get("ipBytes").asLong());
        long devices = 0;
        long wire = 0;
        for (final JsonNode group : ok("/v1/totals?" + MARCH + "&agent=router-a&by=device").get("groups")) {
            devices += group.get("total").get("ipBytes").asLong();
            wire += group.get("total").get("wireBytes").asLong();
        }
        // Devices + flows of no device = every IP byte of the interface; its wire bytes add the non-IP frame.
        assertEquals(all.get("total").get("ipBytes").asLong(), devices);
        assertEquals(all.get("total").get("wireBytes").asLong(), wire + 60);
    }

    @Test
    void shouldBillUncapturedBytesAndSplitTheCycleByNetworkDeviceAndService() throws Exception {
        final JsonNode eu = profile("travel-eu");
        final long captured = 1000 + 8000 + 2000 + 300 + 3000 + 600 + 700 + 900 + 150;
        final long billable = captured + 4000 + 1500 + 100;
        assertEquals(billable, eu.get("used").get("billableBytes").asLong());
        assertEquals(billable, eu.get("usedBytes").asLong());
        assertEquals(1000 + 300 + 100, eu.get("used").get("upBytes").asLong());
        assertEquals("up 100 down 5500 unknown 0 billable 5600", uncaptured(eu));

        final JsonNode roaming = eu.get("roaming");
        assertEquals("[\"23415\"]", roaming.get("homeNetworks").toString());
        assertEquals(List.of("23415 " + (1000 + 8000 + 2000 + 300 + 4000 + 150) + " home true",
            "26201 " + (3000 + 1500 + 900) + " home false", "null 800 home null", "20801 600 home false"),
            networks(roaming));
        assertEquals(3000 + 1500 + 900 + 600, roaming.get("roamingBytes").asLong());
        assertEquals(700 + 100, roaming.get("unknownNetworkBytes").asLong());

        final JsonNode devices = eu.get("topDevices");
        assertEquals(List.of("aa:bb:cc:00:00:01 phone " + (1000 + 8000 + 3000 + 900) + " approximate 0",
            "aa:bb:cc:00:00:02 laptop 2700 approximate 2000", AGENT_A + "/192.168.8.14 null 600 approximate 0",
            "aa:bb:cc:00:01:04 dev-4 50 approximate 0", "aa:bb:cc:00:01:05 dev-5 40 approximate 0"),
            top(devices.get("devices"), "device", "hostname"));
        assertEquals(30 + 20 + 10, devices.get("otherBytes").asLong());
        assertEquals(3, devices.get("others").asLong());
        assertEquals(300 + 5600, devices.get("unlabelledBytes").asLong()); // no device, and uncaptured
        assertEquals(billable, sum(devices, "devices"));

        final JsonNode services = eu.get("topServices");
        assertEquals(List.of(VIDEO + " " + (1000 + 8000 + 3000 + 900), "mail.example.com 700",
            "cdn.example.org 600", "dns.example.net 300", "s4.example 50"), top(services.get("services"), "service"));
        assertEquals(40 + 30 + 20 + 10, services.get("otherBytes").asLong());
        assertEquals(4, services.get("others").asLong());
        assertEquals(2000 + 5600, services.get("unlabelledBytes").asLong()); // the laptop's unnamed flow, uncaptured
        assertEquals(billable, sum(services, "services"));
    }

    @Test
    void shouldSplitOnlyTheDownloadWhenUploadDoesNotCount() throws Exception {
        final JsonNode data = profile("data-only");
        assertEquals(700 + 300, data.get("used").get("billableBytes").asLong());
        assertEquals("up 200 down 300 unknown 0 billable 300", uncaptured(data));
        final JsonNode roaming = data.get("roaming");
        assertEquals(true, roaming.get("homeNetworks").isNull());
        assertEquals(true, roaming.get("roamingBytes").isNull());
        assertEquals(List.of("23415 1000 home null"), networks(roaming));
        final JsonNode devices = data.get("topDevices");
        // The phone only uploaded: nothing billable, so not listed.
        assertEquals(List.of("aa:bb:cc:00:00:09 kid-tablet 700 approximate 0"),
            top(devices.get("devices"), "device", "hostname"));
        assertEquals(300, devices.get("unlabelledBytes").asLong());
        assertEquals(List.of("news.example.com 700"), top(data.get("topServices").get("services"), "service"));
        assertEquals(300, data.get("topServices").get("unlabelledBytes").asLong());
    }

    private static JsonNode ok(final String path) throws Exception {
        final HttpResponse<String> response = collector.get(path);
        assertEquals(200, response.statusCode(), response.body());
        return json(response);
    }

    private static JsonNode profile(final String id) throws Exception {
        return ok("/v1/profiles/" + id);
    }

    /** Each group: the named fields, its IP bytes, then its approximate or uncaptured IP bytes. */
    private static List<String> fields(final JsonNode body, final String... names) {
        final List<String> lines = new ArrayList<>();
        for (final JsonNode group : body.get("groups")) {
            final StringBuilder line = new StringBuilder();
            for (final String name : names) {
                line.append(group.get(name).asText()).append(' ');
            }
            line.append(group.get("total").get("ipBytes").asLong());
            if (group.has("approximate") && "device".equals(body.get("by").asText())) {
                line.append(" approximate ").append(group.get("approximate").get("ipBytes").asLong());
            }
            if (group.has("uncaptured")) {
                line.append(" uncaptured ").append(group.get("uncaptured").get("total").get("ipBytes").asLong())
                    .append(" with ").append(group.get("totalWithUncaptured").get("ipBytes").asLong());
            }
            lines.add(line.toString());
        }
        return lines;
    }

    private static String uncaptured(final JsonNode profile) {
        final JsonNode node = profile.get("used").get("uncaptured");
        return "up " + node.get("upBytes").asLong() + " down " + node.get("downBytes").asLong() + " unknown " +
            node.get("unknownBytes").asLong() + " billable " + node.get("billableBytes").asLong();
    }

    private static List<String> networks(final JsonNode roaming) {
        final List<String> lines = new ArrayList<>();
        roaming.get("networks").forEach(n -> lines.add(n.get("network").asText() + " " +
            n.get("billableBytes").asLong() + " home " + n.get("home").asText()));
        return lines;
    }

    private static List<String> top(final JsonNode array, final String... names) {
        final List<String> lines = new ArrayList<>();
        for (final JsonNode entry : array) {
            final StringBuilder line = new StringBuilder();
            for (final String name : names) {
                line.append(entry.get(name).asText()).append(' ');
            }
            line.append(entry.get("billableBytes").asLong());
            if (entry.has("approximateBytes")) {
                line.append(" approximate ").append(entry.get("approximateBytes").asLong());
            }
            lines.add(line.toString());
        }
        return lines;
    }

    /** Listed + other + unlabelled. */
    private static long sum(final JsonNode top, final String list) {
        long sum = top.get("otherBytes").asLong() + top.get("unlabelledBytes").asLong();
        for (final JsonNode entry : top.get(list)) {
            sum += entry.get("billableBytes").asLong();
        }
        return sum;
    }

    private static long at(final String instant) {
        return Instant.parse(instant).getEpochSecond();
    }
}
