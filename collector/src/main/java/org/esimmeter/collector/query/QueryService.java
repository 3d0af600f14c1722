package org.esimmeter.collector.query;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.esimmeter.collector.ingest.StoreTimers;
import org.esimmeter.collector.store.GroupBy;
import org.esimmeter.collector.store.StoreException;
import org.esimmeter.collector.store.UsageStore;

/**
 * The read side without the HTTP: parameters in, JSON trees out. Blocking (the store is), so it runs on a worker
 * thread, never on an event loop.
 */
public final class QueryService {
    private final UsageStore store;
    private final Timer usageTimer;
    private final Timer totalsTimer;
    private final Timer topTimer;
    private final Timer agentsTimer;

    public QueryService(final UsageStore store, final MeterRegistry registry) {
        this.store = store;
        usageTimer = StoreTimers.timer(registry, "usage");
        totalsTimer = StoreTimers.timer(registry, "totals");
        topTimer = StoreTimers.timer(registry, "top");
        agentsTimer = StoreTimers.timer(registry, "agents");
    }

    public ObjectNode usage(final Map<String, List<String>> parameters, final long nowSecond)
        throws BadParameterException, StoreException {
        final QueryParameters.Parsed parsed = QueryParameters.range(parameters, nowSecond, GroupBy.INTERFACE);
        final long startNanos = System.nanoTime();
        try {
            final ObjectNode answer = UsageJson.usage(parsed.query(), store.usage(parsed.query()));
            Notices.add(answer, store, parsed.query(), parsed.query().step().seconds());
            return answer;
        } finally {
            usageTimer.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
        }
    }

    public ObjectNode totals(final Map<String, List<String>> parameters, final long nowSecond)
        throws BadParameterException, StoreException {
        final QueryParameters.Parsed parsed = QueryParameters.range(parameters, nowSecond, GroupBy.INTERFACE);
        final long startNanos = System.nanoTime();
        try {
            final ObjectNode answer = UsageJson.groups(parsed.query(), store.totals(parsed.query()), null);
            Notices.add(answer, store, parsed.query(), Long.MAX_VALUE);
            return answer;
        } finally {
            totalsTimer.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
        }
    }

    public ObjectNode top(final Map<String, List<String>> parameters, final long nowSecond)
        throws BadParameterException, StoreException {
        final QueryParameters.Parsed parsed = QueryParameters.top(parameters, nowSecond);
        final long startNanos = System.nanoTime();
        try {
            final ObjectNode answer = UsageJson.groups(parsed.query(), store.top(parsed.query(), parsed.limit()),
                parsed.limit());
            Notices.add(answer, store, parsed.query(), Long.MAX_VALUE);
            return answer;
        } finally {
            topTimer.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
        }
    }

    public ObjectNode agents(final Map<String, List<String>> parameters) throws BadParameterException,
        StoreException {
        rejectAny(parameters);
        final long startNanos = System.nanoTime();
        try {
            return UsageJson.agents(store.agents());
        } finally {
            agentsTimer.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
        }
    }

    /** Throws unless the store answers a question; what {@code /healthz} reports. */
    public void checkStore() throws StoreException {
        store.agents();
    }

    /** For resources that take no parameters: any is a {@link BadParameterException}. */
    public static void rejectParameters(final Map<String, List<String>> parameters) throws BadParameterException {
        rejectAny(parameters);
    }

    static void rejectAny(final Map<String, List<String>> parameters) throws BadParameterException {
        for (final String name : parameters.keySet()) {
            throw new BadParameterException(name, name + " : unknown parameter (expected: none)");
        }
    }
}
