package org.esimmeter.bench.collector;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * Load generator of scripts/bench-collector.sh (read that script first; it starts and stops the collector).
 * Speaks the collector's public interface only: wire frames over loopback HTTP, queries, the live stream.
 * Each measurement is one tab-separated line on stdout (the script tabulates them); progress goes to stderr.
 * <pre>
 * config FILE DATA_DIRECTORY AGENTS [WORKER_THREADS]
 * ingest url=URL agents=50 flows=100 batchSeconds=10 first=EPOCH_SECOND warmup=3 measure=15
 * populate url=URL agents=50 flows=5 batchSeconds=3600 first=EPOCH_SECOND span=SECONDS
 * query url=URL to=EPOCH_SECOND agents=50 warmup=100 requests=1000
 * live url=URL viewers=1000 agents=50 ticks=30
 * </pre>
 */
public final class CollectorBench {
    private CollectorBench() {
    }

    public static void main(final String[] args) throws Exception {
        if (args.length == 0) {
            usage();
        }
        switch (args[0]) {
            case "config":
                if (args.length != 4 && args.length != 5) {
                    usage();
                }
                Fleet.writeConfig(Path.of(args[1]), Path.of(args[2]), Integer.parseInt(args[3]),
                    args.length == 5 ? Integer.parseInt(args[4]) : 0);
                break;
            case "ingest":
                ingest(options(args));
                break;
            case "populate":
                populate(options(args));
                break;
            case "query":
                query(options(args));
                break;
            case "live":
                live(options(args));
                break;
            default:
                usage();
        }
        // HttpClient's threads (and the live streams) would keep the JVM up.
        System.exit(0);
    }

    private static void ingest(final Options options) throws Exception {
        final int batchSeconds = options.integer("batchSeconds", 10);
        final int flows = options.integer("flows", 100);
        final int agents = options.integer("agents", 50);
        final IngestLoad.Result result = IngestLoad.timed(options.url(), agents, flows, batchSeconds,
            options.longValue("first"), options.integer("warmup", 3), options.integer("measure", 15));
        final Histogram latency = result.latencyUs();
        System.err.printf("ingest: %d agents x %d flows/s, %d s per batch: %,d flow-second records in %.0f s = " +
            "%,.0f records/s; batch latency p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d batches)%n", agents, flows,
            batchSeconds, result.records(), result.elapsedSeconds(), result.recordsPerSecond(),
            ms(latency.getValueAtPercentile(50)), ms(latency.getValueAtPercentile(99)), ms(latency.getMaxValue()),
            latency.getTotalCount());
        System.out.printf("ingest\t%d\t%d\t%d\t%d\t%.3f\t%.0f\t%d\t%d\t%d\t%d%n", agents, flows, batchSeconds,
            result.records(), result.elapsedSeconds(), result.recordsPerSecond(), latency.getValueAtPercentile(50),
            latency.getValueAtPercentile(99), latency.getMaxValue(), latency.getTotalCount());
    }

    private static void populate(final Options options) throws Exception {
        final int agents = options.integer("agents", 50);
        final int flows = options.integer("flows", 5);
        final long span = options.longValue("span");
        final IngestLoad.Result result = IngestLoad.span(options.url(), agents, flows,
            options.integer("batchSeconds", 3600), options.longValue("first"), span);
        System.err.printf("populate: %d agents x %d s (%d flows/s): %,d interface-seconds, %,d flow-second " +
            "records in %.1f s (%,.0f records/s, %,.0f interface-seconds/s)%n", agents, span, flows,
            result.interfaceSeconds(), result.records(), result.elapsedSeconds(), result.recordsPerSecond(),
            result.interfaceSeconds() / result.elapsedSeconds());
        System.out.printf("populate\t%d\t%d\t%d\t%d\t%d\t%.1f%n", agents, span, flows, result.interfaceSeconds(),
            result.records(), result.elapsedSeconds());
    }

    private static void query(final Options options) throws Exception {
        final int warmup = options.integer("warmup", 100);
        final int requests = options.integer("requests", 1000);
        for (final QueryLoad.Shape shape : QueryLoad.shapes(options.longValue("to"), options.integer("agents", 50))) {
            final QueryLoad.Result result = QueryLoad.run(options.url(), shape, warmup, requests);
            final Histogram latency = result.latencyUs();
            System.err.printf("query %s: p50 %.2f ms, p99 %.2f ms, max %.2f ms (%d requests, %d-byte answers) %s%n",
                result.name(), ms(latency.getValueAtPercentile(50)), ms(latency.getValueAtPercentile(99)),
                ms(latency.getMaxValue()), latency.getTotalCount(), result.bytes(), result.example());
            System.out.printf("query\t%s\t%s\t%d\t%d\t%d\t%d\t%d%n", result.name(), result.example(), result.bytes(),
                latency.getValueAtPercentile(50), latency.getValueAtPercentile(99), latency.getMaxValue(),
                latency.getTotalCount());
        }
    }

    private static void live(final Options options) throws Exception {
        final LiveLoad.Result r = LiveLoad.run(options.url(), options.integer("viewers", 1000),
            options.integer("agents", 50), options.integer("ticks", 30));
        System.err.printf("live: %d viewers (%d connected, %d ended early); %,d of %,d events received (%,d before " +
            "the ingest answer); from send p50 %.1f ms p99 %.1f ms max %.1f ms; from ack p50 %.1f ms p99 %.1f ms " +
            "max %.1f ms; %.1f s%n", r.viewers(), r.connected(), r.endedEarly(), r.received(), r.expected(),
            r.beforeAck(), ms(r.fromSentUs().getValueAtPercentile(50)), ms(r.fromSentUs().getValueAtPercentile(99)),
            ms(r.fromSentUs().getMaxValue()), ms(r.fromAckUs().getValueAtPercentile(50)),
            ms(r.fromAckUs().getValueAtPercentile(99)), ms(r.fromAckUs().getMaxValue()), r.elapsedSeconds());
        System.out.printf("live\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.1f%n", r.viewers(), r.connected(),
            r.endedEarly(), r.expected(), r.received(), r.beforeAck(), r.fromSentUs().getValueAtPercentile(50),
            r.fromSentUs().getValueAtPercentile(99), r.fromSentUs().getMaxValue(),
            r.fromAckUs().getValueAtPercentile(50), r.fromAckUs().getValueAtPercentile(99),
            r.fromAckUs().getMaxValue(), r.elapsedSeconds());
    }

    private static double ms(final long microseconds) {
        return microseconds / 1000.0;
    }

    private static Options options(final String[] args) {
        final Map<String, String> values = new HashMap<>();
        for (int i = 1; i < args.length; i++) {
            final int equals = args[i].indexOf('=');
            if (equals <= 0) {
                usage();
            }
            values.put(args[i].substring(0, equals), args[i].substring(equals + 1));
        }
        return new Options(values);
    }

    private record Options(Map<String, String> values) {
        String url() {
            return required("url");
        }

        int integer(final String name, final int fallback) {
            final String value = values.get(name);
            return value == null ? fallback : Integer.parseInt(value);
        }

        long longValue(final String name) {
            return Long.parseLong(required(name));
        }

        private String required(final String name) {
            final String value = values.get(name);
            if (value == null) {
                System.err.println("CollectorBench: " + name + "=... is required");
                System.exit(2);
            }
            return value;
        }
    }

    private static void usage() {
        System.err.println("usage: CollectorBench config FILE DATA_DIRECTORY AGENTS [WORKER_THREADS] | " +
            "ingest|populate|query|live " +
            "url=URL KEY=VALUE... (see the class comment)");
        System.exit(2);
    }
}
