package org.esimmeter.agent.meter;

/**
 * Receives sealed seconds. Called on the capture thread: implementations copy what they need and return without
 * blocking on I/O that can stall (the network), or libpcap's ring fills and the kernel drops packets.
 */
@FunctionalInterface
public interface SecondSink {
    void onSecond(SecondRecord second);
}
