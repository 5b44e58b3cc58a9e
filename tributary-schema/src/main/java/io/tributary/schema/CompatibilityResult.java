package io.tributary.schema;

import java.util.List;

/**
 * The outcome of testing a schema against a subject without registering it.
 *
 * @param compatible        whether it may be registered
 * @param level             the level it was checked under
 * @param incompatibilities every reason it may not, empty when compatible
 */
public record CompatibilityResult(boolean compatible, CompatibilityLevel level, List<Incompatibility> incompatibilities) {

    public CompatibilityResult {
        incompatibilities = List.copyOf(incompatibilities);
    }

    /** Each incompatibility as one line, as the REST API's verbose {@code messages}. */
    public List<String> messages() {
        return incompatibilities.stream().map(Incompatibility::describe).toList();
    }
}
