package io.tributary.log.tck;

import io.tributary.log.EventLog;

/**
 * The kit against its in-memory {@link ReferenceLog}: proves the kit's tests pass on a backend that is right by
 * construction, and exercises the "undeclared capability fails loudly" side of every optional test.
 */
class ReferenceLogConformanceTest extends EventLogConformanceKit {

    @Override
    protected EventLog openLog() {
        return new ReferenceLog();
    }
}
