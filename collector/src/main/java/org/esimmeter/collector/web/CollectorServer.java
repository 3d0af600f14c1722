package org.esimmeter.collector.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.esimmeter.collector.config.CollectorConfig;
import org.esimmeter.collector.ingest.IngestService;
import org.esimmeter.collector.ingest.LiveFanout;
import org.esimmeter.collector.ingest.Tokens;
import org.esimmeter.collector.plan.ProfileService;
import org.esimmeter.collector.plan.alert.AlertService;
import org.esimmeter.collector.query.QueryService;
import org.esimmeter.collector.store.UsageStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The collector's one HTTP port (netty): ingest, queries, the live stream, health and metrics. Event loops do
 * HTTP only; store calls run on {@code workerThreads} workers. {@link #close()} stops in order: stop accepting,
 * answer new requests with 503, end live streams, let in-flight requests finish (their ingests are durable
 * before they are acknowledged), then close connections and threads. The store belongs to the caller.
 */
public final class CollectorServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CollectorServer.class);
    /** Longest a stop waits for in-flight requests; an ingest cut short is not acknowledged, so the agent resends. */
    private static final long DRAIN_SECONDS = 30;

    private final EventLoopGroup acceptor;
    private final EventLoopGroup loops;
    private final ThreadPoolExecutor workers;
    private final ScheduledExecutorService heartbeats;
    private final ChannelGroup connections = new DefaultChannelGroup("connections", GlobalEventExecutor.INSTANCE);
    private final LiveFanout live;
    private final Channel serverChannel;
    private volatile boolean stopping;

    private CollectorServer(final CollectorConfig config, final UsageStore store,
        final PrometheusMeterRegistry registry, final LongSupplier nowSecond, final AlertService alerts)
        throws IOException {
        final ObjectMapper json = new ObjectMapper();
        final HttpErrors errors = new HttpErrors(json, registry);
        final Tokens tokens = new Tokens(config.agentTokens(), config.readToken());
        live = new LiveFanout(json, config.live().maxViewers(), registry);
        final IngestService ingest = new IngestService(store, tokens, live, config.maxBatchBytes(), registry,
            nowSecond);
        final QueryService query = new QueryService(store, registry);
        final ProfileService profiles = new ProfileService(config.profiles(), store, registry);
        // Bounded: with reading paused per connection while its request runs, the queue holds at most one task
        // per connection; beyond this many waiting, clients get 503 and retry rather than pile up.
        workers = new ThreadPoolExecutor(config.workerThreads(), config.workerThreads(), 60, TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(4096), new DefaultThreadFactory("collector-worker"));
        acceptor = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("collector-accept"),
            NioIoHandler.newFactory());
        loops = new MultiThreadIoEventLoopGroup(0, new DefaultThreadFactory("collector-http"),
            NioIoHandler.newFactory());
        final ApiHandler api = new ApiHandler(json, tokens, ingest, query, profiles, alerts, live, registry, errors,
            workers, () -> stopping, nowSecond, openapi(), config.live().maxViewers(), config.live().viewerBufferBytes());
        final int maxBatchBytes = config.maxBatchBytes();
        final ServerBootstrap bootstrap = new ServerBootstrap()
            .group(acceptor, loops)
            .channel(NioServerSocketChannel.class)
            .option(ChannelOption.SO_BACKLOG, 1024)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(new ChannelInitializer<SocketChannel>() {
                @Override
                protected void initChannel(final SocketChannel channel) {
                    connections.add(channel);
                    channel.pipeline()
                        .addLast("http", new HttpServerCodec())
                        .addLast("ingest-gate", new IngestGate(tokens, errors))
                        .addLast("aggregate", new BoundedAggregator(maxBatchBytes, errors))
                        .addLast("one-at-a-time", new FlowControlHandler())
                        .addLast("api", api);
                }
            });
        final ChannelFuture bound = bootstrap.bind(config.listen().address(), config.listen().port())
            .awaitUninterruptibly();
        if (!bound.isSuccess()) {
            shutdownThreads();
            final Throwable cause = bound.cause();
            throw cause instanceof IOException ? (IOException) cause :
                new IOException(cause.getMessage() == null ? cause.toString() : cause.getMessage(), cause);
        }
        serverChannel = bound.channel();
        heartbeats = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
            new DefaultThreadFactory("collector-heartbeat", true));
        final int heartbeatSeconds = config.live().heartbeatSeconds();
        heartbeats.scheduleAtFixedRate(live::heartbeat, heartbeatSeconds, heartbeatSeconds, TimeUnit.SECONDS);
    }

    /**
     * Binds and starts serving; a bind failure (address in use, not local) is an IOException. {@code alerts} answers
     * {@code /v1/alerts}; it belongs to the caller, like the store.
     */
    public static CollectorServer start(final CollectorConfig config, final UsageStore store,
        final PrometheusMeterRegistry registry, final AlertService alerts) throws IOException {
        return start(config, store, registry, () -> System.currentTimeMillis() / 1000, alerts);
    }

    /** As {@link #start(CollectorConfig, UsageStore, PrometheusMeterRegistry, AlertService)} with a clock for query
     * defaults and billing cycles. */
    public static CollectorServer start(final CollectorConfig config, final UsageStore store,
        final PrometheusMeterRegistry registry, final LongSupplier nowSecond, final AlertService alerts)
        throws IOException {
        final CollectorServer server = new CollectorServer(config, store, registry, nowSecond, alerts);
        LOG.info("listening on {}", server.url());
        return server;
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /** {@code http://ADDRESS:PORT}, IPv6 in brackets. */
    public String url() {
        final InetSocketAddress address = address();
        final String host = address.getAddress().getHostAddress();
        return "http://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    @Override
    public void close() {
        if (stopping) {
            return;
        }
        stopping = true;
        serverChannel.close().syncUninterruptibly();
        heartbeats.shutdownNow();
        live.close();
        workers.shutdown();
        try {
            if (!workers.awaitTermination(DRAIN_SECONDS, TimeUnit.SECONDS)) {
                LOG.warn("{} requests still running after {} s; stopping without them", workers.getActiveCount(),
                    DRAIN_SECONDS);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        connections.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        shutdownThreads();
        LOG.info("stopped");
    }

    private void shutdownThreads() {
        workers.shutdownNow();
        acceptor.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static byte[] openapi() {
        try (InputStream in = CollectorServer.class.getResourceAsStream("/openapi.json")) {
            if (in == null) {
                throw new IllegalStateException("openapi.json is missing from the collector's resources");
            }
            return in.readAllBytes();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
