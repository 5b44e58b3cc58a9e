package io.tributary.log.tck;

import io.tributary.core.ConflictException;
import io.tributary.core.ErrorCode;
import io.tributary.core.Header;
import io.tributary.core.Headers;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.NotFoundException;
import io.tributary.core.Record;
import io.tributary.log.AppendCallback;
import io.tributary.log.AppendResult;
import io.tributary.log.Capability;
import io.tributary.log.ConsumerConfig;
import io.tributary.log.ConsumerGroupMetadata;
import io.tributary.log.EventLog;
import io.tributary.log.GroupDescription;
import io.tributary.log.GroupMember;
import io.tributary.log.GroupState;
import io.tributary.log.KeyPartitioner;
import io.tributary.log.LogAdmin;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogErrors;
import io.tributary.log.LogProducer;
import io.tributary.log.LogRecord;
import io.tributary.log.NewTopic;
import io.tributary.log.OffsetSpec;
import io.tributary.log.PartitionDescription;
import io.tributary.log.PartitionLag;
import io.tributary.log.ProducerConfig;
import io.tributary.log.RebalanceListener;
import io.tributary.log.TopicConfig;
import io.tributary.log.TopicDescription;
import io.tributary.log.TopicPartition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * The kit's own reference backend: the EventLog semantics in memory, as simply as they can be written, so the kit
 * is checked against a backend whose behaviour is obvious (a kit test that fails here is a bug in the kit), and so
 * the "undeclared capability fails loudly" half of every optional test runs too: this backend declares only
 * {@link Capability#CONSUMER_GROUPS} and {@link Capability#TIMESTAMP_SEEK}.
 *
 * <p>One monitor guards everything; waiting polls use it too. Group liveness comes from {@code poll} alone.
 * Rebalancing is eager and two-phase: an owner revokes in its own poll, and only then may the new owner be assigned.
 */
final class ReferenceLog implements EventLog {

    /**
     * A deliberate bug, for {@code KitCatchesFlawedBackendsTest}: with one switched on, the kit's test of that rule
     * must fail, proving the test can fail.
     */
    enum Flaw {
        /** Keyless records all go to partition 0. */
        KEYLESS_TO_ONE_PARTITION,
        /** Repeated header names keep only the last header. */
        DROPS_REPEATED_HEADERS,
        /** A timestamp seek skips a record exactly at the timestamp. */
        TIMESTAMP_SEEK_SKIPS_EXACT_MATCH,
        /** {@code maxPollRecords} is ignored. */
        IGNORES_MAX_POLL_RECORDS,
        /** Paused partitions still return records. */
        IGNORES_PAUSE,
        /** A new owner takes a partition at once, while the old owner hears of the revocation half a second later. */
        HANDS_OVER_BEFORE_REVOKE,
        /** A member may commit partitions it does not own. */
        COMMITS_UNOWNED_PARTITIONS,
        /** A new owner starts one past the committed offset. */
        RESUMES_ONE_PAST_THE_COMMIT,
        /** Offsets may be reset while members are active. */
        RESETS_ACTIVE_GROUPS,
        /** {@code readCommitted} is silently accepted without {@link Capability#TRANSACTIONS}. */
        IGNORES_READ_COMMITTED,
        /** The unknown-topic error does not say how to create the topic. */
        UNHELPFUL_UNKNOWN_TOPIC_ERROR,
        /** The callback form of append throws an error known before sending instead of calling back with it. */
        CALLBACK_APPEND_THROWS_REFUSALS
    }

    private final Set<Flaw> flaws;
    private final Object lock = new Object();
    private final Map<String, Topic> topics = new TreeMap<>();
    private final Map<String, Group> groups = new TreeMap<>();
    private final List<AutoCloseable> handedOut = new ArrayList<>();
    private final AtomicInteger keyless = new AtomicInteger();
    private boolean closed;

    private record Topic(String name, TopicConfig config, List<List<LogRecord>> partitions) {
    }

    private static final class Group {
        final String id;
        final Map<String, Member> members = new LinkedHashMap<>();
        final Map<TopicPartition, Long> committed = new TreeMap<>();
        int generation;

        Group(String id) {
            this.id = id;
        }
    }

    private static final class Member {
        final String id;
        final Ref consumer;
        final Set<String> topics;
        final Set<TopicPartition> owned = new TreeSet<>();
        Set<TopicPartition> target = new TreeSet<>();
        long targetSince = System.nanoTime();
        long lastPoll = System.nanoTime();

        Member(String id, Ref consumer, Set<String> topics) {
            this.id = id;
            this.consumer = consumer;
            this.topics = topics;
        }
    }

    ReferenceLog() {
        this(Set.of());
    }

    ReferenceLog(Set<Flaw> flaws) {
        this.flaws = Set.copyOf(flaws);
    }

    private boolean has(Flaw flaw) {
        return flaws.contains(flaw);
    }

    @Override
    public String backend() {
        return "reference";
    }

    @Override
    public Set<Capability> capabilities() {
        return EnumSet.of(Capability.CONSUMER_GROUPS, Capability.TIMESTAMP_SEEK);
    }

    @Override
    public LogAdmin admin() {
        return new Admin();
    }

    @Override
    public LogProducer producer(ProducerConfig config) {
        Producer p = new Producer();
        synchronized (lock) {
            handedOut.add(p);
        }
        return p;
    }

    @Override
    public LogConsumer consumer(ConsumerConfig config) {
        if (config.readCommitted() && !has(Flaw.IGNORES_READ_COMMITTED)) {
            throw unsupported(Capability.TRANSACTIONS);
        }
        Ref c = new Ref(config);
        synchronized (lock) {
            handedOut.add(c);
        }
        return c;
    }

    @Override
    public void close() {
        List<AutoCloseable> all;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            all = new ArrayList<>(handedOut);
        }
        for (AutoCloseable c : all) {
            try {
                c.close();
            } catch (Exception ignored) {
                // closing everything it handed out; one failure must not stop the rest
            }
        }
    }

    // ---- storage ----

    private Topic topic(String name) {
        Topic t = topics.get(name);
        if (t == null) {
            throw new NotFoundException(LogErrors.TOPIC_NOT_FOUND, has(Flaw.UNHELPFUL_UNKNOWN_TOPIC_ERROR)
                    ? "Topic '" + name + "' does not exist."
                    : "Topic '" + name + "' does not exist; create it with 'tributary log create-topic " + name
                    + " --partitions 8'.");
        }
        return t;
    }

    private List<LogRecord> partition(TopicPartition tp) {
        Topic t = topic(tp.topic());
        if (tp.partition() >= t.partitions().size()) {
            throw outOfRange(tp.topic(), tp.partition(), t.partitions().size());
        }
        return t.partitions().get(tp.partition());
    }

    private static InvalidRequestException outOfRange(String topic, int partition, int count) {
        return new InvalidRequestException(LogErrors.PARTITION_OUT_OF_RANGE, "Partition " + partition + " of topic '"
                + topic + "' does not exist; it has " + count + " partitions, numbered 0 to " + (count - 1) + ".");
    }

    private long end(TopicPartition tp) {
        return partition(tp).size();
    }

    private long offsetForTimestamp(TopicPartition tp, long timestamp) {
        for (LogRecord r : partition(tp)) {
            if (r.timestamp() > timestamp || r.timestamp() == timestamp && !has(Flaw.TIMESTAMP_SEEK_SKIPS_EXACT_MATCH)) {
                return r.offset();
            }
        }
        return end(tp);
    }

    private final class Producer implements LogProducer {
        private volatile boolean producerClosed;

        @Override
        public CompletableFuture<AppendResult> append(String topic, Record record) {
            int partition;
            synchronized (lock) {
                int count = topic(topic).partitions().size();
                byte[] key = record.key();
                partition = key == null ? (has(Flaw.KEYLESS_TO_ONE_PARTITION) ? 0 : Math.floorMod(keyless.getAndIncrement(), count))
                        : KeyPartitioner.partitionForKey(key, count);
            }
            return append(topic, partition, record);
        }

        @Override
        public CompletableFuture<AppendResult> append(String topic, int partition, Record record) {
            if (producerClosed) {
                throw new InvalidRequestException(ErrorCode.CLOSED, "This producer is closed; open a new one with log.producer().");
            }
            synchronized (lock) {
                Topic t = topic(topic);
                if (partition < 0 || partition >= t.partitions().size()) {
                    throw outOfRange(topic, partition, t.partitions().size());
                }
                int max = t.config().maxMessageBytes();
                if (record.sizeInBytes() > max) {
                    throw tooLarge(topic, record, max);
                }
                List<LogRecord> p = t.partitions().get(partition);
                Headers headers = record.headers();
                if (has(Flaw.DROPS_REPEATED_HEADERS)) {
                    Map<String, Header> last = new LinkedHashMap<>();
                    headers.all().forEach(h -> last.put(h.name(), h));
                    headers = Headers.of(List.copyOf(last.values()));
                }
                LogRecord stored = new LogRecord(topic, partition, p.size(), record.timestamp(), record.key(),
                        record.value(), headers);
                p.add(stored);
                lock.notifyAll();
                return CompletableFuture.completedFuture(new AppendResult(topic, partition, stored.offset(),
                        stored.timestamp()));
            }
        }

        @Override
        public void append(String topic, int partition, Record record, AppendCallback callback) {
            if (has(Flaw.CALLBACK_APPEND_THROWS_REFUSALS)) {
                append(topic, partition, record).whenComplete((r, e) -> callback.onCompletion(r, null));
            } else {
                LogProducer.super.append(topic, partition, record, callback);
            }
        }

        @Override
        public CompletableFuture<List<AppendResult>> appendAll(String topic, List<Record> records) {
            synchronized (lock) {
                Topic t = topic(topic);
                int max = t.config().maxMessageBytes();
                for (Record r : records) {
                    if (r.sizeInBytes() > max) {
                        throw tooLarge(topic, r, max); // before any of the list is stored
                    }
                }
            }
            List<AppendResult> out = new ArrayList<>();
            for (Record r : records) {
                out.add(append(topic, r).join());
            }
            return CompletableFuture.completedFuture(out);
        }

        private static InvalidRequestException tooLarge(String topic, Record record, int max) {
            return new InvalidRequestException(LogErrors.RECORD_TOO_LARGE, "A record of " + record.sizeInBytes()
                    + " bytes is over topic '" + topic + "' max.message.bytes=" + max
                    + "; split it or raise max.message.bytes.");
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
            producerClosed = true;
        }
    }

    // ---- admin ----

    private final class Admin implements LogAdmin {

        @Override
        public TopicDescription createTopic(NewTopic topic) {
            TopicConfig c = topic.config();
            if (c.overrides().containsKey(TopicConfig.RETENTION_MS) || c.overrides().containsKey(TopicConfig.RETENTION_BYTES)) {
                throw unsupported(Capability.RETENTION);
            }
            if (c.isCompacted()) {
                throw unsupported(Capability.COMPACTION);
            }
            if (c.hasExplicitDurability()) {
                throw unsupported(Capability.DURABILITY_MODES);
            }
            synchronized (lock) {
                if (topics.containsKey(topic.name())) {
                    throw new ConflictException(LogErrors.TOPIC_ALREADY_EXISTS, "Topic '" + topic.name()
                            + "' already exists; pick another name or delete it first.");
                }
                List<List<LogRecord>> parts = new ArrayList<>();
                for (int i = 0; i < topic.partitions(); i++) {
                    parts.add(new ArrayList<>());
                }
                topics.put(topic.name(), new Topic(topic.name(), c, parts));
                lock.notifyAll();
                return describeTopic(topic.name());
            }
        }

        @Override
        public TopicDescription describeTopic(String name) {
            synchronized (lock) {
                Topic t = topic(name);
                List<PartitionDescription> ps = new ArrayList<>();
                for (int i = 0; i < t.partitions().size(); i++) {
                    List<LogRecord> p = t.partitions().get(i);
                    ps.add(new PartitionDescription(i, 0, p.size(), p.stream().mapToLong(LogRecord::sizeInBytes).sum() + 1));
                }
                return new TopicDescription(name, ps, t.config());
            }
        }

        @Override
        public boolean topicExists(String name) {
            synchronized (lock) {
                return topics.containsKey(name);
            }
        }

        @Override
        public List<String> listTopics() {
            synchronized (lock) {
                return List.copyOf(topics.keySet());
            }
        }

        @Override
        public void deleteTopic(String name) {
            synchronized (lock) {
                topic(name);
                topics.remove(name);
                for (Group g : groups.values()) {
                    g.committed.keySet().removeIf(tp -> tp.topic().equals(name));
                    retarget(g);
                }
                lock.notifyAll();
            }
        }

        @Override
        public TopicDescription alterTopicConfig(String name, Map<String, String> changes) {
            synchronized (lock) {
                Topic t = topic(name);
                TopicConfig altered = t.config().withAll(changes);
                topics.put(name, new Topic(name, altered, t.partitions()));
                return describeTopic(name);
            }
        }

        @Override
        public List<String> listGroups() {
            synchronized (lock) {
                return List.copyOf(groups.keySet());
            }
        }

        @Override
        public GroupDescription describeGroup(String groupId) {
            synchronized (lock) {
                Group g = group(groupId);
                expire(g);
                List<GroupMember> ms = g.members.values().stream()
                        .map(m -> new GroupMember(m.id, m.consumer.config.clientId(), m.owned)).toList();
                Set<TopicPartition> listed = new TreeSet<>(g.committed.keySet());
                g.members.values().forEach(m -> listed.addAll(m.owned));
                List<PartitionLag> lags = listed.stream().filter(tp -> topics.containsKey(tp.topic()))
                        .map(tp -> new PartitionLag(tp, g.committed.getOrDefault(tp, -1L), end(tp))).toList();
                GroupState state = g.members.isEmpty() ? GroupState.EMPTY
                        : g.members.values().stream().allMatch(m -> m.owned.equals(m.target)) ? GroupState.STABLE
                        : GroupState.PREPARING_REBALANCE;
                return new GroupDescription(groupId, state, ms, lags);
            }
        }

        @Override
        public Map<TopicPartition, Long> resetOffsets(String groupId, String topic, OffsetSpec spec) {
            synchronized (lock) {
                Group g = groups.computeIfAbsent(groupId, Group::new);
                expire(g);
                if (!g.members.isEmpty() && !has(Flaw.RESETS_ACTIVE_GROUPS)) {
                    throw new ConflictException(LogErrors.GROUP_NOT_EMPTY, "Group '" + groupId + "' has active members "
                            + g.members.keySet() + "; stop them before resetting its offsets.");
                }
                Topic t = topic(topic);
                Map<TopicPartition, Long> out = new TreeMap<>();
                for (int i = 0; i < t.partitions().size(); i++) {
                    TopicPartition tp = new TopicPartition(topic, i);
                    long offset = switch (spec) {
                        case OffsetSpec.Earliest e -> 0L;
                        case OffsetSpec.Latest l -> end(tp);
                        case OffsetSpec.AtTimestamp a -> offsetForTimestamp(tp, a.timestamp());
                        case OffsetSpec.AtOffset a -> {
                            if (a.offset() < 0 || a.offset() > end(tp)) {
                                throw new InvalidRequestException(LogErrors.OFFSET_OUT_OF_RANGE, "Offset " + a.offset()
                                        + " is outside " + tp + " [0, " + end(tp) + "]; pick an offset in that range.");
                            }
                            yield a.offset();
                        }
                    };
                    out.put(tp, offset);
                }
                g.committed.putAll(out);
                return out;
            }
        }

        @Override
        public void deleteGroup(String groupId) {
            synchronized (lock) {
                Group g = group(groupId);
                expire(g);
                if (!g.members.isEmpty()) {
                    throw new ConflictException(LogErrors.GROUP_NOT_EMPTY, "Group '" + groupId + "' has active members "
                            + g.members.keySet() + "; stop them before deleting it.");
                }
                groups.remove(groupId);
            }
        }
    }

    private Group group(String groupId) {
        Group g = groups.get(groupId);
        if (g == null) {
            throw new NotFoundException(LogErrors.GROUP_NOT_FOUND, "Group '" + groupId + "' does not exist; "
                    + "list groups with 'tributary log groups'.");
        }
        return g;
    }

    // ---- groups ----

    /** Removes members not heard from within their session timeout or max poll interval; their partitions are lost. */
    private void expire(Group g) {
        long now = System.nanoTime();
        boolean changed = g.members.values().removeIf(m -> {
            long idle = now - m.lastPoll;
            return idle > m.consumer.config.sessionTimeout().toNanos()
                    || idle > m.consumer.config.maxPollInterval().toNanos();
        });
        if (changed) {
            retarget(g);
        }
    }

    /** Spreads every subscribed partition over the members, round-robin in member order. */
    private void retarget(Group g) {
        g.generation++;
        List<Member> ms = new ArrayList<>(g.members.values());
        ms.forEach(m -> {
            m.target = new TreeSet<>();
            m.targetSince = System.nanoTime();
        });
        if (ms.isEmpty()) {
            return;
        }
        Set<String> wanted = new TreeSet<>();
        ms.forEach(m -> wanted.addAll(m.topics));
        int i = 0;
        for (String t : wanted) {
            Topic topic = topics.get(t);
            if (topic == null) {
                continue;
            }
            for (int p = 0; p < topic.partitions().size(); p++) {
                ms.get(i++ % ms.size()).target.add(new TopicPartition(t, p));
            }
        }
        lock.notifyAll();
    }

    private final class Ref implements LogConsumer {
        final ConsumerConfig config;
        private final Map<TopicPartition, Long> positions = new TreeMap<>();
        private final Set<TopicPartition> paused = new TreeSet<>();
        private @Nullable Member member;
        private @Nullable Group group;
        private RebalanceListener listener = RebalanceListener.NONE;
        private volatile boolean wakeup;
        private volatile boolean consumerClosed;

        Ref(ConsumerConfig config) {
            this.config = config;
        }

        @Override
        public void assign(Collection<TopicPartition> partitions) {
            synchronized (lock) {
                for (TopicPartition tp : partitions) {
                    partition(tp);
                }
                positions.clear();
                paused.clear();
                for (TopicPartition tp : partitions) {
                    positions.put(tp, config.autoOffsetReset() == ConsumerConfig.AutoOffsetReset.LATEST ? end(tp) : 0L);
                }
            }
        }

        @Override
        public void subscribe(Collection<String> subscribed, RebalanceListener rebalanceListener) {
            String groupId = config.groupId().orElseThrow(() -> new InvalidRequestException(LogErrors.GROUP_ID_REQUIRED,
                    "subscribe needs a consumer group; set one with ConsumerConfig.forGroup(\"billing\")."));
            synchronized (lock) {
                Group g = groups.computeIfAbsent(groupId, Group::new);
                Member m = new Member(config.clientId() + "-" + UUID.randomUUID(), this, Set.copyOf(subscribed));
                g.members.put(m.id, m);
                group = g;
                member = m;
                listener = rebalanceListener;
                retarget(g);
            }
        }

        @Override
        public void unsubscribe() {
            leave();
            synchronized (lock) {
                positions.clear();
                paused.clear();
            }
        }

        private void leave() {
            Member m;
            synchronized (lock) {
                m = member;
            }
            if (m == null) {
                return;
            }
            Set<TopicPartition> owned;
            synchronized (lock) {
                owned = Set.copyOf(m.owned);
            }
            if (!owned.isEmpty()) {
                listener.onPartitionsRevoked(owned);
            }
            synchronized (lock) {
                Group g = group;
                m.owned.clear();
                if (g != null && g.members.remove(m.id) != null) {
                    retarget(g);
                }
                owned.forEach(positions::remove);
                member = null;
                group = null;
            }
        }

        @Override
        public Set<TopicPartition> assignment() {
            synchronized (lock) {
                return Set.copyOf(positions.keySet());
            }
        }

        /** Heartbeat, then revoke what moved away, then take what is free: the member's side of a rebalance. */
        private void rebalance() {
            Member m = member;
            Group g = group;
            if (m == null || g == null) {
                return;
            }
            Set<TopicPartition> revoke;
            synchronized (lock) {
                if (!g.members.containsKey(m.id)) {
                    // Expired while not polling: the partitions are lost; join again as a new member.
                    Set<TopicPartition> lost = Set.copyOf(m.owned);
                    m.owned.clear();
                    lost.forEach(positions::remove);
                    Member again = new Member(config.clientId() + "-" + UUID.randomUUID(), this, m.topics);
                    g.members.put(again.id, again);
                    member = again;
                    retarget(g);
                    return;
                }
                m.lastPoll = System.nanoTime();
                expire(g);
                revoke = new TreeSet<>(m.owned);
                revoke.removeAll(m.target);
                if (has(Flaw.HANDS_OVER_BEFORE_REVOKE) && System.nanoTime() - m.targetSince < 500_000_000L) {
                    revoke.clear();
                }
            }
            if (!revoke.isEmpty()) {
                listener.onPartitionsRevoked(revoke);
                synchronized (lock) {
                    m.owned.removeAll(revoke);
                    revoke.forEach(positions::remove);
                    revoke.forEach(paused::remove);
                    lock.notifyAll();
                }
            }
            Set<TopicPartition> take = new TreeSet<>();
            synchronized (lock) {
                for (TopicPartition tp : m.target) {
                    boolean free = has(Flaw.HANDS_OVER_BEFORE_REVOKE)
                            || g.members.values().stream().noneMatch(o -> o != m && o.owned.contains(tp));
                    if (!m.owned.contains(tp) && free) {
                        take.add(tp);
                    }
                }
                for (TopicPartition tp : take) {
                    Long committed = g.committed.get(tp);
                    long position;
                    if (committed != null) {
                        position = has(Flaw.RESUMES_ONE_PAST_THE_COMMIT) ? Math.min(committed + 1, end(tp)) : committed;
                    } else if (config.autoOffsetReset() == ConsumerConfig.AutoOffsetReset.NONE) {
                        throw new InvalidRequestException(LogErrors.NO_COMMITTED_OFFSET, "Group '" + g.id
                                + "' has no committed offset for " + tp + " and autoOffsetReset is NONE; reset the "
                                + "group's offsets or choose EARLIEST or LATEST.");
                    } else {
                        position = config.autoOffsetReset() == ConsumerConfig.AutoOffsetReset.LATEST ? end(tp) : 0L;
                    }
                    positions.put(tp, position);
                    m.owned.add(tp);
                }
            }
            if (!take.isEmpty()) {
                listener.onPartitionsAssigned(take);
            }
        }

        @Override
        public List<LogRecord> poll(Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                if (consumerClosed) {
                    throw new InvalidRequestException(ErrorCode.CLOSED, "This consumer is closed; open a new one.");
                }
                rebalance();
                synchronized (lock) {
                    List<LogRecord> out = new ArrayList<>();
                    long bytes = 0;
                    for (Map.Entry<TopicPartition, Long> e : positions.entrySet()) {
                        if (paused.contains(e.getKey()) && !has(Flaw.IGNORES_PAUSE) || !topics.containsKey(e.getKey().topic())) {
                            continue;
                        }
                        List<LogRecord> p = partition(e.getKey());
                        long pos = e.getValue();
                        int maxRecords = has(Flaw.IGNORES_MAX_POLL_RECORDS) ? Integer.MAX_VALUE : config.maxPollRecords();
                        while (pos < p.size() && out.size() < maxRecords) {
                            LogRecord r = p.get((int) pos);
                            if (!out.isEmpty() && bytes + r.sizeInBytes() > config.maxPollBytes()) {
                                break;
                            }
                            out.add(r);
                            bytes += r.sizeInBytes();
                            pos++;
                        }
                        e.setValue(pos);
                    }
                    if (!out.isEmpty()) {
                        return out;
                    }
                    long left = deadline - System.nanoTime();
                    if (wakeup) {
                        wakeup = false;
                        return List.of();
                    }
                    if (left <= 0) {
                        return List.of();
                    }
                    try {
                        lock.wait(Math.max(1, Math.min(50, left / 1_000_000)));
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        return List.of();
                    }
                }
            }
        }

        private long checkedPosition(TopicPartition tp) {
            Long p = positions.get(tp);
            if (p == null) {
                throw new InvalidRequestException(LogErrors.NOT_ASSIGNED, tp + " is not assigned to this consumer; "
                        + "assign it first (assigned: " + positions.keySet() + ").");
            }
            return p;
        }

        @Override
        public void seek(TopicPartition tp, long offset) {
            synchronized (lock) {
                checkedPosition(tp);
                long end = end(tp);
                if (offset < 0 || offset > end) {
                    throw new InvalidRequestException(LogErrors.OFFSET_OUT_OF_RANGE, "Offset " + offset + " is outside "
                            + tp + " [0, " + end + "]; seek to an offset in that range, or seekToEnd.");
                }
                positions.put(tp, offset);
            }
        }

        @Override
        public void seekToBeginning(Collection<TopicPartition> partitions) {
            synchronized (lock) {
                for (TopicPartition tp : partitions) {
                    checkedPosition(tp);
                    positions.put(tp, 0L);
                }
            }
        }

        @Override
        public void seekToEnd(Collection<TopicPartition> partitions) {
            synchronized (lock) {
                for (TopicPartition tp : partitions) {
                    checkedPosition(tp);
                    positions.put(tp, end(tp));
                }
            }
        }

        @Override
        public void seekToTimestamp(Collection<TopicPartition> partitions, long timestamp) {
            synchronized (lock) {
                for (TopicPartition tp : partitions) {
                    checkedPosition(tp);
                    positions.put(tp, offsetForTimestamp(tp, timestamp));
                }
            }
        }

        @Override
        public long position(TopicPartition tp) {
            synchronized (lock) {
                return checkedPosition(tp);
            }
        }

        @Override
        public void pause(Collection<TopicPartition> partitions) {
            synchronized (lock) {
                partitions.forEach(this::checkedPosition);
                paused.addAll(partitions);
            }
        }

        @Override
        public void resume(Collection<TopicPartition> partitions) {
            synchronized (lock) {
                paused.removeAll(partitions);
            }
        }

        @Override
        public Set<TopicPartition> paused() {
            synchronized (lock) {
                return Set.copyOf(paused);
            }
        }

        @Override
        public void commitSync() {
            synchronized (lock) {
                commitSync(Map.copyOf(positions));
            }
        }

        @Override
        public void commitSync(Map<TopicPartition, Long> offsets) {
            if (config.groupId().isEmpty()) {
                throw new InvalidRequestException(LogErrors.GROUP_ID_REQUIRED, "commitSync needs a consumer group; set "
                        + "one with ConsumerConfig.forGroup(\"billing\").");
            }
            synchronized (lock) {
                Group g = groups.computeIfAbsent(config.groupId().get(), Group::new);
                Member m = member;
                for (TopicPartition tp : offsets.keySet()) {
                    if (m == null || !m.owned.contains(tp) && !has(Flaw.COMMITS_UNOWNED_PARTITIONS)) {
                        throw new ConflictException(LogErrors.NOT_PARTITION_OWNER, "This member does not own " + tp
                                + " in group '" + g.id + "'; commit only partitions assigned to it (it owns "
                                + (m == null ? "nothing" : m.owned) + ").");
                    }
                }
                g.committed.putAll(offsets);
            }
        }

        @Override
        public Map<TopicPartition, Long> committed(Set<TopicPartition> partitions) {
            synchronized (lock) {
                Group g = config.groupId().map(groups::get).orElse(null);
                Map<TopicPartition, Long> out = new HashMap<>();
                if (g != null) {
                    for (TopicPartition tp : partitions) {
                        Long c = g.committed.get(tp);
                        if (c != null) {
                            out.put(tp, c);
                        }
                    }
                }
                return out;
            }
        }

        @Override
        public Map<TopicPartition, Long> beginningOffsets(Collection<TopicPartition> partitions) {
            synchronized (lock) {
                Map<TopicPartition, Long> out = new HashMap<>();
                partitions.forEach(tp -> out.put(tp, partition(tp).isEmpty() ? 0L : partition(tp).getFirst().offset()));
                return out;
            }
        }

        @Override
        public Map<TopicPartition, Long> endOffsets(Collection<TopicPartition> partitions) {
            synchronized (lock) {
                Map<TopicPartition, Long> out = new HashMap<>();
                partitions.forEach(tp -> out.put(tp, end(tp)));
                return out;
            }
        }

        @Override
        public int partitionCount(String topic) {
            synchronized (lock) {
                return topic(topic).partitions().size();
            }
        }

        @Override
        public Optional<ConsumerGroupMetadata> groupMetadata() {
            synchronized (lock) {
                Member m = member;
                Group g = group;
                return m == null || g == null ? Optional.empty()
                        : Optional.of(new ConsumerGroupMetadata(g.id, g.generation, m.id));
            }
        }

        @Override
        public void wakeup() {
            wakeup = true;
            synchronized (lock) {
                lock.notifyAll();
            }
        }

        @Override
        public void close() {
            if (consumerClosed) {
                return;
            }
            leave();
            consumerClosed = true;
        }
    }
}
