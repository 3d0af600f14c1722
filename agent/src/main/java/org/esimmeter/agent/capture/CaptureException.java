package org.esimmeter.agent.capture;

/** Capture cannot start or go on; the message is one line naming the interface or file. */
public final class CaptureException extends Exception {
    private static final long serialVersionUID = 1L;

    public CaptureException(final String message) {
        super(message);
    }

    public CaptureException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
