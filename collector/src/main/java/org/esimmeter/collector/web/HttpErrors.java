package org.esimmeter.collector.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.concurrent.RejectedExecutionException;
import org.esimmeter.collector.ingest.UnauthorizedException;
import org.esimmeter.collector.plan.UnknownProfileException;
import org.esimmeter.collector.query.BadParameterException;
import org.esimmeter.collector.store.StoreException;
import org.esimmeter.wire.WireFormatException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where failures become HTTP: status, the {@code reason} tag of {@code esim_http_rejected_total},
 * and the JSON body {@code {"error": one line, "parameter": name}} ({@code parameter} only for a bad parameter).
 */
final class HttpErrors {
    private static final Logger LOG = LoggerFactory.getLogger(HttpErrors.class);

    private final ObjectMapper json;
    private final MeterRegistry registry;

    HttpErrors(final ObjectMapper json, final MeterRegistry registry) {
        this.json = json;
        this.registry = registry;
        // Registered up front so a scrape shows every reason at 0 instead of a series appearing on first failure.
        for (final String reason : new String[] {"unauthorized", "malformed", "too_large", "bad_parameter",
            "not_found", "method_not_allowed", "unavailable", "internal"}) {
            rejected(reason);
        }
    }

    /** Builds the response for {@code failure} and counts it. */
    FullHttpResponse response(final Throwable failure) {
        final HttpResponseStatus status;
        final String reason;
        String parameter = null;
        if (failure instanceof BadParameterException) {
            status = HttpResponseStatus.BAD_REQUEST;
            reason = "bad_parameter";
            parameter = ((BadParameterException) failure).parameter();
        } else if (failure instanceof WireFormatException || failure instanceof MalformedRequestException) {
            status = HttpResponseStatus.BAD_REQUEST;
            reason = "malformed";
        } else if (failure instanceof UnauthorizedException) {
            status = HttpResponseStatus.UNAUTHORIZED;
            reason = "unauthorized";
        } else if (failure instanceof PayloadTooLargeException) {
            status = HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE;
            reason = "too_large";
        } else if (failure instanceof NotFoundException || failure instanceof UnknownProfileException) {
            status = HttpResponseStatus.NOT_FOUND;
            reason = "not_found";
        } else if (failure instanceof MethodNotAllowedException) {
            status = HttpResponseStatus.METHOD_NOT_ALLOWED;
            reason = "method_not_allowed";
        } else if (failure instanceof UnavailableException || failure instanceof RejectedExecutionException) {
            status = HttpResponseStatus.SERVICE_UNAVAILABLE;
            reason = "unavailable";
        } else if (failure instanceof StoreException) {
            LOG.error("store failed", failure);
            status = HttpResponseStatus.SERVICE_UNAVAILABLE;
            reason = "unavailable";
        } else {
            LOG.error("request failed", failure);
            status = HttpResponseStatus.INTERNAL_SERVER_ERROR;
            reason = "internal";
        }
        rejected(reason).increment();
        final ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.put("error", oneLine(failure, status));
        if (parameter != null) {
            body.put("parameter", parameter);
        }
        final FullHttpResponse response = Responses.json(json, status, body);
        if (failure instanceof UnauthorizedException) {
            response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"esim-meter\"");
        } else if (failure instanceof MethodNotAllowedException) {
            response.headers().set(HttpHeaderNames.ALLOW, ((MethodNotAllowedException) failure).allow());
        } else if (status == HttpResponseStatus.SERVICE_UNAVAILABLE) {
            response.headers().set(HttpHeaderNames.RETRY_AFTER, "5");
        }
        return response;
    }

    private Counter rejected(final String reason) {
        return Counter.builder("esim.http.rejected")
            .tag("reason", reason)
            .description("Requests answered with an error status, by reason")
            .register(registry);
    }

    private static String oneLine(final Throwable failure, final HttpResponseStatus status) {
        if (status == HttpResponseStatus.INTERNAL_SERVER_ERROR) {
            // Never leak internals to a client; the log has the stack trace.
            return "internal error (logged by the collector)";
        }
        if (failure instanceof RejectedExecutionException) {
            return "busy : every worker is taken (retry later)";
        }
        final String message = failure.getMessage();
        return message == null ? failure.getClass().getSimpleName() : message.replace('\n', ' ').replace('\r', ' ');
    }
}
