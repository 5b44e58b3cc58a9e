package io.tributary.cli.internal;

import java.util.Locale;

/** How the CLI writes quantities for people: grouped digits, binary byte units, rates. */
public final class Units {

    private Units() {
    }

    /** {@code 1234567} as {@code 1,234,567}. */
    public static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    /** Bytes in B, KiB, MiB, GiB or TiB with one decimal; {@code -1} (unknown) as {@code ?}. */
    public static String bytes(long n) {
        if (n < 0) {
            return "?";
        }
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    /** Events per second, grouped, no decimals. */
    public static String rate(double perSecond) {
        return String.format(Locale.ROOT, "%,.0f", perSecond);
    }

    /** Seconds with two decimals. */
    public static String seconds(double s) {
        return String.format(Locale.ROOT, "%.2f s", s);
    }
}
