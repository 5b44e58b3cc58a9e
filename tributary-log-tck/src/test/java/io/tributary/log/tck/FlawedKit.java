package io.tributary.log.tck;

import io.tributary.log.EventLog;
import io.tributary.log.tck.ReferenceLog.Flaw;
import java.util.Set;

/**
 * The kit over a reference backend with the flaws {@link KitCatchesFlawedBackendsTest} switched on; run only through
 * JUnit's engine test kit (its name keeps build tools from running it on its own).
 */
class FlawedKit extends EventLogConformanceKit {

    static volatile Set<Flaw> flaws = Set.of();

    @Override
    protected EventLog openLog() {
        return new ReferenceLog(flaws);
    }
}
