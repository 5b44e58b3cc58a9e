package io.tributary.cli;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.jspecify.annotations.NullMarked;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The architecture of docs/architecture.md, checked on the compiled classes of every module (all are on this
 * module's test class path). A module is identified by where its classes were loaded from
 * ({@code tributary-<part>/target/...}), so the package rules themselves can be checked.
 */
@Timeout(120)
class ArchitectureTest {

    /**
     * The layers: a module may use modules of its own layer or below, never above. core &lt;- log &lt;- {kafka,
     * eventstore, processing, outbox, schema, and the test kits} &lt;- projection &lt;- {bench, examples} &lt;- cli (which runs the examples as
     * {@code tributary demo}); testdb sits beside core at the bottom. A new module must be
     * placed here (and in docs/architecture.md).
     */
    static final Map<String, Integer> LAYER = Map.ofEntries(
            Map.entry("tributary-core", 0),
            Map.entry("tributary-testdb", 0), // the test databases: uses no module of ours, only test scopes use it
            Map.entry("tributary-log", 1),
            Map.entry("tributary-kafka", 2),
            Map.entry("tributary-eventstore", 2),
            Map.entry("tributary-processing", 2),
            Map.entry("tributary-outbox", 2),
            Map.entry("tributary-schema", 2),
            Map.entry("tributary-log-tck", 2),
            Map.entry("tributary-testbroker", 2),
            Map.entry("tributary-projection", 3),
            Map.entry("tributary-bench", 4),
            Map.entry("tributary-examples", 4),
            Map.entry("tributary-cli", 5));

    private static final Pattern MODULE_DIR = Pattern.compile("/(tributary-[a-z0-9]+(?:-[a-z0-9]+)*)/target/");
    private static final Pattern MODULE_JAR = Pattern.compile("/(tributary-[a-z0-9]+(?:-[a-z0-9]+)*?)-\\d[^/]*\\.jar!");

    private static JavaClasses ours;

    @BeforeAll
    static void importEveryModule() {
        ours = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.tributary");
    }

    @Test
    void seesTheClassesOfEveryBuiltModule() {
        Set<String> modules = ours.stream().map(ArchitectureTest::moduleOf).flatMap(Optional::stream)
                .collect(Collectors.toCollection(TreeSet::new));
        assertThat(modules).as("modules whose classes were imported")
                .contains("tributary-core", "tributary-log", "tributary-bench", "tributary-cli", "tributary-testdb");
        assertThat(LAYER.keySet()).as("every module found has a layer; add new ones to LAYER").containsAll(modules);
    }

    @Test
    void everyModuleHoldsOnlyItsOwnPackage() {
        classes().should(new ArchCondition<JavaClass>("live in the package of their module (tributary-<part> = "
                + "io.tributary.<part>)") {
            @Override
            public void check(JavaClass c, ConditionEvents events) {
                moduleOf(c).ifPresent(module -> {
                    String owner = ownerOfPackage(c.getPackageName());
                    if (!module.equals(owner)) {
                        events.add(SimpleConditionEvent.violated(c, c.getName() + " is in module " + module
                                + " but its package belongs to " + owner + " (expected package "
                                + packageOf(module) + "..)"));
                    }
                });
            }
        }).check(ours);
    }

    @Test
    void dependenciesPointDownTheLayers() {
        classes().should(new ArchCondition<JavaClass>("use only modules of their own layer or below "
                + "(core <- log <- {kafka, eventstore, processing, outbox, schema} <- {cli, bench, examples})") {
            @Override
            public void check(JavaClass c, ConditionEvents events) {
                Optional<String> from = moduleOf(c);
                if (from.isEmpty() || !LAYER.containsKey(from.get())) {
                    return;
                }
                for (Dependency d : c.getDirectDependenciesFromSelf()) {
                    Optional<String> to = moduleOf(d.getTargetClass());
                    if (to.isPresent() && !to.get().equals(from.get()) && LAYER.containsKey(to.get())
                            && LAYER.get(to.get()) > LAYER.get(from.get())) {
                        events.add(SimpleConditionEvent.violated(d, from.get() + " (layer " + LAYER.get(from.get())
                                + ") must not use " + to.get() + " (layer " + LAYER.get(to.get()) + "): "
                                + d.getDescription()));
                    }
                }
            }
        }).check(ours);
    }

    @Test
    void coreDependsOnNothingOfOursAndLogOnlyOnCore() {
        noClasses().that(inModule("tributary-core")).should().dependOnClassesThat(inAModuleOtherThan("tributary-core"))
                .check(ours);
        noClasses().that(inModule("tributary-log"))
                .should().dependOnClassesThat(inAModuleOtherThan("tributary-core", "tributary-log"))
                .check(ours);
    }

    /** The test databases are a test library: they use no module of ours, and no module's main code uses them. */
    @Test
    void testdbIsUsedOnlyByTestsAndUsesNoModuleOfOurs() {
        noClasses().that(inModule("tributary-testdb"))
                .should().dependOnClassesThat(inAModuleOtherThan("tributary-testdb"))
                .check(ours);
        noClasses().that(inAModuleOtherThan("tributary-testdb"))
                .should().dependOnClassesThat(inModule("tributary-testdb"))
                .because("tributary-testdb is for test scopes only (<scope>test</scope>)")
                .check(ours);
    }

    @Test
    void modulesAreFreeOfCycles() {
        slices().assignedFrom(new SliceAssignment() {
            @Override
            public SliceIdentifier getIdentifierOf(JavaClass c) {
                return moduleOf(c).map(SliceIdentifier::of).orElse(SliceIdentifier.ignore());
            }

            @Override
            public String getDescription() {
                return "modules";
            }
        }).should().beFreeOfCycles().check(ours);
    }

    /** A class may use another module's API and SPI, never its {@code ..internal..} packages. */
    static final ArchCondition<JavaClass> USE_NO_OTHER_MODULES_INTERNALS =
            new ArchCondition<>("use no other module's ..internal.. packages") {
                @Override
                public void check(JavaClass c, ConditionEvents events) {
                    Optional<String> from = moduleOf(c);
                    for (Dependency d : c.getDirectDependenciesFromSelf()) {
                        JavaClass target = d.getTargetClass();
                        if (!target.getPackageName().contains(".internal")
                                || !target.getPackageName().startsWith("io.tributary.")) {
                            continue;
                        }
                        Optional<String> to = moduleOf(target);
                        if (to.isPresent() && from.isPresent() && !to.equals(from)) {
                            events.add(SimpleConditionEvent.violated(d, from.get() + " uses " + to.get()
                                    + "'s internals: " + d.getDescription() + "; use its API or .spi instead"));
                        }
                    }
                }
            };

    @Test
    void internalPackagesAreUsedOnlyByTheirOwnModule() {
        classes().should(USE_NO_OTHER_MODULES_INTERNALS).check(ours);
    }

    /** The rule above is not vacuous: a class of this module reaching into the log's internals is caught. */
    @Test
    void theInternalsRuleCatchesAModuleReachingIntoAnothersInternals() {
        JavaClasses offender = new ClassFileImporter().importClasses(ReachesIntoLogInternals.class,
                io.tributary.log.internal.PartitionReads.class);
        assertThatThrownBy(() -> classes().that().haveSimpleName("ReachesIntoLogInternals")
                .should(USE_NO_OTHER_MODULES_INTERNALS).check(offender))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("tributary-cli uses tributary-log's internals");
    }

    /** A deliberate offender for the test above; test classes are not part of the checked code base. */
    static final class ReachesIntoLogInternals {
        io.tributary.log.internal.@org.jspecify.annotations.Nullable PartitionReads reads;
    }

    @Test
    void noClassIsNamedManagerHelperUtilOrImpl() {
        noClasses().should().haveSimpleNameEndingWith("Manager")
                .orShould().haveSimpleNameEndingWith("Helper")
                .orShould().haveSimpleNameEndingWith("Util")
                .orShould().haveSimpleNameEndingWith("Utils")
                .orShould().haveSimpleNameEndingWith("Impl")
                .because("names say what a thing is (SegmentIndex, GroupCoordinator), see DEVELOPERS.md")
                .check(ours);
    }

    @Test
    void everyCompiledPackageIsNullMarked() {
        Set<String> packages = ours.stream().filter(c -> !c.getSimpleName().equals("package-info"))
                .map(JavaClass::getPackageName).collect(Collectors.toCollection(TreeSet::new));
        List<String> unmarked = new ArrayList<>();
        for (String p : packages) {
            String info = p + ".package-info";
            if (!ours.contain(info) || !ours.get(info).isAnnotatedWith(NullMarked.class)) {
                unmarked.add(p);
            }
        }
        assertThat(unmarked).as("packages without a package-info.java carrying @NullMarked").isEmpty();
    }

    /** Also checks sources, so a module not (yet) on this class path is covered too. */
    @Test
    void everySourcePackageHasANullMarkedPackageInfo() throws IOException {
        Path root = repositoryRoot();
        List<String> unmarked = new ArrayList<>();
        try (Stream<Path> modules = Files.list(root)) {
            for (Path module : modules.filter(p -> p.getFileName().toString().startsWith("tributary-")).toList()) {
                Path sources = module.resolve("src/main/java");
                if (!Files.isDirectory(sources)) {
                    continue;
                }
                try (Stream<Path> dirs = Files.walk(sources)) {
                    for (Path dir : dirs.filter(Files::isDirectory).toList()) {
                        if (!containsJava(dir)) {
                            continue;
                        }
                        Path info = dir.resolve("package-info.java");
                        if (!Files.exists(info) || !Files.readString(info).contains("@NullMarked")) {
                            unmarked.add(root.relativize(dir).toString());
                        }
                    }
                }
            }
        }
        assertThat(unmarked).as("source folders without a package-info.java carrying @NullMarked").isEmpty();
    }

    // ---- where a class comes from ----

    /** The module a class was loaded from, e.g. {@code tributary-log}; empty for classes outside our build. */
    static Optional<String> moduleOf(JavaClass c) {
        return c.getSource().map(s -> s.getUri().toString()).flatMap(uri -> {
            Matcher dir = MODULE_DIR.matcher(uri);
            if (dir.find()) {
                return Optional.of(dir.group(1));
            }
            Matcher jar = MODULE_JAR.matcher(uri);
            return jar.find() ? Optional.of(jar.group(1)) : Optional.empty();
        });
    }

    /** {@code tributary-log-tck} -> {@code io.tributary.log.tck}. */
    static String packageOf(String module) {
        return "io.tributary." + module.substring("tributary-".length()).replace('-', '.');
    }

    /** The module whose package is the longest prefix of {@code pkg}. */
    static String ownerOfPackage(String pkg) {
        String best = "(no module)";
        int bestLength = -1;
        for (String module : LAYER.keySet()) {
            String prefix = packageOf(module);
            if ((pkg.equals(prefix) || pkg.startsWith(prefix + ".")) && prefix.length() > bestLength) {
                best = module;
                bestLength = prefix.length();
            }
        }
        return best;
    }

    private static DescribedPredicate<JavaClass> inModule(String module) {
        return new DescribedPredicate<>("are in module " + module) {
            @Override
            public boolean test(JavaClass c) {
                return moduleOf(c).filter(module::equals).isPresent();
            }
        };
    }

    private static DescribedPredicate<JavaClass> inAModuleOtherThan(String... allowed) {
        Set<String> ok = Set.of(allowed);
        return new DescribedPredicate<>("are in a module other than " + ok) {
            @Override
            public boolean test(JavaClass c) {
                return moduleOf(c).filter(m -> !ok.contains(m)).isPresent();
            }
        };
    }

    private static boolean containsJava(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.anyMatch(f -> f.getFileName().toString().endsWith(".java"));
        }
    }

    static Path repositoryRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !(Files.isDirectory(p.resolve("tributary-core")) && Files.exists(p.resolve("pom.xml")))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("Run from inside the repository: no folder above "
                    + Path.of("").toAbsolutePath() + " holds pom.xml and tributary-core/");
        }
        return p;
    }
}
