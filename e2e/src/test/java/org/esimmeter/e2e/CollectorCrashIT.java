package org.esimmeter.e2e;

import static org.esimmeter.e2e.Api.params;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kill -9 of the collector's process while agents are sending, then a restart on the same data directory:
 * every acknowledged batch is there exactly once, every other batch is there entirely or not at all, and sending
 * everything again is answered "duplicate" for exactly the stored batches and completes the set, each once.
 * <p>
 * Four sender threads, one agent each, POST batches back to back ({@link CrashBatch}: four interface-seconds and
 * four flows of their own per batch); the kill lands while requests are in flight.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CollectorCrashIT {
    private static final int SENDERS = 4;
    /** Acknowledged batches (all senders) before the kill: enough that the kill falls among busy ingest. */
    private static final int ACKNOWLEDGED_BEFORE_KILL = 300;
    private static final Duration SENDING_TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path directory;

    @Test
    void everyAcknowledgedBatchSurvivesSigkillOnceAndNoBatchIsHalfThere() throws Exception {
        final CollectorProcess.Config config = new CollectorProcess.Config(directory.resolve("data"));
        final List<Sender> senders = new ArrayList<>();
        for (int k = 0; k < SENDERS; k++) {
            final String agent = "crash-" + k;
            senders.add(new Sender(agent, k, config.agent(agent)));
        }
        final Path configFile = config.write(directory.resolve("collector.yaml"));

        final CollectorProcess first = CollectorProcess.start(configFile);
        final List<Thread> threads = new ArrayList<>();
        try {
            final Api api = new Api(first.url(), config.readToken());
            for (final Sender sender : senders) {
                sender.api = api;
                final Thread thread = new Thread(sender, "sender-" + sender.agent);
                threads.add(thread);
                thread.start();
            }
            awaitAcknowledged(senders, first);
            first.kill();
        } finally {
            first.close();
            senders.forEach(sender -> sender.stop = true);
            for (final Thread thread : threads) {
                thread.join(TimeUnit.SECONDS.toMillis(60));
                assertTrue(!thread.isAlive(), thread.getName() + " still sending 60 s after the kill");
            }
        }
        for (final Sender sender : senders) {
            assertNull(sender.unexpected, () -> sender.agent + " : " + sender.unexpected);
            assertTrue(sender.ended instanceof IOException, () -> sender.agent + " stopped for another reason than " +
                "the collector's death: " + sender.ended);
        }

        try (CollectorProcess second = CollectorProcess.start(configFile)) {
            final Api api = new Api(second.url(), config.readToken());
            final Map<String, Set<Long>> present = new TreeMap<>();
            for (final Sender sender : senders) {
                present.put(sender.agent, assertStoredOnceAndWhole(api, sender));
            }
            for (final Sender sender : senders) {
                // For the report: how the kill fell.
                System.out.printf("%s: %d sent, %d acknowledged, %d there after the restart%n", sender.agent,
                    sender.sent.size(), sender.acknowledged.size(), present.get(sender.agent).size());
            }
            // The kill left something to decide: batches in flight (sent, not acknowledged) exist.
            assertTrue(senders.stream().anyMatch(sender -> sender.sent.size() > sender.acknowledged.size()),
                "every sent batch was acknowledged: the kill hit no request in flight");

            // Everything again, acknowledged or not: stored batches are duplicates, the others are stored now.
            for (final Sender sender : senders) {
                for (final CrashBatch batch : sender.sent) {
                    final HttpResponse<String> response = api.ingest(batch.frame(), sender.token);
                    assertEquals(200, response.statusCode(), () -> batch + " : " + response.body());
                    final String outcome = Api.JSON.readTree(response.body()).get("outcome").asText();
                    assertEquals(present.get(sender.agent).contains(batch.n) ? "duplicate" : "stored", outcome,
                        batch::toString);
                }
                sender.acknowledged.addAll(sender.sent.stream().map(batch -> batch.n).collect(Collectors.toSet()));
                final Set<Long> all = assertStoredOnceAndWhole(api, sender);
                assertEquals(sender.sent.size(), all.size(), sender.agent);
            }
            assertEquals(0, second.stop(), second::log);
        }
    }

    private static void awaitAcknowledged(final List<Sender> senders, final CollectorProcess collector) {
        final long deadlineNs = System.nanoTime() + SENDING_TIMEOUT.toNanos();
        while (senders.stream().mapToInt(sender -> sender.acknowledged.size()).sum() < ACKNOWLEDGED_BEFORE_KILL) {
            for (final Sender sender : senders) {
                if (sender.ended != null || sender.unexpected != null) {
                    fail(sender.agent + " stopped before the kill: " + sender.ended + " / " + sender.unexpected +
                        "; collector log:\n" + collector.log());
                }
            }
            if (System.nanoTime() - deadlineNs > 0) {
                fail("fewer than " + ACKNOWLEDGED_BEFORE_KILL + " batches acknowledged within " + SENDING_TIMEOUT);
            }
            try {
                Thread.sleep(10);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    /**
     * Reads the agent's per-second series and flows and accounts for them batch by batch: each batch is either all
     * there with exactly its values (so not twice either) or not there at all, every acknowledged batch is there,
     * and nothing is there that no batch carried. Totals and coarser series agree. Returns the batches there.
     */
    private static Set<Long> assertStoredOnceAndWhole(final Api api, final Sender sender) {
        final long lastSequence = sender.sent.get(sender.sent.size() - 1).n;
        final long from = CrashBatch.BASE;
        final long to = CrashBatch.BASE + CrashBatch.SECONDS * (lastSequence + 1);
        final Map<String, String> series = new TreeMap<>();
        api.get("/v1/usage", params("from", from, "to", to, "step", "1s", "by", "interface", "agent", sender.agent))
            .get("points").forEach(point -> {
                final Map.Entry<String, String> entry = CrashBatch.seriesEntry(point);
                assertNull(series.put(entry.getKey(), entry.getValue()), entry::getKey);
            });
        final Map<String, long[]> flows = new TreeMap<>();
        api.get("/v1/totals", params("from", from, "to", to, "by", "flow", "agent", sender.agent)).get("groups")
            .forEach(flow -> assertNull(flows.put(Usage.flowKey(flow) + " " + flow.get("direction").asText(),
                Usage.sums(flow.get("total"))), flow::toString));

        final Set<Long> present = new TreeSet<>();
        final long[] expectedTotal = new long[3];
        for (final CrashBatch batch : sender.sent) {
            int found = 0;
            for (final Map.Entry<String, String> expected : batch.series().entrySet()) {
                final String actual = series.remove(expected.getKey());
                if (actual != null) {
                    assertEquals(expected.getValue(), actual, batch + " " + expected.getKey());
                    found++;
                }
            }
            for (final Map.Entry<String, long[]> expected : batch.flows().entrySet()) {
                final long[] actual = flows.remove(expected.getKey());
                if (actual != null) {
                    assertArrayEquals(expected.getValue(), actual, batch + " " + expected.getKey());
                    found++;
                }
            }
            final int whole = CrashBatch.SECONDS + 1 + 4;
            final int seen = found;
            assertTrue(seen == 0 || seen == whole, () -> batch + " is half there: " + seen + " of its " + whole +
                " interface-seconds and flows");
            if (sender.acknowledged.contains(batch.n)) {
                assertEquals(whole, seen, batch + " was acknowledged, yet it is not there");
            }
            if (seen == whole) {
                present.add(batch.n);
                batch.flows().values().forEach(sums -> Usage.add(expectedTotal, sums));
                Usage.add(expectedTotal, new long[] {1, 60, 0}); // the non-IP frame
            }
        }
        assertEquals(Map.of(), series, "interface-seconds no batch carried");
        assertEquals("", Usage.text(flows), "flows no batch carried");

        // Totals, and the series at coarser steps, say the same.
        final JsonNode byAgent = api.get("/v1/totals", params("from", from, "to", to, "by", "agent", "agent",
            sender.agent)).get("groups");
        assertEquals(1, byAgent.size(), byAgent::toString);
        assertArrayEquals(expectedTotal, Usage.sums(byAgent.get(0).get("total")), sender.agent);
        for (final String step : List.of("1m", "1h", "1d")) {
            final long[] sum = new long[3];
            api.get("/v1/usage", params("from", from, "to", to, "step", step, "by", "agent", "agent", sender.agent))
                .get("points").forEach(point -> Usage.add(sum, Usage.sums(point.get("total"))));
            assertArrayEquals(expectedTotal, sum, sender.agent + " step " + step);
        }
        final List<Long> lastSequences = new ArrayList<>();
        api.get("/v1/agents", Map.of()).get("agents").forEach(agent -> {
            if (sender.agent.equals(agent.get("agent").asText())) {
                lastSequences.add(agent.get("lastSequence").asLong());
            }
        });
        assertEquals(List.of(((TreeSet<Long>) present).last()), lastSequences, sender.agent);
        return present;
    }

    /** One agent sending its batches in sequence until the collector stops answering. */
    private static final class Sender implements Runnable {
        final String agent;
        final int k;
        final String token;
        final List<CrashBatch> sent = new CopyOnWriteArrayList<>();
        final Set<Long> acknowledged = ConcurrentHashMap.newKeySet();
        volatile Api api;
        volatile boolean stop;
        /** Why sending ended: the IOException of the killed collector, or anything else. */
        volatile Throwable ended;
        /** An answer no healthy collector gives to a valid new batch. */
        volatile String unexpected;

        Sender(final String agent, final int k, final String token) {
            this.agent = agent;
            this.k = k;
            this.token = token;
        }

        @Override
        public void run() {
            try {
                for (long n = 1; n <= CrashBatch.MAX_SEQUENCE && !stop; n++) {
                    final CrashBatch batch = new CrashBatch(agent, k, n);
                    sent.add(batch);
                    final HttpResponse<String> response = api.ingest(batch.frame(), token);
                    if (response.statusCode() != 200 || !response.body().contains("\"outcome\":\"stored\"")) {
                        unexpected = batch + " : HTTP " + response.statusCode() + " " + response.body();
                        return;
                    }
                    acknowledged.add(n);
                }
                ended = new IllegalStateException("sent every sequence without the collector being killed");
            } catch (final IOException | RuntimeException e) {
                ended = e;
            }
        }
    }
}
