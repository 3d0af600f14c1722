package org.esimmeter.agent.meter;

/**
 * The profile an interface's bytes belong to right now, and the serving network it is on: fixed by the
 * configuration, or published by the profile poller when the modem reports another SIM or network. One writer (the
 * poller), one reader (the capture thread, once per second it opens, never per packet): one volatile reference to an
 * immutable pair is all the ordering either needs, and the reader never sees a new SIM with the old network.
 */
public final class CurrentProfile {
    private final boolean discovered;
    private volatile Active active;

    /** @param network MCC+MNC, "" when unknown */
    private record Active(String profile, String network) {
    }

    /** A profile fixed by the configuration. */
    public CurrentProfile(final String initial) {
        this(initial, false);
    }

    /** @param discovered whether a poller may change it ({@code initial} is then the fallback until it succeeds) */
    public CurrentProfile(final String initial, final boolean discovered) {
        this.active = new Active(initial, "");
        this.discovered = discovered;
    }

    public boolean discovered() {
        return discovered;
    }

    public String get() {
        return active.profile;
    }

    /** The serving network (MCC+MNC) the modem last reported, "" when unknown. */
    public String network() {
        return active.network;
    }

    /** @return whether the profile changed (the network is kept) */
    public boolean set(final String next) {
        return set(next, active.network);
    }

    /**
     * @param network MCC+MNC, "" when unknown
     * @return whether the profile changed
     */
    public boolean set(final String next, final String network) {
        final Active current = active;
        if (next.equals(current.profile) && network.equals(current.network)) {
            return false;
        }
        active = new Active(next, network);
        return !next.equals(current.profile);
    }
}
