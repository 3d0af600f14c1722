package org.esimmeter.collector.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.UncheckedIOException;

/** Building complete responses; Jackson writes every JSON body. */
final class Responses {
    private Responses() {
    }

    static FullHttpResponse json(final ObjectMapper json, final HttpResponseStatus status, final ObjectNode body) {
        final byte[] bytes;
        try {
            bytes = json.writeValueAsBytes(body);
        } catch (final JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
        return bytes(status, HttpHeaderValues.APPLICATION_JSON + "; charset=utf-8", bytes);
    }

    static FullHttpResponse bytes(final HttpResponseStatus status, final String contentType, final byte[] body) {
        final FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
            Unpooled.wrappedBuffer(body));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        return response;
    }
}
