package org.esimmeter.wire;

/**
 * Which way a packet crossed the metered interface. On an uplink, UP leaves the router (upload) and DOWN arrives
 * (download). UNKNOWN exists for savefiles that carry no direction and were not told the router's MAC.
 */
public final class Direction {
    public static final int UP = 0;
    public static final int DOWN = 1;
    public static final int UNKNOWN = 2;
    public static final int COUNT = 3;

    private Direction() {
    }

    public static String name(final int direction) {
        switch (direction) {
            case UP: return "up";
            case DOWN: return "down";
            default: return "unknown";
        }
    }
}
