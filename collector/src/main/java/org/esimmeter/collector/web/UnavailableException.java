package org.esimmeter.collector.web;

/** The collector cannot take this request now (stopping, or every worker busy); the client should retry. */
final class UnavailableException extends Exception {
    private static final long serialVersionUID = 1L;

    UnavailableException(final String message) {
        super(message);
    }
}
