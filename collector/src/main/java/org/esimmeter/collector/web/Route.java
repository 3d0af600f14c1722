package org.esimmeter.collector.web;

import io.netty.handler.codec.http.HttpMethod;

/** Every resource the collector serves, and its one method. */
enum Route {
    INGEST("/v1/ingest", HttpMethod.POST),
    USAGE("/v1/usage", HttpMethod.GET),
    TOTALS("/v1/totals", HttpMethod.GET),
    TOP("/v1/top", HttpMethod.GET),
    AGENTS("/v1/agents", HttpMethod.GET),
    PROFILES("/v1/profiles", HttpMethod.GET),
    /** {@code /v1/profiles/{id}}: the one route with a path parameter, matched by prefix. */
    PROFILE("/v1/profiles/{id}", HttpMethod.GET),
    ALERTS("/v1/alerts", HttpMethod.GET),
    LIVE("/v1/live", HttpMethod.GET),
    OPENAPI("/v1/openapi.json", HttpMethod.GET),
    HEALTHZ("/healthz", HttpMethod.GET),
    METRICS("/metrics", HttpMethod.GET);

    private static final String PROFILE_PREFIX = "/v1/profiles/";

    private final String path;
    private final HttpMethod method;

    Route(final String path, final HttpMethod method) {
        this.path = path;
        this.method = method;
    }

    String path() {
        return path;
    }

    /** The {@code {id}} of a {@link #PROFILE} path. */
    static String profileId(final String path) {
        return path.substring(PROFILE_PREFIX.length());
    }

    static Route of(final String path, final HttpMethod method) throws NotFoundException,
        MethodNotAllowedException {
        for (final Route route : values()) {
            if (route == PROFILE ? path.startsWith(PROFILE_PREFIX) && path.length() > PROFILE_PREFIX.length() :
                route.path.equals(path)) {
                if (!route.method.equals(method)) {
                    throw new MethodNotAllowedException(method.name(), path, route.method.name());
                }
                return route;
            }
        }
        throw new NotFoundException(path);
    }
}
