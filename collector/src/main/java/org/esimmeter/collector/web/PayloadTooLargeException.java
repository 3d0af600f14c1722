package org.esimmeter.collector.web;

/** A request body over {@code maxBatchBytes}; refused before it is buffered. */
final class PayloadTooLargeException extends Exception {
    private static final long serialVersionUID = 1L;

    PayloadTooLargeException(final long declaredBytes, final int maxBytes) {
        super("body : " + (declaredBytes < 0 ? "more than " + maxBytes : String.valueOf(declaredBytes)) +
            " bytes (expected: <= " + maxBytes + ", the configured maxBatchBytes)");
    }
}
