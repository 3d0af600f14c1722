package org.esimmeter.collector.ingest;

/** No credentials, or not the right ones for what was asked; the message says which, never the token. */
public final class UnauthorizedException extends Exception {
    private static final long serialVersionUID = 1L;

    public UnauthorizedException(final String message) {
        super(message);
    }
}
