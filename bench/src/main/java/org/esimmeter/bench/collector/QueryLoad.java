package org.esimmeter.bench.collector;

import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import org.HdrHistogram.Histogram;

/**
 * Query latency as a client sees it: one client, one keep-alive connection, requests one after the other (so each
 * measures the collector, not a queue), {@code warmup} unrecorded requests then {@code requests} recorded ones per
 * shape. Every answer must be 200 and non-empty.
 */
final class QueryLoad {
    static final long DAY = 86_400;

    /** A named query; {@code path} gives the i-th request (so filters can rotate). */
    record Shape(String name, IntFunction<String> path) {
    }

    record Result(String name, String example, int bytes, Histogram latencyUs) {
    }

    private QueryLoad() {
    }

    /** The shapes of README's table, over a data set ending (exclusive) at {@code toSecond} for {@code agents}. */
    static List<Shape> shapes(final long toSecond, final int agents) {
        final long from30d = toSecond - 30 * DAY;
        final String range = "from=" + from30d + "&to=" + toSecond;
        final List<Shape> shapes = new ArrayList<>();
        shapes.add(new Shape("usage, 30 days, step 1d, by profile, one profile",
            i -> "/v1/usage?" + range + "&step=1d&by=profile&profile=" + Fleet.profile(i)));
        shapes.add(new Shape("totals, 30 days, by profile",
            i -> "/v1/totals?" + range + "&by=profile"));
        shapes.add(new Shape("totals, 30 days, by interface, one agent",
            i -> "/v1/totals?" + range + "&by=interface&agent=" + Fleet.agent(i % agents)));
        shapes.add(new Shape("top 10 dst, 30 days, one profile",
            i -> "/v1/top?" + range + "&by=dst&limit=10&profile=" + Fleet.profile(i)));
        shapes.add(new Shape("usage, last hour, step 1s, one agent",
            i -> "/v1/usage?from=" + (toSecond - 3600) + "&to=" + toSecond + "&step=1s&by=agent&agent=" +
                Fleet.agent(i % agents)));
        return shapes;
    }

    static Result run(final String baseUrl, final Shape shape, final int warmup, final int requests)
        throws Exception {
        final HttpClient client = Http.client();
        final Histogram latencyUs = new Histogram(3);
        int bytes = 0;
        for (int i = 0; i < warmup + requests; i++) {
            final String url = baseUrl + shape.path().apply(i);
            final long startNs = System.nanoTime();
            final String body = Http.get(client, url);
            final long elapsedUs = (System.nanoTime() - startNs) / 1000;
            if (body.length() < 3) {
                throw new IllegalStateException("GET " + url + " answered an empty body: " + body);
            }
            if (i >= warmup) {
                latencyUs.recordValue(elapsedUs);
            }
            bytes = body.length();
        }
        return new Result(shape.name(), shape.path().apply(0), bytes, latencyUs);
    }
}
