package org.esimmeter.wire;

/** A frame that is not a valid batch; the message is one line saying what is wrong and where. */
public final class WireFormatException extends Exception {
    private static final long serialVersionUID = 1L;

    public WireFormatException(final String message) {
        super(message);
    }
}
