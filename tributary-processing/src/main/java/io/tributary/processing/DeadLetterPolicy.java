package io.tributary.processing;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import io.tributary.log.TopicNameRule;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a processor does with an event (or batch) whose last attempt failed. Immutable and thread-safe;
 * {@code with*} methods return copies. All problems are reported at once ({@code INVALID_CONFIG}).
 *
 * <ul>
 *   <li>{@link #sequenced()} (the default): the event goes to the dead-letter topic and the partition continues; later
 *       events of the same key are <em>parked</em> behind it (also written to the dead-letter topic) until an operator
 *       redrives, skips or purges them, so a key's order is never silently broken.</li>
 *   <li>{@link #unsequenced()}: the event goes to the dead-letter topic and its key continues with the next event.</li>
 *   <li>{@link #stopProcessor()}: no dead-letter topic; the processor stops itself and reports
 *       {@link Processor#failure()}; the failed event is handled again at the next start.</li>
 * </ul>
 *
 * <p><b>Durability:</b> dead and parked events are appended to the dead-letter topic (and acknowledged) before the
 * partition commits past them; operator actions are records in the actions topic. Both topics are created on start
 * if missing: the dead-letter topic with the largest partition count of the processor's topics, the actions topic
 * compacted with one partition. {@code docs/processing.md} describes the record format.
 *
 * @param mode                what happens after the last failed attempt; default {@link Mode#SEQUENCED}
 * @param topic               the dead-letter topic; empty means {@code <processor name>.dlq}
 * @param actionCheckInterval how often a running processor looks for new operator actions; default 200 ms
 */
public record DeadLetterPolicy(Mode mode, Optional<String> topic, Duration actionCheckInterval) {

    /** Suffix of the default dead-letter topic name, after the processor's name. */
    public static final String DEFAULT_TOPIC_SUFFIX = ".dlq";
    /** Suffix of the actions topic name, after the dead-letter topic's name. */
    public static final String ACTIONS_TOPIC_SUFFIX = ".actions";

    /** What happens after the last failed attempt. */
    public enum Mode {
        /** Stop the processor (the behaviour before dead-letter topics existed). */
        STOP_PROCESSOR,
        /** Dead-letter the event; its key continues. */
        UNSEQUENCED,
        /** Dead-letter the event and park the key's later events behind it until an operator acts. */
        SEQUENCED
    }

    public DeadLetterPolicy {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(actionCheckInterval, "actionCheckInterval");
        List<String> problems = new ArrayList<>();
        topic.ifPresent(t -> {
            try {
                TopicNameRule.validate(t + ACTIONS_TOPIC_SUFFIX);
            } catch (InvalidRequestException e) {
                problems.add("topic '" + t + "' is not usable as a dead-letter topic: " + e.getMessage());
            }
        });
        if (actionCheckInterval.toMillis() < 1) {
            problems.add("actionCheckInterval=" + actionCheckInterval + " must be at least 1 ms (default 200 ms)");
        }
        if (!problems.isEmpty()) {
            throw new InvalidRequestException(ErrorCode.INVALID_CONFIG, "Invalid dead-letter policy: "
                    + String.join("; ", problems));
        }
    }

    /** Dead-letter and park the key's later events (the default). */
    public static DeadLetterPolicy sequenced() {
        return new DeadLetterPolicy(Mode.SEQUENCED, Optional.empty(), Duration.ofMillis(200));
    }

    /** Dead-letter the event; later events of its key are handled as usual. */
    public static DeadLetterPolicy unsequenced() {
        return new DeadLetterPolicy(Mode.UNSEQUENCED, Optional.empty(), Duration.ofMillis(200));
    }

    /** No dead-letter topic: the processor stops on the first event whose last attempt failed. */
    public static DeadLetterPolicy stopProcessor() {
        return new DeadLetterPolicy(Mode.STOP_PROCESSOR, Optional.empty(), Duration.ofMillis(200));
    }

    /** Uses {@code name} as the dead-letter topic instead of {@code <processor name>.dlq}. */
    public DeadLetterPolicy withTopic(String name) {
        return new DeadLetterPolicy(mode, Optional.of(name), actionCheckInterval);
    }

    public DeadLetterPolicy withActionCheckInterval(Duration v) {
        return new DeadLetterPolicy(mode, topic, v);
    }

    /** Whether failed events go to a dead-letter topic (rather than stopping the processor). */
    public boolean deadLetters() {
        return mode != Mode.STOP_PROCESSOR;
    }

    /** The dead-letter topic of the processor named {@code processorName}. */
    public String topicFor(String processorName) {
        return topic.orElse(processorName + DEFAULT_TOPIC_SUFFIX);
    }

    /** The actions topic of the processor named {@code processorName}: the dead-letter topic plus ".actions". */
    public String actionsTopicFor(String processorName) {
        return topicFor(processorName) + ACTIONS_TOPIC_SUFFIX;
    }
}
