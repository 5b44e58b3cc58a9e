package io.tributary.schema;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.ClassSecurityValidator;

/**
 * Since Avro 1.12 the specific reader and writer refuse to load any class by name unless it is trusted (a guard
 * against deserialization gadgets). A class the application hands to a serializer or deserializer is trusted by that
 * act, and so are the generated types beside it (its enums, fixed types and nested records, which Avro loads by
 * name): this adds trust for generated Avro types in that class's package, and nothing else.
 */
final class SpecificClasses {

    private static final Set<String> TRUSTED_PACKAGES = ConcurrentHashMap.newKeySet();

    private SpecificClasses() {
    }

    static void trust(Class<?> type) {
        String pkg = type.getPackageName();
        if (TRUSTED_PACKAGES.add(pkg)) {
            synchronized (SpecificClasses.class) {
                ClassSecurityValidator.ClassSecurityPredicate before = ClassSecurityValidator.getGlobal();
                ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(before, c ->
                        c.getPackageName().equals(pkg) && (SpecificRecord.class.isAssignableFrom(c) || c.isEnum()
                                || GenericFixed.class.isAssignableFrom(c))));
            }
        }
    }
}
