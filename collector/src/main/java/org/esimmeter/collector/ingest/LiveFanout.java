package org.esimmeter.collector.ingest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.esimmeter.collector.query.Times;
import org.esimmeter.collector.query.UsageJson;
import org.esimmeter.wire.Batch;
import org.esimmeter.wire.SecondUsage;

/**
 * The one fan-out behind {@code GET /v1/live}: each stored interface-second is serialized once, as one Server-Sent
 * Event, and the same bytes (a retained duplicate per viewer) are written to every viewer whose filter matches.
 * Publishing never waits for a viewer: a viewer whose outbound buffer is still over its high-water mark when the
 * next batch arrives has fallen behind by more than it could catch up with, so it is disconnected (and counted)
 * rather than buffered without bound; its EventSource reconnects and starts from now. What one viewer can hold
 * is thus bounded by the mark plus one batch.
 * <p>
 * Thread-safe: ingest workers publish concurrently; viewers join on their event loop and leave when their channel
 * closes.
 */
public final class LiveFanout implements AutoCloseable {
    private static final byte[] EVENT_PREFIX = "event: second\ndata: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EVENT_SUFFIX = "\n\n".getBytes(StandardCharsets.US_ASCII);
    // SSE comment lines: ignored by EventSource, but they keep proxies from timing out a quiet stream.
    private static final ByteBuf HEARTBEAT = Unpooled.unreleasableBuffer(
        Unpooled.copiedBuffer(": heartbeat\n\n", StandardCharsets.US_ASCII).asReadOnly());

    private final List<Viewer> viewers = new CopyOnWriteArrayList<>();
    private final ObjectMapper json;
    private final int maxViewers;
    private final Counter dropped;
    private final Counter events;

    public LiveFanout(final ObjectMapper json, final int maxViewers, final MeterRegistry registry) {
        this.json = json;
        this.maxViewers = maxViewers;
        Gauge.builder("esim.live.viewers", viewers, List::size)
            .description("Clients connected to /v1/live")
            .register(registry);
        dropped = Counter.builder("esim.live.viewers.dropped")
            .description("Live viewers disconnected because their outbound buffer was full (too slow)")
            .register(registry);
        events = Counter.builder("esim.live.events")
            .description("Interface-seconds serialized for the live stream (once each, whatever the viewers)")
            .register(registry);
    }

    /** Who watches, and what: null filters match everything. */
    public record Filter(String agent, String interfaceName, String profile, String network) {
        public boolean matches(final SecondUsage second, final String agentId) {
            return (agent == null || agent.equals(agentId)) &&
                (interfaceName == null || interfaceName.equals(second.interfaceName())) &&
                (profile == null || profile.equals(second.profile())) &&
                (network == null || network.equals(second.network()));
        }
    }

    private record Viewer(Channel channel, Filter filter) {
    }

    /**
     * Adds a viewer whose response headers are already written; it leaves when its channel closes.
     * @return false when {@code live.maxViewers} are already watching
     */
    public boolean join(final Channel channel, final Filter filter) {
        if (viewers.size() >= maxViewers) {
            return false;
        }
        final Viewer viewer = new Viewer(channel, filter);
        viewers.add(viewer);
        channel.closeFuture().addListener(future -> viewers.remove(viewer));
        return true;
    }

    public int viewers() {
        return viewers.size();
    }

    /** Sends every second of a just-stored batch to the viewers that want it. */
    public void publish(final Batch batch) {
        if (viewers.isEmpty()) {
            return;
        }
        final List<SecondUsage> seconds = batch.seconds();
        final List<ByteBuf> serialized = new ArrayList<>(seconds.size());
        try {
            for (final SecondUsage second : seconds) {
                serialized.add(serialize(batch.agentId(), second));
                events.increment();
            }
            for (final Viewer viewer : viewers) {
                send(viewer, batch.agentId(), seconds, serialized);
            }
        } finally {
            serialized.forEach(ByteBuf::release);
        }
    }

    /** Writes a comment line to every viewer. */
    public void heartbeat() {
        for (final Viewer viewer : viewers) {
            final Channel channel = viewer.channel();
            if (channel.isWritable()) {
                channel.writeAndFlush(HEARTBEAT.duplicate());
            } else {
                drop(viewer);
            }
        }
    }

    /** Ends every stream (the collector is stopping). */
    @Override
    public void close() {
        for (final Viewer viewer : viewers) {
            viewer.channel().close();
        }
    }

    private void send(final Viewer viewer, final String agentId, final List<SecondUsage> seconds,
        final List<ByteBuf> serialized) {
        final Channel channel = viewer.channel();
        boolean wrote = false;
        for (int i = 0; i < seconds.size(); i++) {
            if (!viewer.filter().matches(seconds.get(i), agentId)) {
                continue;
            }
            // Judged once per batch, before writing it: still over the high-water mark means the earlier batches
            // have not drained. A fast viewer never is, however many seconds one batch carries.
            if (!wrote && !channel.isWritable()) {
                drop(viewer);
                return;
            }
            channel.write(serialized.get(i).retainedDuplicate());
            wrote = true;
        }
        if (wrote) {
            channel.flush();
        }
    }

    private void drop(final Viewer viewer) {
        if (viewers.remove(viewer)) {
            dropped.increment();
            viewer.channel().close();
        }
    }

    private ByteBuf serialize(final String agentId, final SecondUsage second) {
        final ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("agent", agentId);
        node.put("interface", second.interfaceName());
        node.put("profile", second.profile());
        if (second.network().isEmpty()) {
            node.putNull("network");
        } else {
            node.put("network", second.network());
        }
        node.put("t", second.epochSecond());
        node.put("time", Times.iso(second.epochSecond()));
        if (second.isMerged()) {
            node.put("spanSeconds", second.spanSeconds()); // a merged record: its usage covers [t, t + span)
        }
        UsageJson.counters(node, second.total());
        if (!second.uncaptured().isEmpty()) {
            // What the kernel counted that no capture saw (flow offload): outside the totals above, billed.
            UsageJson.counters(node.putObject("uncaptured"), second.uncaptured());
        }
        node.put("flows", second.flows().size());
        node.put("pcapDropped", second.pcapDropped());
        final byte[] data;
        try {
            data = json.writeValueAsBytes(node);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        final ByteBuf buffer = ByteBufAllocator.DEFAULT.buffer(EVENT_PREFIX.length + data.length + EVENT_SUFFIX.length);
        buffer.writeBytes(EVENT_PREFIX).writeBytes(data).writeBytes(EVENT_SUFFIX);
        return buffer;
    }
}
