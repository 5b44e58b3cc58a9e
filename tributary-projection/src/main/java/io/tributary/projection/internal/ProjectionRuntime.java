package io.tributary.projection.internal;

import io.tributary.core.ConflictException;
import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import io.tributary.projection.ProjectionConfig;
import io.tributary.projection.ProjectionErrors;
import io.tributary.projection.ProjectionHandler;
import io.tributary.projection.ProjectionLag;
import io.tributary.projection.ProjectionSource;
import io.tributary.projection.ReadModel;
import io.tributary.projection.Rebuild;
import io.tributary.projection.VersionTables;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.slf4j.LoggerFactory;

/**
 * The state behind a {@link io.tributary.projection.Projection}: the live worker, at most one rebuild, and the
 * catalog. Thread-safe: {@code lock} guards only short state changes; workers are never stopped while it is held
 * (a stopping shadow calls back into {@link #restartLive()}).
 */
public final class ProjectionRuntime<E> {

    private final ProjectionSource<E> source;
    private final ProjectionConfig config;
    private final Catalog catalog;
    private final ProjectionInstrumentation instrumentation;
    private final Object lock = new Object();
    private volatile VersionWorker<E> live;
    private volatile @Nullable RebuildTask<E> rebuild;
    private volatile boolean closed;
    private volatile ReadModel readModel;

    private ProjectionRuntime(DataSource dataSource, ProjectionSource<E> source, ReadModel readModel,
                              ProjectionConfig config) {
        this.source = source;
        this.readModel = readModel;
        this.config = config;
        this.catalog = new Catalog(dataSource, config.catalogPrefix(), config.name());
        this.instrumentation = new ProjectionInstrumentation(config);
        this.live = null;
    }

    /** Creates the catalog and (on the first start) version 1, then starts the live worker. */
    public static <E> ProjectionRuntime<E> start(DataSource dataSource, ProjectionSource<E> source, ReadModel model,
                                                 ProjectionHandler<E> handler, ProjectionConfig config)
            throws InterruptedException {
        ProjectionRuntime<E> rt = new ProjectionRuntime<>(dataSource, source, model, config);
        try {
            Catalog catalog = rt.catalog;
            catalog.createTables();
            List<Catalog.VersionRow> versions = catalog.versions();
            Optional<Catalog.VersionRow> liveRow = versions.stream().filter(v -> v.status().equals(Catalog.LIVE))
                    .findFirst();
            VersionTables tables;
            if (liveRow.isPresent()) {
                tables = new VersionTables(config.name(), liveRow.get().version(),
                        Set.copyOf(liveRow.get().tables()));
            } else if (!versions.isEmpty() && versions.getFirst().version() == 1
                    && versions.getFirst().status().equals(Catalog.CREATING)) {
                catalog.recreate(1, model.tables(), model.ddl(), Catalog.LIVE);
                tables = new VersionTables(config.name(), 1, Set.copyOf(model.tables()));
            } else if (versions.isEmpty()) {
                catalog.create(1, model.tables(), model.ddl(), Catalog.LIVE);
                tables = new VersionTables(config.name(), 1, Set.copyOf(model.tables()));
            } else {
                throw new ConflictException(ErrorCode.CORRUPT_DATA, "Projection '" + config.name() + "' has versions "
                        + versions + " in " + Catalog.versionsTable(config.catalogPrefix())
                        + " but none is LIVE; set the newest complete version's status to LIVE, or delete the rows of "
                        + "this projection to start it afresh.");
            }
            rt.live = rt.worker(tables, handler, false, null, w -> { });
            rt.live.start();
        } catch (RuntimeException | InterruptedException e) {
            rt.instrumentation.close(); // no meters stay behind a projection that did not start
            throw e;
        }
        rt.instrumentation.start(source, config, rt::live);
        return rt;
    }

    private VersionWorker<E> worker(VersionTables tables, ProjectionHandler<E> handler, boolean replaying,
                                    VersionWorker.@Nullable Bound bound,
                                    Consumer<VersionWorker<E>> onExit) {
        return new VersionWorker<>(source, config, catalog, tables, handler, replaying, bound, onExit,
                instrumentation);
    }

    public ProjectionConfig config() {
        return config;
    }

    Catalog catalog() {
        return catalog;
    }

    public VersionWorker<E> live() {
        return live;
    }

    public Optional<Rebuild> currentRebuild() {
        return Optional.ofNullable(rebuild);
    }

    void promote(VersionWorker<E> worker, ReadModel model) {
        synchronized (lock) {
            live = worker;
            readModel = model;
        }
    }

    /** Starts a fresh worker for the live version from its stored checkpoint (after a rebuild stopped it). */
    void restartLive() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            VersionWorker<E> old = live;
            VersionWorker<E> fresh = worker(old.tables(), old.handler(), false, null, w -> { });
            try {
                fresh.start();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                // The fresh worker is FAILED and reports why through failure(); keep it as the live worker.
                LoggerFactory.getLogger(ProjectionRuntime.class).error(e.getMessage(), e);
            }
            live = fresh;
        }
    }

    /** Starts (or resumes, if one with the same tables was left unfinished) a rebuild. */
    public Rebuild rebuild(ReadModel model, ProjectionHandler<E> handler) throws InterruptedException {
        RebuildTask<E> task;
        VersionTables tables;
        synchronized (lock) {
            if (closed) {
                throw new InvalidRequestException(ProjectionErrors.PROJECTION_CLOSED, "Projection '" + config.name()
                        + "' is closed; start it again to rebuild it.");
            }
            RebuildTask<E> running = rebuild;
            if (running != null && !running.isDone()) {
                throw new ConflictException(ProjectionErrors.PROJECTION_REBUILD_RUNNING, "Projection '"
                        + config.name() + "' is already rebuilding version " + running.version()
                        + "; wait for it (Rebuild.await) or cancel it (Rebuild.cancel) first.");
            }
            int liveVersion = live.version();
            int version = -1;
            int max = liveVersion;
            for (Catalog.VersionRow row : catalog.versions()) {
                max = Math.max(max, row.version());
                boolean unfinished = row.version() > liveVersion
                        && (row.status().equals(Catalog.BUILDING) || row.status().equals(Catalog.CREATING));
                if (!unfinished) {
                    continue;
                }
                if (row.tables().equals(model.tables()) && version < 0) {
                    version = row.version();
                    if (row.status().equals(Catalog.CREATING)) {
                        catalog.recreate(version, model.tables(), model.ddl(), Catalog.BUILDING);
                    }
                } else {
                    // A different read model was being built: its rows mean nothing to this one.
                    catalog.deleteVersion(row.version(), row.tables());
                }
            }
            if (version < 0) {
                version = max + 1;
                catalog.create(version, model.tables(), model.ddl(), Catalog.BUILDING);
            }
            tables = new VersionTables(config.name(), version, Set.copyOf(model.tables()));
            task = new RebuildTask<>(this, version, model);
            rebuild = task;
        }
        VersionWorker<E> shadow = worker(tables, handler, true, task, task::shadowExited);
        shadow.start();
        task.started(shadow);
        instrumentation.rebuildStarted(task);
        return task;
    }

    public ReadModel readModel() {
        return readModel;
    }

    /** Events behind, without measuring time (cheap on a log topic). */
    public long lagOfLiveEvents() {
        return lagOf(live.committed(), false).events();
    }

    public ProjectionLag lag() {
        return lagOf(live.committed(), true);
    }

    ProjectionLag lagOf(Map<String, Long> positions, boolean withTime) {
        return Sources.lag(source, positions, config.lagCountLimit(), withTime);
    }

    /** Drops the tables and rows of every RETIRED version; returns their numbers. */
    public List<Integer> dropRetiredVersions() {
        List<Integer> dropped = new ArrayList<>();
        for (Catalog.VersionRow row : catalog.versions()) {
            if (row.status().equals(Catalog.RETIRED)) {
                catalog.deleteVersion(row.version(), row.tables());
                dropped.add(row.version());
            }
        }
        return dropped;
    }

    /** Stops a running rebuild (kept for resuming) and the live worker. */
    public void close() throws InterruptedException {
        synchronized (lock) {
            // Under the lock, so a concurrent restartLive() either sees it or has already published its worker.
            closed = true;
        }
        try {
            RebuildTask<E> task = rebuild;
            if (task != null && !task.isDone()) {
                task.stopForClose();
            }
            live.stop(config.stopTimeout());
        } finally {
            // Even when interrupted while stopping: the lag sampler, its consumer and the meters must not outlive us.
            instrumentation.close();
        }
    }
}
