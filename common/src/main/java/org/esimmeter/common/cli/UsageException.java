package org.esimmeter.common.cli;

/** The input was wrong (arguments, configuration, interface, file, address): exit status 2, one line, no trace. */
public final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    public UsageException(final String message) {
        super(message);
    }

    public UsageException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
