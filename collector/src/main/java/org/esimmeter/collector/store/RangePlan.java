package org.esimmeter.collector.store;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a half-open range {@code [from, to)} into pieces that each lie on the bucket grid of one resolution, using
 * the coarsest resolution that fits and finer ones only at the edges:
 * <pre>
 *   from                                                                     to
 *    |--1s--|----1m----|------1h------|==========1d==========|---1h---|-1m-|1s|
 * </pre>
 * Reading each piece from the rows of its resolution gives the exact sum of the range, because a rollup row of
 * width R is the sum of every finer row inside its bucket, and the pieces never overlap. At most two pieces per
 * resolution plus one, so a 30-day range reads at most ~60 days + 2x23 hours + 2x59 minutes + 2x59 seconds worth
 * of rows per series, however long the range.
 * <p>
 * Shared by every store implementation so they cannot disagree about which rows answer which part of a range.
 */
public final class RangePlan {
    private static final Resolution[] RESOLUTIONS = Resolution.values();

    /** One aligned piece: rows of {@code resolution} with {@code fromBucket <= bucket < toBucket}. */
    public record Piece(Resolution resolution, long fromBucket, long toBucket) {
    }

    private RangePlan() {
    }

    /**
     * Pieces covering {@code [from, to)} exactly, finest-first order not guaranteed; no piece uses a resolution
     * coarser than {@code coarsest}. A time series with step S passes S, so that every row read falls inside one
     * step bucket (each resolution's width divides every coarser one's).
     */
    public static List<Piece> cover(final long from, final long to, final Resolution coarsest) {
        final List<Piece> pieces = new ArrayList<>(7);
        cover(from, to, coarsest.ordinal(), pieces);
        return pieces;
    }

    private static void cover(final long from, final long to, final int level, final List<Piece> pieces) {
        if (from >= to) {
            return;
        }
        final Resolution resolution = RESOLUTIONS[level];
        if (level == 0) {
            pieces.add(new Piece(resolution, from, to));
            return;
        }
        final long width = resolution.seconds();
        final long alignedFrom = -Math.floorDiv(-from, width) * width; // ceiling, also before 1970
        final long alignedTo = Math.floorDiv(to, width) * width;
        if (alignedFrom < alignedTo) {
            pieces.add(new Piece(resolution, alignedFrom, alignedTo));
            cover(from, alignedFrom, level - 1, pieces);
            cover(alignedTo, to, level - 1, pieces);
        } else {
            cover(from, to, level - 1, pieces);
        }
    }
}
