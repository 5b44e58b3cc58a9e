package io.tributary.bench.outbox;

import org.jspecify.annotations.Nullable;

/**
 * One measured figure. When compared with a peer, {@code ratio = value / peerValue}; {@code better} says which way is
 * good ("higher" for rates, "lower" for latencies). A target, when set, is a sentence plus whether it was met.
 */
record Figure(String name, String unit, double value, String better, @Nullable String peer,
              @Nullable Double peerValue, @Nullable Double ratio, @Nullable String target, @Nullable Boolean targetMet) {

    Figure {
        if (!better.equals("higher") && !better.equals("lower")) {
            throw new IllegalArgumentException("better must be 'higher' or 'lower', was '" + better + "'");
        }
    }

    static Figure of(String name, String unit, double value, String better) {
        return new Figure(name, unit, value, better, null, null, null, null, null);
    }

    Figure vs(String peerName, double peer) {
        Double r = peer == 0 ? null : value / peer;
        return new Figure(name, unit, value, better, peerName, peer, r, target, targetMet);
    }

    Figure target(String description, boolean met) {
        return new Figure(name, unit, value, better, peer, peerValue, ratio, description, met);
    }
}
