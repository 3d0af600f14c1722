package org.esimmeter.collector.web;

import org.esimmeter.wire.Direction;

/**
 * The usage the HTTP tests ingest, with its sums worked out by hand below. T0 is 2024-05-01T00:00:00Z.
 * <pre>
 * router-a seq 1  wwan0/esim-eu   T0     UP   tcp 10.0.0.2:50000 -> 93.184.216.34:443   10 pkts 15000 wire 14000 ip
 *                                        DOWN tcp 93.184.216.34:443 -> 10.0.0.2:50000   20 pkts 30000 wire 29000 ip
 *                                        DOWN non-IP                                     1 pkt     60 wire
 *                 wwan0/esim-eu   T0+1   UP   udp 10.0.0.2:5353 -> 1.1.1.1:53            1 pkt     80 wire    66 ip
 *                                        DOWN udp 1.1.1.1:53 -> 10.0.0.2:5353            1 pkt    120 wire   106 ip
 *                 wwan1/esim-home T0+61  UP   tcp 10.0.1.2:40000 -> 93.184.216.34:443    5 pkts  5000 wire  4800 ip
 * router-b seq 1  wwan0/esim-eu   T0+2   UP   udp 192.168.8.10:1000 -> 8.8.8.8:53        2 pkts   200 wire   172 ip
 *
 * router-a wwan0: up 11 / 15080 / 14066, down 22 / 30180 / 29106       router-a wwan1: up 5 / 5000 / 4800
 * router-b wwan0: up 2 / 200 / 172                                      all: up 18 / 20280 / 19038, down 22 / 30180 / 29106
 * </pre>
 */
public final class Fixture {
    public static final long T0 = 1_714_521_600L;
    public static final int TCP = 6;
    public static final int UDP = 17;

    private Fixture() {
    }

    public static byte[] batchA1() {
        return Frames.batch(TestCollector.AGENT_A, 1)
            .second("wwan0", "esim-eu", T0)
            .flow(Direction.UP, TCP, "10.0.0.2", 50000, "93.184.216.34", 443, 10, 15000, 14000)
            .flow(Direction.DOWN, TCP, "93.184.216.34", 443, "10.0.0.2", 50000, 20, 30000, 29000)
            .nonIp(Direction.DOWN, 1, 60)
            .second("wwan0", "esim-eu", T0 + 1)
            .flow(Direction.UP, UDP, "10.0.0.2", 5353, "1.1.1.1", 53, 1, 80, 66)
            .flow(Direction.DOWN, UDP, "1.1.1.1", 53, "10.0.0.2", 5353, 1, 120, 106)
            .second("wwan1", "esim-home", T0 + 61)
            .flow(Direction.UP, TCP, "10.0.1.2", 40000, "93.184.216.34", 443, 5, 5000, 4800)
            .encode();
    }

    public static byte[] batchB1() {
        return Frames.batch(TestCollector.AGENT_B, 1)
            .second("wwan0", "esim-eu", T0 + 2)
            .flow(Direction.UP, UDP, "192.168.8.10", 1000, "8.8.8.8", 53, 2, 200, 172)
            .encode();
    }
}
