package io.tributary.examples;

import io.tributary.core.ErrorCode;

/** The demo's stable error codes. */
public final class DemoErrors {

    /** {@code tributary demo query} found no demo data: run the demo first. */
    public static final ErrorCode DEMO_DATA_NOT_FOUND = ErrorCode.of("DEMO_DATA_NOT_FOUND");
    /** The read model has no order with that id. */
    public static final ErrorCode ORDER_NOT_FOUND = ErrorCode.of("ORDER_NOT_FOUND");

    private DemoErrors() {
    }
}
