package org.esimmeter.collector.query;

/** A query parameter is missing, malformed or out of range; the message is one line, the parameter is named. */
public final class BadParameterException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String parameter;

    public BadParameterException(final String parameter, final String message) {
        super(message);
        this.parameter = parameter;
    }

    public String parameter() {
        return parameter;
    }
}
