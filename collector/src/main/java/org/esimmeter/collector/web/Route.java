package org.esimmeter.collector.web;

import io.netty.handler.codec.http.HttpMethod;

/** Every resource the collector serves, and its one method. */
enum Route {
    INGEST("/v1/ingest", HttpMethod.POST),
    USAGE("/v1/usage", HttpMethod.GET),
    TOTALS("/v1/totals", HttpMethod.GET),
    TOP("/v1/top", HttpMethod.GET),
    AGENTS("/v1/agents", HttpMethod.GET),
    LIVE("/v1/live", HttpMethod.GET),
    OPENAPI("/v1/openapi.json", HttpMethod.GET),
    HEALTHZ("/healthz", HttpMethod.GET),
    METRICS("/metrics", HttpMethod.GET);

    private final String path;
    private final HttpMethod method;

    Route(final String path, final HttpMethod method) {
        this.path = path;
        this.method = method;
    }

    String path() {
        return path;
    }

    static Route of(final String path, final HttpMethod method) throws NotFoundException,
        MethodNotAllowedException {
        for (final Route route : values()) {
            if (route.path.equals(path)) {
                if (!route.method.equals(method)) {
                    throw new MethodNotAllowedException(method.name(), path, route.method.name());
                }
                return route;
            }
        }
        throw new NotFoundException(path);
    }
}
