package org.esimmeter.collector.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.AttributeKey;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.esimmeter.collector.ingest.IngestService;
import org.esimmeter.collector.ingest.LiveFanout;
import org.esimmeter.collector.ingest.Tokens;
import org.esimmeter.collector.plan.ProfileService;
import org.esimmeter.collector.plan.alert.AlertService;
import org.esimmeter.collector.query.QueryParameters;
import org.esimmeter.collector.query.QueryService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes complete requests. Runs on the event loop and does there only what cannot block: routing, token checks,
 * the OpenAPI document and starting a live stream. Everything that touches the store (ingest, queries, health)
 * and the metrics scrape goes to the worker pool; the channel stops reading until that answer is written, so
 * answers on a keep-alive connection stay in request order and a client cannot queue unbounded work.
 */
@ChannelHandler.Sharable
final class ApiHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger LOG = LoggerFactory.getLogger(ApiHandler.class);
    private static final AttributeKey<Boolean> STREAMING = AttributeKey.valueOf("esim.live");
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    private static final byte[] LIVE_OPENING = ": esim-meter live stream\n\n".getBytes(StandardCharsets.US_ASCII);

    private final ObjectMapper json;
    private final Tokens tokens;
    private final IngestService ingest;
    private final QueryService query;
    private final ProfileService profiles;
    private final AlertService alerts;
    private final LiveFanout live;
    private final PrometheusMeterRegistry registry;
    private final HttpErrors errors;
    private final ExecutorService workers;
    private final BooleanSupplier stopping;
    private final LongSupplier nowSecond;
    private final byte[] openapi;
    private final int maxViewers;
    private final int viewerBufferBytes;

    ApiHandler(final ObjectMapper json, final Tokens tokens, final IngestService ingest, final QueryService query,
        final ProfileService profiles, final AlertService alerts, final LiveFanout live,
        final PrometheusMeterRegistry registry, final HttpErrors errors,
        final ExecutorService workers, final BooleanSupplier stopping, final LongSupplier nowSecond,
        final byte[] openapi, final int maxViewers, final int viewerBufferBytes) {
        super(true);
        this.json = json;
        this.tokens = tokens;
        this.ingest = ingest;
        this.query = query;
        this.profiles = profiles;
        this.alerts = alerts;
        this.live = live;
        this.registry = registry;
        this.errors = errors;
        this.workers = workers;
        this.stopping = stopping;
        this.nowSecond = nowSecond;
        this.openapi = openapi;
        this.maxViewers = maxViewers;
        this.viewerBufferBytes = viewerBufferBytes;
    }

    /** Work for a worker thread: returns the response, or throws what {@link HttpErrors} turns into one. */
    @FunctionalInterface
    private interface Work {
        FullHttpResponse call() throws Exception;
    }

    @Override
    protected void channelRead0(final ChannelHandlerContext ctx, final FullHttpRequest request) {
        if (ctx.channel().hasAttr(STREAMING)) {
            return; // a live stream answers no further requests on its connection
        }
        final boolean keepAlive = HttpUtil.isKeepAlive(request);
        try {
            if (!request.decoderResult().isSuccess()) {
                throw new MalformedRequestException("request : " + request.decoderResult().cause().getMessage());
            }
            final QueryStringDecoder uri = new QueryStringDecoder(request.uri());
            final Route route = Route.of(uri.path(), request.method());
            if (stopping.getAsBoolean()) {
                throw new UnavailableException("collector : stopping");
            }
            final String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION);
            switch (route) {
                case INGEST:
                    final ByteBuf body = request.content().retain();
                    final long receivedNanos = System.nanoTime();
                    offload(ctx, keepAlive, body, () -> ingested(ingest.ingest(authorization, body, receivedNanos)));
                    break;
                case USAGE:
                    tokens.checkRead(authorization, null);
                    offload(ctx, keepAlive, null, () -> ok(query.usage(uri.parameters(), nowSecond.getAsLong())));
                    break;
                case TOTALS:
                    tokens.checkRead(authorization, null);
                    offload(ctx, keepAlive, null, () -> ok(query.totals(uri.parameters(), nowSecond.getAsLong())));
                    break;
                case TOP:
                    tokens.checkRead(authorization, null);
                    offload(ctx, keepAlive, null, () -> ok(query.top(uri.parameters(), nowSecond.getAsLong())));
                    break;
                case AGENTS:
                    tokens.checkRead(authorization, null);
                    offload(ctx, keepAlive, null, () -> ok(query.agents(uri.parameters())));
                    break;
                case PROFILES:
                    tokens.checkRead(authorization, null);
                    offload(ctx, keepAlive, null, () -> {
                        QueryService.rejectParameters(uri.parameters());
                        return ok(profiles.all(nowSecond.getAsLong()));
                    });
                    break;
                case PROFILE:
                    tokens.checkRead(authorization, null);
                    offload(ctx, keepAlive, null, () -> {
                        QueryService.rejectParameters(uri.parameters());
                        return ok(profiles.one(Route.profileId(uri.path()), nowSecond.getAsLong()));
                    });
                    break;
                case ALERTS:
                    tokens.checkRead(authorization, null);
                    offload(ctx, keepAlive, null, () -> ok(alerts.list(uri.parameters())));
                    break;
                case LIVE:
                    startLive(ctx, authorization, uri);
                    break;
                case OPENAPI:
                    respond(ctx, keepAlive, Responses.bytes(HttpResponseStatus.OK,
                        HttpHeaderValues.APPLICATION_JSON + "; charset=utf-8", openapi));
                    break;
                case HEALTHZ:
                    offload(ctx, keepAlive, null, () -> {
                        query.checkStore();
                        final ObjectNode status = JsonNodeFactory.instance.objectNode();
                        status.put("status", "ok");
                        return ok(status);
                    });
                    break;
                case METRICS:
                    offload(ctx, keepAlive, null, () -> Responses.bytes(HttpResponseStatus.OK, PROMETHEUS_TEXT,
                        registry.scrape().getBytes(StandardCharsets.UTF_8)));
                    break;
                default:
                    throw new IllegalStateException("route : " + route);
            }
        } catch (final Exception e) {
            respond(ctx, keepAlive, errors.response(e));
        }
    }

    @Override
    public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause) {
        LOG.debug("connection from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }

    /**
     * {@code batches} lists every batch of the request; a request of one frame also keeps the fields it always had
     * ({@code outcome}, {@code sequence}).
     */
    private FullHttpResponse ingested(final IngestService.Result result) {
        final ObjectNode body = JsonNodeFactory.instance.objectNode();
        final List<IngestService.BatchResult> batches = result.batches();
        if (batches.size() == 1) {
            body.put("outcome", outcome(batches.get(0)));
            body.put("agent", result.agentId());
            body.put("sequence", batches.get(0).sequence());
        } else {
            body.put("agent", result.agentId());
        }
        final ArrayNode array = body.putArray("batches");
        for (final IngestService.BatchResult batch : batches) {
            array.addObject().put("sequence", batch.sequence()).put("outcome", outcome(batch));
        }
        return ok(body);
    }

    private static String outcome(final IngestService.BatchResult batch) {
        return batch.outcome().name().toLowerCase(java.util.Locale.ROOT);
    }

    private FullHttpResponse ok(final ObjectNode body) {
        return Responses.json(json, HttpResponseStatus.OK, body);
    }

    private void offload(final ChannelHandlerContext ctx, final boolean keepAlive, final ByteBuf body,
        final Work work) {
        final Channel channel = ctx.channel();
        channel.config().setAutoRead(false);
        try {
            workers.execute(() -> {
                FullHttpResponse response;
                try {
                    response = work.call();
                } catch (final Throwable e) {
                    response = errors.response(e);
                } finally {
                    if (body != null) {
                        body.release();
                    }
                }
                respond(ctx, keepAlive, response);
                channel.config().setAutoRead(true);
            });
        } catch (final RejectedExecutionException e) {
            if (body != null) {
                body.release();
            }
            respond(ctx, keepAlive, errors.response(stopping.getAsBoolean() ?
                new UnavailableException("collector : stopping") : e));
            channel.config().setAutoRead(true);
        }
    }

    private void respond(final ChannelHandlerContext ctx, final boolean keepAlive, final FullHttpResponse response) {
        HttpUtil.setContentLength(response, response.content().readableBytes());
        final boolean close = !keepAlive || stopping.getAsBoolean();
        if (close) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.writeAndFlush(response);
        }
    }

    private void startLive(final ChannelHandlerContext ctx, final String authorization, final QueryStringDecoder uri)
        throws Exception {
        final Map<String, List<String>> parameters = new HashMap<>(uri.parameters());
        final List<String> accessToken = parameters.remove("access_token");
        tokens.checkRead(authorization, accessToken == null ? null : accessToken.get(0));
        final QueryParameters.LiveFilter filter = QueryParameters.live(parameters);
        if (live.viewers() >= maxViewers) {
            throw new UnavailableException("live : " + maxViewers + " viewers already (the configured " +
                "live.maxViewers)");
        }
        final Channel channel = ctx.channel();
        channel.attr(STREAMING).set(Boolean.TRUE);
        // A viewer may fall this far behind before it is dropped; see LiveFanout.
        channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(viewerBufferBytes / 2, viewerBufferBytes));
        final HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
        // nginx buffers responses by default, which would hold events back; this header opts out.
        response.headers().set("X-Accel-Buffering", "no");
        HttpUtil.setTransferEncodingChunked(response, true);
        ctx.write(response);
        ctx.writeAndFlush(Unpooled.wrappedBuffer(LIVE_OPENING));
        // Joined after the headers were queued on this event loop: any event lands behind them.
        if (!live.join(channel, new LiveFanout.Filter(filter.agent(), filter.interfaceName(), filter.profile(),
            filter.network()))) {
            channel.close();
        }
    }
}
