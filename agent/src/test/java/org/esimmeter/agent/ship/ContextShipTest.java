package org.esimmeter.agent.ship;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.esimmeter.agent.label.FlowLabels;
import org.esimmeter.agent.meter.FlowMeta;
import org.esimmeter.agent.meter.FlowTable;
import org.esimmeter.agent.meter.SecondRecord;
import org.esimmeter.wire.Addresses;
import org.esimmeter.wire.Batch;
import org.esimmeter.wire.Device;
import org.esimmeter.wire.Direction;
import org.esimmeter.wire.FlowUsage;
import org.esimmeter.wire.SecondUsage;
import org.esimmeter.wire.TrafficCounters;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What qualifies the counters travels with them: the serving network and uncaptured bytes of each second, and the
 * device and service {@link FlowLabels} name for each flow, through the shipper to a real receiver, and through
 * the spool's merging.
 */
class ContextShipTest {
    private static final long T = 1_700_000_040L; // a minute boundary
    private static final Device PHONE = new Device("02:00:00:00:00:17", "192.168.8.23", "alices-phone");
    private static final Device LAPTOP = new Device("192.168.8.40", "192.168.8.40", null);

    private IngestReceiver receiver;
    private CollectorSink sink;

    @AfterEach
    void stop() throws InterruptedException {
        if (sink != null) {
            sink.close(0);
        }
        if (receiver != null) {
            receiver.close();
        }
    }

    /** A sealed second on wwan0 roaming on 23415: two flows up to port 443 and 53, 3 packets / 4,500 B uncaptured. */
    private record Second(long epochSecond, String network, FlowTable flows, TrafficCounters total,
        TrafficCounters uncaptured) implements SecondRecord {
        static Second of(final long epochSecond, final String network) {
            final FlowTable flows = new FlowTable(4, 4);
            final TrafficCounters total = new TrafficCounters();
            flows.add(0, Addresses.IPV4_MAPPED_PREFIX | 0x0A00_0002L, 0, Addresses.IPV4_MAPPED_PREFIX | 0x5DB8_D822L,
                FlowMeta.pack(4, 6, 50_000, 443, Direction.UP), 2, 200, 172);
            flows.add(0, Addresses.IPV4_MAPPED_PREFIX | 0x0A00_0002L, 0, Addresses.IPV4_MAPPED_PREFIX | 0x0808_0808L,
                FlowMeta.pack(4, 17, 40_000, 53, Direction.UP), 1, 100, 86);
            total.add(Direction.UP, 3, 300, 258);
            final TrafficCounters uncaptured = new TrafficCounters();
            uncaptured.add(Direction.DOWN, 3, 4500, 4458);
            return new Second(epochSecond, network, flows, total, uncaptured);
        }

        @Override
        public String interfaceName() {
            return "wwan0";
        }

        @Override
        public String profile() {
            return "8944500000000000001";
        }

        @Override
        public TrafficCounters nonIp() {
            return new TrafficCounters();
        }

        @Override
        public TrafficCounters unparsed() {
            return new TrafficCounters();
        }

        @Override
        public long pcapReceived() {
            return 3;
        }

        @Override
        public long pcapDropped() {
            return 0;
        }
    }

    /** The phone's HTTPS flow is example.com, its device inferred; the DNS flow is the laptop's, no service. */
    private static final FlowLabels LABELS = (second, index, into) -> {
        if (FlowMeta.dstPort(second.flows().meta(index)) == 443) {
            into.device = PHONE;
            into.approximate = true;
            into.service = "example.com";
        } else {
            into.device = LAPTOP;
        }
    };

    @Test
    void shouldShipNetworkUncapturedAndLabels() throws Exception {
        receiver = IngestReceiver.start();
        sink = new CollectorSink(CollectorSink.Settings.of(receiver.url(), "router-7", IngestReceiver.TOKEN, 1 << 20,
            64 << 20).withTimes(50, 20, 200), 1).labelFlowsWith(LABELS);
        sink.onSecond(Second.of(T, "23415"));
        sink.onSecond(Second.of(T + 1, ""));
        assertTrue(sink.awaitDelivered(10, TimeUnit.SECONDS));

        final List<SecondUsage> seconds = new ArrayList<>();
        receiver.accepted().forEach(batch -> seconds.addAll(batch.seconds()));
        assertEquals(2, seconds.size());
        assertEquals("23415", seconds.get(0).network());
        assertEquals("", seconds.get(1).network());
        for (final SecondUsage second : seconds) {
            assertEquals(4500, second.uncaptured().get(Direction.DOWN, TrafficCounters.WIRE_BYTES));
            assertEquals(4458, second.uncaptured().get(Direction.DOWN, TrafficCounters.IP_BYTES));
            assertEquals(3, second.uncaptured().sum(TrafficCounters.PACKETS));
            assertEquals(300, second.total().sum(TrafficCounters.WIRE_BYTES), "uncaptured is not in the total");
            final FlowUsage web = second.flows().get(0);
            assertEquals(PHONE, web.device());
            assertTrue(web.approximate());
            assertEquals("example.com", web.service());
            final FlowUsage dns = second.flows().get(1);
            assertEquals(LAPTOP, dns.device());
            assertFalse(dns.approximate());
            assertNull(dns.service());
        }
    }

    @Test
    void shouldKeepNetworksAndLabelsApartWhenMerging() throws Exception {
        final FlowUsage webPhone = new FlowUsage(Direction.UP, 4, 6, 0, Addresses.IPV4_MAPPED_PREFIX | 0x0A00_0002L,
            50_000, 0, Addresses.IPV4_MAPPED_PREFIX | 0x5DB8_D822L, 443, 2, 200, 172, PHONE, false, "example.com");
        // The same 5-tuple named another service a second later (a new DNS answer): a separate flow record.
        final FlowUsage webOther = new FlowUsage(Direction.UP, 4, 6, 0, Addresses.IPV4_MAPPED_PREFIX | 0x0A00_0002L,
            50_000, 0, Addresses.IPV4_MAPPED_PREFIX | 0x5DB8_D822L, 443, 1, 100, 86, PHONE, false, "example.org");
        final List<Batch> batches = new ArrayList<>();
        long sequence = 1;
        for (int i = 0; i < 6; i++) {
            // Seconds 0..3 roaming on 23415, 4..5 at home on 26201; one second of each carries the other service.
            final String network = i < 4 ? "23415" : "26201";
            final FlowUsage flow = i % 3 == 2 ? webOther : webPhone;
            final TrafficCounters total = new TrafficCounters();
            total.add(Direction.UP, flow.packets(), flow.wireBytes(), flow.ipBytes());
            final TrafficCounters uncaptured = new TrafficCounters();
            uncaptured.add(Direction.DOWN, 1, 1514, 1500);
            batches.add(new Batch("router-7", sequence++, List.of(new SecondUsage("wwan0", "p", T + i, total,
                new TrafficCounters(), new TrafficCounters(), new TrafficCounters(), 1, 0, List.of(flow), 1, network,
                uncaptured))));
        }
        final AtomicLong sequences = new AtomicLong(100);
        final List<Batch> merged = new ArrayList<>();
        for (final BatchMerger.Merged m : new BatchMerger("router-7", 1 << 20, sequences::getAndIncrement)
            .merge(batches, MergeLevel.MINUTE)) {
            merged.add(new org.esimmeter.wire.BatchReader(1 << 20).read(io.netty.buffer.Unpooled.wrappedBuffer(
                m.frame())));
        }
        final List<SecondUsage> records = merged.get(0).seconds();
        assertEquals(2, records.size(), "one minute record per network");
        final SecondUsage roaming = records.get(0);
        assertEquals("23415", roaming.network());
        assertEquals(60, roaming.spanSeconds());
        assertEquals(4 * 1514, roaming.uncaptured().get(Direction.DOWN, TrafficCounters.WIRE_BYTES));
        // Seconds 0, 1, 3 to example.com (3 x 200 B), second 2 to example.org (100 B).
        assertEquals(2, roaming.flows().size());
        assertEquals("example.com", roaming.flows().get(0).service());
        assertEquals(600, roaming.flows().get(0).wireBytes());
        assertEquals(PHONE, roaming.flows().get(0).device());
        assertEquals("example.org", roaming.flows().get(1).service());
        assertEquals(100, roaming.flows().get(1).wireBytes());
        final SecondUsage home = records.get(1);
        assertEquals("26201", home.network());
        assertEquals(2 * 1514, home.uncaptured().get(Direction.DOWN, TrafficCounters.WIRE_BYTES));
        // Second 4 to example.com (200 B), second 5 to example.org (100 B).
        assertEquals(List.of("example.com", "example.org"), home.flows().stream().map(FlowUsage::service).toList());
        assertEquals(300, home.total().sum(TrafficCounters.WIRE_BYTES));
    }

    @Test
    void shouldCutAddressesBeforeShippingButNameFlowsFromTheWholeOnes() throws Exception {
        receiver = IngestReceiver.start();
        // The service is known for 93.184.216.34 only: a label from a cut address would find none.
        final FlowLabels byWholeAddress = (second, index, into) -> {
            if (second.flows().dstLo(index) == (Addresses.IPV4_MAPPED_PREFIX | 0x5DB8_D822L)) {
                into.service = "example.com";
            }
        };
        sink = new CollectorSink(CollectorSink.Settings.of(receiver.url(), "router-7", IngestReceiver.TOKEN, 1 << 20,
            64 << 20).withTimes(50, 20, 200), 1).labelFlowsWith(byWholeAddress)
            .truncateAddresses(new org.esimmeter.agent.privacy.AddressTruncation(24, 48));
        sink.onSecond(Second.of(T, "23415"));
        assertTrue(sink.awaitDelivered(10, TimeUnit.SECONDS));
        final List<FlowUsage> flows = receiver.accepted().get(0).seconds().get(0).flows();
        assertEquals(List.of("10.0.0.0 -> 93.184.216.0 example.com", "10.0.0.0 -> 8.8.8.0 null"),
            flows.stream().map(f -> f.src() + " -> " + f.dst() + " " + f.service()).toList());
        assertEquals(300, flows.stream().mapToLong(FlowUsage::wireBytes).sum());
    }
}
