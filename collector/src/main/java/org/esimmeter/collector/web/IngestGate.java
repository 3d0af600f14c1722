package org.esimmeter.collector.web;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;
import org.esimmeter.collector.ingest.Tokens;
import org.esimmeter.collector.ingest.UnauthorizedException;

/**
 * Sits before the aggregator and answers 401 to an ingest request whose token belongs to no agent, from its
 * headers alone: a stranger's body is discarded as it arrives, never buffered (up to maxBatchBytes) nor decoded.
 * The authoritative check (token of the batch's own agent) happens after decoding.
 */
final class IngestGate extends ChannelInboundHandlerAdapter {
    private final Tokens tokens;
    private final HttpErrors errors;
    private boolean discarding;

    IngestGate(final Tokens tokens, final HttpErrors errors) {
        this.tokens = tokens;
        this.errors = errors;
    }

    @Override
    public void channelRead(final ChannelHandlerContext ctx, final Object message) {
        if (discarding) {
            if (message instanceof HttpContent) {
                discarding = !(message instanceof LastHttpContent);
                ReferenceCountUtil.release(message);
                return;
            }
            discarding = false;
        }
        if (message instanceof HttpRequest && isIngest((HttpRequest) message)) {
            final HttpRequest request = (HttpRequest) message;
            try {
                tokens.agentFor(request.headers().get(HttpHeaderNames.AUTHORIZATION));
            } catch (final UnauthorizedException e) {
                reject(ctx, request, e);
                ReferenceCountUtil.release(message);
                return;
            }
        }
        ctx.fireChannelRead(message);
    }

    private void reject(final ChannelHandlerContext ctx, final HttpRequest request, final UnauthorizedException e) {
        final FullHttpResponse response = errors.response(e);
        HttpUtil.setContentLength(response, response.content().readableBytes());
        // With Expect: 100-continue the client waits for us before sending the body: close rather than guess
        // whether it will send it anyway. Otherwise the body follows and is discarded, keeping the connection.
        final boolean close = HttpUtil.is100ContinueExpected(request) || !HttpUtil.isKeepAlive(request);
        discarding = !(request instanceof LastHttpContent) && !close;
        if (close) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.writeAndFlush(response);
        }
    }

    private static boolean isIngest(final HttpRequest request) {
        return HttpMethod.POST.equals(request.method()) &&
            Route.INGEST.path().equals(new QueryStringDecoder(request.uri()).path());
    }
}
