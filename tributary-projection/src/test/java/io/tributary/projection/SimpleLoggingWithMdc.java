package io.tributary.projection;

import org.slf4j.helpers.BasicMDCAdapter;
import org.slf4j.simple.SimpleServiceProvider;
import org.slf4j.spi.MDCAdapter;

/**
 * slf4j-simple (the tests' logger) with a working MDC: slf4j-simple's own MDC adapter discards every value, which would
 * leave the MDC tests unable to see what the processor puts there. Selected by the {@code slf4j.provider} system
 * property in this module's surefire configuration; the adapter is slf4j-api's own thread-local one.
 */
public final class SimpleLoggingWithMdc extends SimpleServiceProvider {

    private final MDCAdapter mdc = new BasicMDCAdapter();

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdc;
    }
}
