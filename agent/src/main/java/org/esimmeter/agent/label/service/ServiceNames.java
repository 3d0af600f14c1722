package org.esimmeter.agent.label.service;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What the metadata capture learned, for the labels to read: remote address → the name the client looked up (DNS
 * answers), and connection → the name the client asked the server for (TLS SNI). Names only, never payload.
 * <p>
 * Bounded: each table holds {@code entries} names at most and forgets the ones expiring first. A DNS name lives for
 * its record's TTL, raised to {@value #MIN_TTL_SECONDS} s (a TTL of 0 would otherwise expire before the connection
 * it announced is sealed) and capped at {@code maxTtlSeconds}; an SNI name lives {@code maxTtlSeconds} (a connection
 * outlives any TTL). Written by the metadata threads, read lock-free by the capture thread ({@link NameCache}).
 */
public final class ServiceNames implements NameLearner.Names {
    /** Floor of a DNS name's life: the connection it announces starts after the answer and is labelled later. */
    public static final int MIN_TTL_SECONDS = 60;
    static final int PROTO_TCP = 6;

    private final NameCache addresses;
    private final NameCache connections;
    private final long maxTtlMillis;
    private final AtomicLong dnsNames = new AtomicLong();
    private final AtomicLong tlsNames = new AtomicLong();

    /**
     * @param entries       capacity of each table (addresses, connections)
     * @param maxTtlSeconds the longest a name is kept without being seen again
     */
    public ServiceNames(final int entries, final int maxTtlSeconds) {
        if (maxTtlSeconds < MIN_TTL_SECONDS) {
            throw new IllegalArgumentException("maxTtlSeconds : " + maxTtlSeconds + " (expected: >= " +
                MIN_TTL_SECONDS + ")");
        }
        this.addresses = new NameCache(entries, 2);
        this.connections = new NameCache(entries, 5);
        this.maxTtlMillis = maxTtlSeconds * 1000L;
    }

    @Override
    public void learnAddress(final long hi, final long lo, final String name, final long ttlSeconds,
        final long nowMillis) {
        final long ttlMillis = Math.min(maxTtlMillis, Math.max(MIN_TTL_SECONDS, ttlSeconds) * 1000L);
        addresses.put(hi, lo, 0, 0, 0, name, nowMillis + ttlMillis, nowMillis);
        dnsNames.incrementAndGet();
    }

    /**
     * A TLS ClientHello from the client to the server asked for {@code name}. Also names the server's address when
     * DNS has not (DNS over HTTPS, a resolver cache on another interface), without overriding what DNS said.
     */
    @Override
    public void learnServerName(final long clientHi, final long clientLo, final int clientPort, final long serverHi,
        final long serverLo, final int serverPort, final String name, final long nowMillis) {
        final long expiresAtMillis = nowMillis + maxTtlMillis;
        if (before(clientHi, clientLo, clientPort, serverHi, serverLo, serverPort)) {
            connections.put(clientHi, clientLo, serverHi, serverLo, ports(clientPort, serverPort), name,
                expiresAtMillis, nowMillis);
        } else {
            connections.put(serverHi, serverLo, clientHi, clientLo, ports(serverPort, clientPort), name,
                expiresAtMillis, nowMillis);
        }
        if (addresses.get(serverHi, serverLo, 0, 0, 0, nowMillis) == null) {
            addresses.put(serverHi, serverLo, 0, 0, 0, name, nowMillis + MIN_TTL_SECONDS * 1000L, nowMillis);
        }
        tlsNames.incrementAndGet();
    }

    /** The name DNS (or SNI) gave the address, or null. Never blocks, allocates nothing. */
    public String byAddress(final long hi, final long lo, final long nowMillis) {
        return addresses.get(hi, lo, 0, 0, 0, nowMillis);
    }

    /**
     * The SNI of the TCP connection between the two ends, in either order, or null. Never blocks, allocates nothing.
     */
    public String byConnection(final int protocol, final long aHi, final long aLo, final int aPort, final long bHi,
        final long bLo, final int bPort, final long nowMillis) {
        if (protocol != PROTO_TCP) {
            return null;
        }
        return before(aHi, aLo, aPort, bHi, bLo, bPort) ?
            connections.get(aHi, aLo, bHi, bLo, ports(aPort, bPort), nowMillis) :
            connections.get(bHi, bLo, aHi, aLo, ports(bPort, aPort), nowMillis);
    }

    /** Names learned from DNS answers since start (one per address record). */
    public long dnsNamesLearned() {
        return dnsNames.get();
    }

    /** Names learned from TLS ClientHellos since start. */
    public long tlsNamesLearned() {
        return tlsNames.get();
    }

    public int addressEntries() {
        return addresses.occupied();
    }

    public int connectionEntries() {
        return connections.occupied();
    }

    /** Capacity of each table. */
    public int capacity() {
        return addresses.capacity();
    }

    /** A connection's key puts its lower end first, so both directions of it find the one entry. */
    static boolean before(final long aHi, final long aLo, final int aPort, final long bHi, final long bLo,
        final int bPort) {
        if (aHi != bHi) {
            return Long.compareUnsigned(aHi, bHi) < 0;
        }
        if (aLo != bLo) {
            return Long.compareUnsigned(aLo, bLo) < 0;
        }
        return aPort <= bPort;
    }

    private static long ports(final int firstPort, final int secondPort) {
        return ((long) PROTO_TCP << 32) | ((long) firstPort << 16) | secondPort;
    }
}
