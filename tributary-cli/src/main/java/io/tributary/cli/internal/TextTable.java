package io.tributary.cli.internal;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * A plain-text table with aligned columns, as printed by {@code describe} and {@code groups}: a header row, then
 * rows; columns are separated by two spaces and numbers may be right-aligned. Not thread-safe; build, then print.
 */
public final class TextTable {

    private final List<String> header;
    private final boolean[] rightAligned;
    private final List<List<String>> rows = new ArrayList<>();

    /** A table with these column titles; a title ending in {@code >} (stripped) is right-aligned. */
    public TextTable(String... titles) {
        header = new ArrayList<>();
        rightAligned = new boolean[titles.length];
        for (int i = 0; i < titles.length; i++) {
            rightAligned[i] = titles[i].endsWith(">");
            header.add(rightAligned[i] ? titles[i].substring(0, titles[i].length() - 1) : titles[i]);
        }
    }

    /** Adds a row; its cells are printed with {@link String#valueOf(Object)}. */
    public TextTable row(Object... cells) {
        if (cells.length != header.size()) {
            throw new IllegalArgumentException("Row has " + cells.length + " cells for " + header.size() + " columns");
        }
        List<String> row = new ArrayList<>(cells.length);
        for (Object c : cells) {
            row.add(String.valueOf(c));
        }
        rows.add(row);
        return this;
    }

    public boolean isEmpty() {
        return rows.isEmpty();
    }

    /** Prints the header and rows, each line prefixed by {@code indent}. */
    public void print(PrintWriter out, String indent) {
        int[] width = new int[header.size()];
        for (int i = 0; i < width.length; i++) {
            width[i] = header.get(i).length();
            for (List<String> r : rows) {
                width[i] = Math.max(width[i], r.get(i).length());
            }
        }
        printRow(out, indent, header, width);
        for (List<String> r : rows) {
            printRow(out, indent, r, width);
        }
    }

    private void printRow(PrintWriter out, String indent, List<String> cells, int[] width) {
        StringBuilder line = new StringBuilder(indent);
        for (int i = 0; i < cells.size(); i++) {
            String cell = cells.get(i);
            boolean last = i == cells.size() - 1;
            if (i > 0) {
                line.append("  ");
            }
            String pad = " ".repeat(width[i] - cell.length());
            if (rightAligned[i]) {
                line.append(pad).append(cell);
            } else {
                line.append(cell);
                if (!last) {
                    line.append(pad);
                }
            }
        }
        out.println(line);
    }
}
