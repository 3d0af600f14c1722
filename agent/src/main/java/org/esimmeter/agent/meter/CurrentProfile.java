package org.esimmeter.agent.meter;

/**
 * The profile an interface's bytes belong to right now: fixed by the configuration, or published by the profile
 * poller when the modem reports another SIM. One writer (the poller), one reader (the capture thread, once per
 * second it opens, never per packet): a volatile reference is all the ordering either needs.
 */
public final class CurrentProfile {
    private final boolean discovered;
    private volatile String profile;

    /** A profile fixed by the configuration. */
    public CurrentProfile(final String initial) {
        this(initial, false);
    }

    /** @param discovered whether a poller may change it ({@code initial} is then the fallback until it succeeds) */
    public CurrentProfile(final String initial, final boolean discovered) {
        this.profile = initial;
        this.discovered = discovered;
    }

    public boolean discovered() {
        return discovered;
    }

    public String get() {
        return profile;
    }

    /** @return whether the profile changed */
    public boolean set(final String next) {
        if (next.equals(profile)) {
            return false;
        }
        profile = next;
        return true;
    }
}
