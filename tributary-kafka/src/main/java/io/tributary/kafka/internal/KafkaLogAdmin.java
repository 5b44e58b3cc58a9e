package io.tributary.kafka.internal;

import io.tributary.core.ConflictException;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.NotFoundException;
import io.tributary.kafka.KafkaLogConfig;
import io.tributary.log.GroupDescription;
import io.tributary.log.GroupMember;
import io.tributary.log.GroupState;
import io.tributary.log.LogAdmin;
import io.tributary.log.LogErrors;
import io.tributary.log.NewTopic;
import io.tributary.log.OffsetSpec;
import io.tributary.log.PartitionDescription;
import io.tributary.log.PartitionLag;
import io.tributary.log.TopicConfig;
import io.tributary.log.TopicDescription;
import io.tributary.log.TopicPartition;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.ReplicaInfo;
import org.apache.kafka.clients.admin.TopicListing;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * {@link LogAdmin} on Kafka's admin client. Topic configs are translated by {@link TopicConfigMapping}; only the
 * configs set on the topic itself count as overrides. Thread-safe (the admin client is).
 */
final class KafkaLogAdmin implements LogAdmin {

    /** How long a created or deleted topic may take to show on every broker's metadata. */
    private static final long PROPAGATION_MS = 15_000;

    private final Admin admin;
    private final KafkaErrors errors;
    private final TopicCatalog catalog;
    private final KafkaLogConfig config;
    private final long timeoutMs;

    KafkaLogAdmin(Admin admin, KafkaErrors errors, TopicCatalog catalog, KafkaLogConfig config, long timeoutMs) {
        this.admin = admin;
        this.errors = errors;
        this.catalog = catalog;
        this.config = config;
        this.timeoutMs = timeoutMs;
    }

    private <T> T get(KafkaFuture<T> future, String what) {
        try {
            return future.get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw errors.translate(e, what, timeoutMs);
        } catch (java.util.concurrent.TimeoutException e) {
            throw errors.translate(new org.apache.kafka.common.errors.TimeoutException("no answer"), what, timeoutMs);
        } catch (Exception e) {
            throw errors.translate(e, what, timeoutMs);
        }
    }

    // ---- topics ----

    @Override
    public TopicDescription createTopic(NewTopic topic) {
        Map<String, String> configs = new LinkedHashMap<>(config.topicDefaults());
        configs.putAll(TopicConfigMapping.toKafka(topic.config()));
        Optional<Short> rf = config.replicationFactor() < 0 ? Optional.empty() : Optional.of(config.replicationFactor());
        org.apache.kafka.clients.admin.NewTopic nt = new org.apache.kafka.clients.admin.NewTopic(topic.name(),
                Optional.of(topic.partitions()), rf).configs(configs);
        String what = "create topic '" + topic.name() + "'";
        get(admin.createTopics(List.of(nt)).all(), what);
        catalog.forget(topic.name());
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PROPAGATION_MS);
        while (true) {
            try {
                return describeTopic(topic.name());
            } catch (NotFoundException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                pause();
            }
        }
    }

    @Override
    public TopicDescription describeTopic(String topic) {
        String what = "describe topic '" + topic + "'";
        org.apache.kafka.clients.admin.TopicDescription d;
        try {
            d = get(admin.describeTopics(List.of(topic)).allTopicNames(), what).get(topic);
        } catch (NotFoundException e) {
            throw TopicCatalog.topicNotFound(topic);
        }
        TopicConfig cfg = TopicConfigMapping.fromKafka(overrides(topic, what));
        List<org.apache.kafka.common.TopicPartition> tps = d.partitions().stream()
                .map(p -> new org.apache.kafka.common.TopicPartition(topic, p.partition())).toList();
        Map<org.apache.kafka.common.TopicPartition, Long> starts = offsets(tps, org.apache.kafka.clients.admin.OffsetSpec.earliest(), what);
        Map<org.apache.kafka.common.TopicPartition, Long> ends = offsets(tps, org.apache.kafka.clients.admin.OffsetSpec.latest(), what);
        Map<Integer, Long> sizes = sizes(topic, d.partitions());
        List<PartitionDescription> parts = new ArrayList<>();
        for (TopicPartitionInfo p : d.partitions()) {
            var tp = new org.apache.kafka.common.TopicPartition(topic, p.partition());
            parts.add(new PartitionDescription(p.partition(), starts.get(tp), ends.get(tp), sizes.getOrDefault(p.partition(), -1L)));
        }
        parts.sort((a, b) -> Integer.compare(a.partition(), b.partition()));
        return new TopicDescription(topic, parts, cfg);
    }

    /** The configs set on the topic itself (not inherited from the broker). */
    private Map<String, String> overrides(String topic, String what) {
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config c;
        try {
            c = get(admin.describeConfigs(List.of(r)).all(), what).get(r);
        } catch (NotFoundException e) {
            throw TopicCatalog.topicNotFound(topic);
        }
        Map<String, String> out = new HashMap<>();
        for (ConfigEntry e : c.entries()) {
            if (e.source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG && e.value() != null) {
                out.put(e.name(), e.value());
            }
        }
        return out;
    }

    private Map<org.apache.kafka.common.TopicPartition, Long> offsets(Collection<org.apache.kafka.common.TopicPartition> tps,
                                                                      org.apache.kafka.clients.admin.OffsetSpec spec, String what) {
        Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> req = new HashMap<>();
        tps.forEach(tp -> req.put(tp, spec));
        Map<org.apache.kafka.common.TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> res =
                get(admin.listOffsets(req).all(), what);
        Map<org.apache.kafka.common.TopicPartition, Long> out = new HashMap<>();
        res.forEach((tp, info) -> out.put(tp, info.offset()));
        return out;
    }

    /** Bytes on disk per partition, from the leader's log dir; absent where the cluster will not say. */
    private Map<Integer, Long> sizes(String topic, List<TopicPartitionInfo> partitions) {
        Map<Integer, Long> out = new HashMap<>();
        Set<Integer> leaders = partitions.stream().filter(p -> p.leader() != null).map(p -> p.leader().id())
                .collect(Collectors.toSet());
        if (leaders.isEmpty()) {
            return out;
        }
        try {
            Map<Integer, Map<String, LogDirDescription>> dirs = admin.describeLogDirs(leaders).allDescriptions()
                    .get(timeoutMs, TimeUnit.MILLISECONDS);
            for (TopicPartitionInfo p : partitions) {
                if (p.leader() == null) {
                    continue;
                }
                for (LogDirDescription dir : dirs.getOrDefault(p.leader().id(), Map.of()).values()) {
                    ReplicaInfo ri = dir.replicaInfos().get(new org.apache.kafka.common.TopicPartition(topic, p.partition()));
                    if (ri != null) {
                        out.put(p.partition(), ri.size());
                    }
                }
            }
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            // Sizes are informative (-1 = cannot tell), e.g. without DESCRIBE on the cluster.
        }
        return out;
    }

    @Override
    public boolean topicExists(String topic) {
        try {
            get(admin.describeTopics(List.of(topic)).allTopicNames(), "look up topic '" + topic + "'");
            return true;
        } catch (NotFoundException e) {
            return false;
        }
    }

    @Override
    public List<String> listTopics() {
        Collection<TopicListing> listings = get(admin.listTopics().listings(), "list topics");
        return listings.stream().map(TopicListing::name).sorted().toList();
    }

    @Override
    public void deleteTopic(String topic) {
        String what = "delete topic '" + topic + "'";
        try {
            get(admin.deleteTopics(List.of(topic)).all(), what);
        } catch (NotFoundException e) {
            throw TopicCatalog.topicNotFound(topic);
        }
        catalog.forget(topic);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PROPAGATION_MS);
        while (topicExists(topic) && System.nanoTime() < deadline) {
            pause();
        }
    }

    @Override
    public TopicDescription alterTopicConfig(String topic, Map<String, String> changes) {
        String what = "alter the config of topic '" + topic + "'";
        TopicConfig current = TopicConfigMapping.fromKafka(overrides(topic, what));
        TopicConfig next = current.withAll(changes);
        Map<String, String> before = TopicConfigMapping.toKafka(current);
        Map<String, String> after = TopicConfigMapping.toKafka(next);
        List<AlterConfigOp> ops = new ArrayList<>();
        after.forEach((k, v) -> {
            if (!v.equals(before.get(k))) {
                ops.add(new AlterConfigOp(new ConfigEntry(k, v), AlterConfigOp.OpType.SET));
            }
        });
        before.keySet().stream().filter(k -> !after.containsKey(k))
                .forEach(k -> ops.add(new AlterConfigOp(new ConfigEntry(k, ""), AlterConfigOp.OpType.DELETE)));
        if (!ops.isEmpty()) {
            ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            get(admin.incrementalAlterConfigs(Map.of(r, ops)).all(), what);
        }
        catalog.forget(topic);
        // The change is committed by the controller; wait until the brokers serve it, so a describe agrees.
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PROPAGATION_MS);
        while (true) {
            TopicDescription d = describeTopic(topic);
            if (d.config().equals(next) || System.nanoTime() > deadline) {
                return d;
            }
            pause();
        }
    }

    // ---- groups ----

    @Override
    public List<String> listGroups() {
        return get(admin.listGroups(ListGroupsOptions.forConsumerGroups()).all(), "list consumer groups").stream()
                .map(org.apache.kafka.clients.admin.GroupListing::groupId).sorted().toList();
    }

    private Optional<ConsumerGroupDescription> describeKafkaGroup(String groupId, String what) {
        try {
            ConsumerGroupDescription d = get(admin.describeConsumerGroups(List.of(groupId)).describedGroups().get(groupId), what);
            return d.groupState() == org.apache.kafka.common.GroupState.DEAD ? Optional.empty() : Optional.of(d);
        } catch (NotFoundException e) {
            if (KafkaErrors.unwrap(e.getCause() == null ? e : e.getCause()) instanceof GroupIdNotFoundException) {
                return Optional.empty();
            }
            throw e;
        }
    }

    private Map<org.apache.kafka.common.TopicPartition, Long> committed(String groupId, String what) {
        Map<org.apache.kafka.common.TopicPartition, OffsetAndMetadata> raw;
        try {
            raw = get(admin.listConsumerGroupOffsets(groupId).partitionsToOffsetAndMetadata(), what);
        } catch (NotFoundException e) {
            return Map.of();
        }
        Map<org.apache.kafka.common.TopicPartition, Long> out = new HashMap<>();
        raw.forEach((tp, om) -> {
            if (om != null) {
                out.put(tp, om.offset());
            }
        });
        return out;
    }

    @Override
    public GroupDescription describeGroup(String groupId) {
        String what = "describe group '" + groupId + "'";
        Optional<ConsumerGroupDescription> d = describeKafkaGroup(groupId, what);
        Map<org.apache.kafka.common.TopicPartition, Long> committed = committed(groupId, what);
        List<GroupMember> members = new ArrayList<>();
        Set<org.apache.kafka.common.TopicPartition> partitions = new HashSet<>(committed.keySet());
        if (d.isPresent()) {
            for (MemberDescription m : d.get().members()) {
                Set<TopicPartition> assignment = new HashSet<>();
                for (org.apache.kafka.common.TopicPartition tp : m.assignment().topicPartitions()) {
                    assignment.add(new TopicPartition(tp.topic(), tp.partition()));
                    partitions.add(tp);
                }
                members.add(new GroupMember(m.consumerId(), m.clientId(), assignment));
            }
        }
        if (members.isEmpty() && committed.isEmpty()) {
            throw new NotFoundException(LogErrors.GROUP_NOT_FOUND, "Consumer group '" + groupId + "' does not exist "
                    + "(no members, no committed offsets); list groups with LogAdmin.listGroups(), or start a consumer "
                    + "with ConsumerConfig.forGroup(\"" + groupId + "\").");
        }
        members.sort((a, b) -> a.memberId().compareTo(b.memberId()));
        Map<org.apache.kafka.common.TopicPartition, Long> ends = partitions.isEmpty() ? Map.of()
                : offsets(partitions, org.apache.kafka.clients.admin.OffsetSpec.latest(), what);
        TreeMap<TopicPartition, PartitionLag> lags = new TreeMap<>();
        for (org.apache.kafka.common.TopicPartition tp : partitions) {
            TopicPartition ours = new TopicPartition(tp.topic(), tp.partition());
            lags.put(ours, new PartitionLag(ours, committed.getOrDefault(tp, -1L), ends.getOrDefault(tp, 0L)));
        }
        GroupState state = d.map(g -> state(g.groupState())).orElse(GroupState.EMPTY);
        return new GroupDescription(groupId, state, members, new ArrayList<>(lags.values()));
    }

    private static GroupState state(org.apache.kafka.common.GroupState s) {
        return switch (s) {
            case STABLE -> GroupState.STABLE;
            case PREPARING_REBALANCE -> GroupState.PREPARING_REBALANCE;
            case COMPLETING_REBALANCE, ASSIGNING, RECONCILING -> GroupState.COMPLETING_REBALANCE;
            case EMPTY -> GroupState.EMPTY;
            default -> GroupState.DEAD;
        };
    }

    @Override
    public Map<TopicPartition, Long> resetOffsets(String groupId, String topic, OffsetSpec spec) {
        String what = "reset the offsets of group '" + groupId + "' on topic '" + topic + "'";
        requireNoMembers(groupId, what);
        int count;
        try {
            count = get(admin.describeTopics(List.of(topic)).allTopicNames(), what).get(topic).partitions().size();
        } catch (NotFoundException e) {
            throw TopicCatalog.topicNotFound(topic);
        }
        List<org.apache.kafka.common.TopicPartition> tps = new ArrayList<>();
        for (int p = 0; p < count; p++) {
            tps.add(new org.apache.kafka.common.TopicPartition(topic, p));
        }
        Map<org.apache.kafka.common.TopicPartition, Long> ends = offsets(tps, org.apache.kafka.clients.admin.OffsetSpec.latest(), what);
        Map<org.apache.kafka.common.TopicPartition, Long> target = switch (spec) {
            case OffsetSpec.Earliest e -> offsets(tps, org.apache.kafka.clients.admin.OffsetSpec.earliest(), what);
            case OffsetSpec.Latest l -> ends;
            case OffsetSpec.AtTimestamp t -> {
                Map<org.apache.kafka.common.TopicPartition, Long> found =
                        offsets(tps, org.apache.kafka.clients.admin.OffsetSpec.forTimestamp(t.timestamp()), what);
                Map<org.apache.kafka.common.TopicPartition, Long> out = new HashMap<>();
                tps.forEach(tp -> out.put(tp, found.getOrDefault(tp, -1L) < 0 ? ends.get(tp) : found.get(tp)));
                yield out;
            }
            case OffsetSpec.AtOffset o -> {
                Map<org.apache.kafka.common.TopicPartition, Long> starts =
                        offsets(tps, org.apache.kafka.clients.admin.OffsetSpec.earliest(), what);
                List<String> bad = new ArrayList<>();
                Map<org.apache.kafka.common.TopicPartition, Long> out = new HashMap<>();
                for (var tp : tps) {
                    if (o.offset() < starts.get(tp) || o.offset() > ends.get(tp)) {
                        bad.add(tp + " holds " + starts.get(tp) + " to " + ends.get(tp));
                    }
                    out.put(tp, o.offset());
                }
                if (!bad.isEmpty()) {
                    throw new InvalidRequestException(LogErrors.OFFSET_OUT_OF_RANGE, "Cannot reset group '" + groupId
                            + "' to offset " + o.offset() + " on topic '" + topic + "': outside the log (" + String.join(
                            ", ", bad) + "; the end offset means 'after the last record'). Pick an offset in range, "
                            + "or reset to earliest/latest.");
                }
                yield out;
            }
        };
        Map<org.apache.kafka.common.TopicPartition, OffsetAndMetadata> req = new HashMap<>();
        target.forEach((tp, o) -> req.put(tp, new OffsetAndMetadata(o)));
        get(admin.alterConsumerGroupOffsets(groupId, req).all(), what);
        Map<TopicPartition, Long> result = new TreeMap<>();
        target.forEach((tp, o) -> result.put(new TopicPartition(tp.topic(), tp.partition()), o));
        return result;
    }

    private void requireNoMembers(String groupId, String what) {
        Optional<ConsumerGroupDescription> d = describeKafkaGroup(groupId, what);
        if (d.isPresent() && !d.get().members().isEmpty()) {
            Set<String> names = new TreeSet<>();
            d.get().members().forEach(m -> names.add(m.clientId() + " (" + m.consumerId() + ")"));
            throw new ConflictException(LogErrors.GROUP_NOT_EMPTY, "Cannot " + what + ": group '" + groupId
                    + "' has active members " + names + "; stop them (close their consumers) and retry.");
        }
    }

    @Override
    public void deleteGroup(String groupId) {
        String what = "delete group '" + groupId + "'";
        requireNoMembers(groupId, what);
        try {
            get(admin.deleteConsumerGroups(List.of(groupId)).all(), what);
        } catch (NotFoundException e) {
            if (e.code().equals(LogErrors.GROUP_NOT_FOUND)) {
                throw new NotFoundException(LogErrors.GROUP_NOT_FOUND, "Consumer group '" + groupId + "' does not "
                        + "exist; list groups with LogAdmin.listGroups().", e);
            }
            throw e;
        }
    }

    private static void pause() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    static boolean isUnknownTopic(Throwable t) {
        return KafkaErrors.unwrap(t) instanceof UnknownTopicOrPartitionException;
    }
}
