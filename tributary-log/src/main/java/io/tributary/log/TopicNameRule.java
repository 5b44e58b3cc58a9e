package io.tributary.log;

import io.tributary.core.InvalidRequestException;
import java.util.regex.Pattern;

/**
 * Kafka's topic-name rule, kept by every backend: 1 to 249 characters from {@code [a-zA-Z0-9._-]}, and neither
 * {@code .} nor {@code ..}.
 */
public final class TopicNameRule {

    public static final int MAX_LENGTH = 249;
    private static final Pattern LEGAL = Pattern.compile("[a-zA-Z0-9._-]+");

    private TopicNameRule() {
    }

    /** Throws {@link InvalidRequestException} ({@link LogErrors#INVALID_TOPIC_NAME}) unless {@code name} is legal. */
    public static String validate(String name) {
        String problem = problem(name);
        if (problem != null) {
            throw new InvalidRequestException(LogErrors.INVALID_TOPIC_NAME, "Topic name '" + name + "' is invalid: "
                    + problem + ". Use 1 to " + MAX_LENGTH + " characters from a-z, A-Z, 0-9, '.', '_' and '-', e.g. 'orders'.");
        }
        return name;
    }

    private static String problem(String name) {
        if (name.isEmpty()) {
            return "it is empty";
        }
        if (name.equals(".") || name.equals("..")) {
            return "'.' and '..' are reserved";
        }
        if (name.length() > MAX_LENGTH) {
            return "it has " + name.length() + " characters, more than " + MAX_LENGTH;
        }
        if (!LEGAL.matcher(name).matches()) {
            return "it contains characters other than a-z, A-Z, 0-9, '.', '_' and '-'";
        }
        return null;
    }
}
