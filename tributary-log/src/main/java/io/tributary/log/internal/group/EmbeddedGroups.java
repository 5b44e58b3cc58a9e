package io.tributary.log.internal.group;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.NotFoundException;
import io.tributary.log.Capability;
import io.tributary.log.ConsumerConfig;
import io.tributary.log.GroupDescription;
import io.tributary.log.GroupState;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogErrors;
import io.tributary.log.OffsetSpec;
import io.tributary.log.PartitionLag;
import io.tributary.log.TopicPartition;
import io.tributary.log.internal.ConsumerSide;
import io.tributary.log.internal.PartitionReads;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.WeakHashMap;

/**
 * The consumer side of the embedded engine: consumers ({@link EmbeddedConsumer}), consumer groups
 * ({@link GroupCoordinator}) and their committed offsets ({@link OffsetStore}, in {@code groupDir}).
 *
 * <p><b>Thread-safety:</b> thread-safe; each consumer it hands out is for one thread at a time.
 * <p><b>Durability:</b> commits, offset resets and group deletions return once fsynced; group membership is in memory
 * (members are consumers of this JVM) and starts empty on every open.
 * <p><b>Ordering:</b> admin changes to a group's offsets are serialized with its members' joins, so a reset can
 * never interleave with a member starting to read.
 */
public final class EmbeddedGroups implements ConsumerSide {

    private final PartitionReads reads;
    private final OffsetStore store;
    private final GroupCoordinator coordinator;
    /** Open consumers, held weakly so a consumer dropped without close can be collected (and time out). */
    private final Set<EmbeddedConsumer> consumers = Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));
    private volatile boolean closed;

    /**
     * @param reads    the storage side
     * @param groupDir folder for committed-offset checkpoints (created if missing)
     */
    public EmbeddedGroups(PartitionReads reads, Path groupDir) {
        this(reads, OffsetStore.open(groupDir));
    }

    EmbeddedGroups(PartitionReads reads, OffsetStore store) {
        this.reads = reads;
        this.store = store;
        this.coordinator = new GroupCoordinator(reads, store);
    }

    @Override
    public LogConsumer newConsumer(ConsumerConfig config) {
        ensureOpen();
        if (config.readCommitted()) {
            // The embedded engine has no transactions, so every record is committed; accepting the flag would let a
            // user believe aborted writes are filtered. Fail loudly, as for any capability not declared.
            throw new InvalidRequestException(ErrorCode.CAPABILITY_UNSUPPORTED, "The 'embedded' "
                    + "backend does not support " + Capability.TRANSACTIONS + ", so readCommitted=true means nothing "
                    + "here; drop withReadCommitted(true), or use a backend that declares TRANSACTIONS (e.g. "
                    + "tributary.log.backend=kafka)");
        }
        EmbeddedConsumer[] self = new EmbeddedConsumer[1];
        EmbeddedConsumer c = new EmbeddedConsumer(reads, store, coordinator, config, () -> consumers.remove(self[0]));
        self[0] = c;
        consumers.add(c);
        return c;
    }

    @Override
    public List<String> listGroups() {
        Set<String> ids = new TreeSet<>(store.groups());
        ids.addAll(coordinator.groupIds());
        return List.copyOf(ids);
    }

    @Override
    public GroupDescription describeGroup(String groupId) {
        var view = coordinator.describe(groupId);
        Map<TopicPartition, Long> committed = store.committed(groupId);
        if (view.isEmpty() && committed.isEmpty()) {
            throw new NotFoundException(LogErrors.GROUP_NOT_FOUND, "Group '" + groupId + "' does not exist (no "
                    + "members, no committed offsets); list groups with 'tributary log groups'");
        }
        Set<TopicPartition> partitions = new TreeSet<>(committed.keySet());
        view.ifPresent(v -> partitions.addAll(v.assigned()));
        List<PartitionLag> lags = new ArrayList<>();
        for (TopicPartition tp : partitions) {
            long end;
            try {
                end = reads.endOffset(tp);
            } catch (NotFoundException | InvalidRequestException gone) {
                continue; // topic deleted or shrunk between the two looks: nothing to lag behind
            }
            lags.add(new PartitionLag(tp, committed.getOrDefault(tp, -1L), end));
        }
        return new GroupDescription(groupId, view.map(GroupCoordinator.GroupView::state).orElse(GroupState.EMPTY),
                view.map(GroupCoordinator.GroupView::members).orElse(List.of()), lags);
    }

    @Override
    public Map<TopicPartition, Long> resetOffsets(String groupId, String topic, OffsetSpec spec) {
        ensureOpen();
        return coordinator.whileEmpty(groupId, "reset the offsets", () -> {
            int count = reads.partitionCount(topic);
            Map<TopicPartition, Long> target = new TreeMap<>();
            List<String> outOfRange = new ArrayList<>();
            for (int p = 0; p < count; p++) {
                TopicPartition tp = new TopicPartition(topic, p);
                long start = reads.startOffset(tp);
                long end = reads.endOffset(tp);
                long offset = switch (spec) {
                    case OffsetSpec.Earliest e -> start;
                    case OffsetSpec.Latest l -> end;
                    case OffsetSpec.AtTimestamp t -> {
                        OptionalLong at = reads.offsetForTimestamp(tp, t.timestamp());
                        yield at.isPresent() ? at.getAsLong() : end;
                    }
                    case OffsetSpec.AtOffset o -> o.offset();
                };
                if (offset < start || offset > end) {
                    outOfRange.add(tp + " holds [" + start + ", " + end + "]");
                }
                target.put(tp, offset);
            }
            if (!outOfRange.isEmpty()) {
                throw new InvalidRequestException(LogErrors.OFFSET_OUT_OF_RANGE, "Cannot reset group '" + groupId
                        + "' on topic '" + topic + "' to " + spec + ": " + String.join(", ", outOfRange)
                        + "; choose an offset inside every partition's range, or reset to earliest/latest. Nothing was "
                        + "changed");
            }
            store.commit(groupId, target);
            return Collections.unmodifiableMap(target);
        });
    }

    @Override
    public void deleteGroup(String groupId) {
        ensureOpen();
        coordinator.whileEmpty(groupId, "delete the committed offsets", () -> {
            if (store.committed(groupId).isEmpty()) {
                throw new NotFoundException(LogErrors.GROUP_NOT_FOUND, "Group '" + groupId + "' has no committed "
                        + "offsets to delete; list groups with 'tributary log groups'");
            }
            store.deleteGroup(groupId);
            return null;
        });
    }

    @Override
    public void topicDeleted(String topic) {
        ensureOpen();
        coordinator.topicDeleted(topic);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<EmbeddedConsumer> open;
        synchronized (consumers) {
            open = new ArrayList<>(consumers);
        }
        for (EmbeddedConsumer c : open) {
            c.closeFromOutside();
        }
        coordinator.close();
        store.close();
    }

    /** The coordinator's current targets, for tests. */
    GroupCoordinator coordinator() {
        return coordinator;
    }

    private void ensureOpen() {
        if (closed) {
            throw new InvalidRequestException(ErrorCode.CLOSED, "The event log's consumer side is "
                    + "closed; open the event log again");
        }
    }
}
