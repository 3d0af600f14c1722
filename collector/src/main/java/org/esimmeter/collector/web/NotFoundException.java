package org.esimmeter.collector.web;

/** No resource at this path. */
final class NotFoundException extends Exception {
    private static final long serialVersionUID = 1L;

    NotFoundException(final String path) {
        super("path : " + path + " (no such resource; see /v1/openapi.json)");
    }
}
