package org.esimmeter.collector.store;

/** The store could not do what was asked (I/O, full disk, corruption); nothing half-done was kept. */
public final class StoreException extends Exception {
    private static final long serialVersionUID = 1L;

    public StoreException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
