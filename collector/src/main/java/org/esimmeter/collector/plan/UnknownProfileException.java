package org.esimmeter.collector.plan;

/** {@code /v1/profiles/{id}} names no configured profile (HTTP 404). */
public final class UnknownProfileException extends Exception {
    private static final long serialVersionUID = 1L;

    public UnknownProfileException(final String id) {
        super("profile : " + id + " (no such profile in the collector's configuration; see /v1/profiles)");
    }
}
