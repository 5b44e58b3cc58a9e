package io.tributary.testbroker;

/**
 * Points Log4j2 (Kafka's logging backend here) at this module's quiet config, warnings and errors only, unless the
 * application chose a config itself with {@code -Dlog4j2.configurationFile}. When both the SLF4J simple binding and
 * Log4j2 are on a test class path, SLF4J is told to use Log4j2 (again only if nothing was chosen).
 */
final class QuietLogging {

    static final String CONFIG = "tributary-testbroker-log4j2.properties";

    private QuietLogging() {
    }

    static synchronized void apply() {
        if (System.getProperty("log4j2.configurationFile") == null
                && QuietLogging.class.getClassLoader().getResource("log4j2.xml") == null
                && QuietLogging.class.getClassLoader().getResource("log4j2.properties") == null
                && QuietLogging.class.getClassLoader().getResource("log4j2-test.xml") == null
                && QuietLogging.class.getClassLoader().getResource("log4j2-test.properties") == null) {
            System.setProperty("log4j2.configurationFile", CONFIG);
        }
        if (System.getProperty("slf4j.provider") == null) {
            System.setProperty("slf4j.provider", "org.apache.logging.slf4j.SLF4JServiceProvider");
        }
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
    }
}
