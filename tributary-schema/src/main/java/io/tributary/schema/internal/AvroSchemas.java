package io.tributary.schema.internal;

import io.tributary.core.InvalidRequestException;
import io.tributary.core.NotFoundException;
import io.tributary.schema.SchemaErrors;
import io.tributary.schema.SchemaReference;
import io.tributary.schema.SchemaText;
import java.util.HashSet;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;

/** Parsing Avro schema text with references, and the canonical form used to decide "same schema". */
public final class AvroSchemas {

    /** Finds the schema a reference points at. */
    @FunctionalInterface
    public interface ReferenceResolver {
        SchemaText resolve(String subject, int version);
    }

    private AvroSchemas() {
    }

    /**
     * Parses a schema after its references (depth-first, each named type defined once), so the result has the
     * referenced types inlined. Fails with {@link SchemaErrors#INVALID_SCHEMA} saying what is wrong.
     */
    public static Schema parse(SchemaText text, ReferenceResolver resolver) {
        if (!SchemaText.AVRO.equals(text.schemaType())) {
            throw new InvalidRequestException(SchemaErrors.INVALID_SCHEMA, "Schema type '" + text.schemaType()
                    + "' is not supported; this registry stores AVRO schemas only (omit schemaType or send \"AVRO\")");
        }
        if (text.schema().isBlank()) {
            throw new InvalidRequestException(SchemaErrors.INVALID_SCHEMA,
                    "Empty schema; send the Avro schema's JSON text in the 'schema' field");
        }
        Schema.Parser parser = new Schema.Parser();
        Set<String> seen = new HashSet<>();
        for (SchemaReference ref : text.references()) {
            parseReference(parser, ref, resolver, seen, 0);
        }
        try {
            return parser.parse(text.schema());
        } catch (SchemaParseException | NullPointerException | IllegalArgumentException e) {
            throw new InvalidRequestException(SchemaErrors.INVALID_SCHEMA, "Invalid Avro schema: " + e.getMessage()
                    + (text.references().isEmpty() ? "" : " (references: " + text.references() + ")")
                    + "; fix the schema text (see https://avro.apache.org/docs/current/specification/)", e);
        } catch (RuntimeException e) {
            throw new InvalidRequestException(SchemaErrors.INVALID_SCHEMA, "Invalid Avro schema: " + e, e);
        }
    }

    private static void parseReference(Schema.Parser parser, SchemaReference ref, ReferenceResolver resolver,
                                       Set<String> seen, int depth) {
        if (depth > 32) {
            throw new InvalidRequestException(SchemaErrors.INVALID_SCHEMA, "References nest deeper than 32 levels at "
                    + ref + "; check for a reference cycle");
        }
        if (!seen.add(ref.subject() + "\u0000" + ref.version())) {
            return;
        }
        SchemaText target;
        try {
            target = resolver.resolve(ref.subject(), ref.version());
        } catch (NotFoundException e) {
            throw new InvalidRequestException(SchemaErrors.INVALID_SCHEMA, "Invalid schema: reference '" + ref.name()
                    + "' points at subject '" + ref.subject() + "' version " + ref.version()
                    + ", which does not exist; register the referenced schema first", e);
        }
        for (SchemaReference inner : target.references()) {
            parseReference(parser, inner, resolver, seen, depth + 1);
        }
        if (parser.getTypes().containsKey(ref.name())) {
            return;
        }
        try {
            parser.parse(target.schema());
        } catch (RuntimeException e) {
            throw new InvalidRequestException(SchemaErrors.INVALID_SCHEMA, "Invalid schema: referenced schema '"
                    + ref.name() + "' (subject '" + ref.subject() + "' version " + ref.version()
                    + ") cannot be parsed: " + e.getMessage(), e);
        }
    }

    /**
     * The canonical text of a parsed schema: Avro's own JSON rendering, which fixes attribute order, drops
     * whitespace and qualifies names, while keeping everything that changes meaning (defaults, aliases, order,
     * logical types, custom properties). Two schema texts are "the same schema" iff their canonical texts (and
     * references) are equal.
     */
    public static String canonical(Schema schema) {
        return schema.toString();
    }
}
