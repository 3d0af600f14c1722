package org.esimmeter.collector.web;

/** The HTTP request itself could not be decoded (bad request line or headers). */
final class MalformedRequestException extends Exception {
    private static final long serialVersionUID = 1L;

    MalformedRequestException(final String message) {
        super(message);
    }
}
