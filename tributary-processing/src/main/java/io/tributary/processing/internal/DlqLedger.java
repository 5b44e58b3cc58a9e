package io.tributary.processing.internal;

import io.tributary.log.LogRecord;
import io.tributary.processing.DeadLetter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The state the dead-letter and actions topics add up to: the open entries (each entry's latest record, if that
 * opens it) and the actions not yet finished. Folding the topics in offset order gives the same state in every
 * process. Not thread-safe.
 */
public final class DlqLedger {

    /** Entries in the order their keys need: by original topic, partition and offset. */
    public static final Comparator<DeadLetter> ORIGINAL_ORDER = Comparator
            .comparing((DeadLetter d) -> d.source().topic())
            .thenComparingInt(d -> d.source().partition())
            .thenComparingLong(d -> d.original().offset());

    private final Map<String, DeadLetter> open = new HashMap<>();
    private final LinkedHashMap<String, DlqCodec.PendingAction> actions = new LinkedHashMap<>();

    /** Applies one record of the dead-letter topic. */
    public void applyEntryRecord(LogRecord r) {
        DlqCodec.parse(r).ifPresent(this::apply);
    }

    /** Applies what a record says about its entry. */
    public void apply(DlqCodec.Parsed p) {
        switch (p) {
            case DlqCodec.Opened o -> open.put(o.id(), o.letter());
            case DlqCodec.Closed c -> open.remove(c.id());
        }
    }

    /** Applies one record of the actions topic; a tombstone finishes its action. */
    public void applyActionRecord(LogRecord r) {
        Optional<DlqCodec.PendingAction> a = DlqCodec.parseAction(r);
        if (a.isPresent()) {
            actions.put(a.get().action().id(), a.get());
        } else {
            DlqCodec.actionId(r).ifPresent(actions::remove);
        }
    }

    /** The open entries in original order, each with the first action that applies to it. */
    public List<DeadLetter> open() {
        List<DeadLetter> out = new ArrayList<>();
        for (DeadLetter d : open.values()) {
            out.add(d.withPendingAction(actionFor(d).map(DlqCodec.PendingAction::action)));
        }
        out.sort(ORIGINAL_ORDER);
        return out;
    }

    /** The first action, in request order, that applies to {@code letter}. */
    public Optional<DlqCodec.PendingAction> actionFor(DeadLetter letter) {
        for (DlqCodec.PendingAction a : actions.values()) {
            if (a.appliesTo(letter)) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }

    public Collection<DlqCodec.PendingAction> actions() {
        return actions.values();
    }
}
