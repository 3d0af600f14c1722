package org.esimmeter.collector.web;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;

/**
 * {@link HttpObjectAggregator} bounded by maxBatchBytes whose 413 carries the same JSON error as every other
 * failure. A declared Content-Length over the bound is refused before any byte of the body is buffered; the
 * aggregator then discards the body and the connection stays usable. A chunked body that grows past the bound is
 * refused when it does, and the connection is closed (its remainder cannot be told from the next request).
 */
final class BoundedAggregator extends HttpObjectAggregator {
    private final int maxBytes;
    private final HttpErrors errors;

    BoundedAggregator(final int maxBytes, final HttpErrors errors) {
        super(maxBytes);
        this.maxBytes = maxBytes;
        this.errors = errors;
    }

    @Override
    protected Object newContinueResponse(final HttpMessage start, final int maxContentLength,
        final ChannelPipeline pipeline) {
        final long declared = HttpUtil.getContentLength(start, -1L);
        if (HttpUtil.is100ContinueExpected(start) && declared > maxContentLength) {
            // Instead of netty's empty 413: the client has sent no body yet and reads our reason.
            final FullHttpResponse response = errors.response(new PayloadTooLargeException(declared, maxBytes));
            HttpUtil.setContentLength(response, response.content().readableBytes());
            return response;
        }
        return super.newContinueResponse(start, maxContentLength, pipeline);
    }

    @Override
    protected void handleOversizedMessage(final ChannelHandlerContext ctx, final HttpMessage oversized) {
        final FullHttpResponse response = errors.response(
            new PayloadTooLargeException(HttpUtil.getContentLength(oversized, -1L), maxBytes));
        HttpUtil.setContentLength(response, response.content().readableBytes());
        if (oversized instanceof FullHttpMessage ||
            !HttpUtil.is100ContinueExpected(oversized) && !HttpUtil.isKeepAlive(oversized)) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        }
    }
}
