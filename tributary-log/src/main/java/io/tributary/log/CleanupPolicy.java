package io.tributary.log;

/** What happens to old records: {@code delete} by retention, {@code compact} to the latest value per key, or both. */
public enum CleanupPolicy {
    DELETE("delete"),
    COMPACT("compact");

    private final String configValue;

    CleanupPolicy(String configValue) {
        this.configValue = configValue;
    }

    /** The word used in the {@code cleanup.policy} config. */
    public String configValue() {
        return configValue;
    }
}
