package org.esimmeter.collector.web;

/** The path exists, the method does not apply to it. */
final class MethodNotAllowedException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String allow;

    MethodNotAllowedException(final String method, final String path, final String allow) {
        super("method : " + method + " (expected: " + allow + " for " + path + ")");
        this.allow = allow;
    }

    String allow() {
        return allow;
    }
}
