package io.tributary.schema;

import java.io.Serializable;
import java.util.Objects;

/**
 * One reason a schema cannot become a subject's next version, as found by Avro's
 * {@code SchemaCompatibility.checkReaderWriterCompatibility}.
 *
 * @param type          Avro's incompatibility type, e.g. {@code READER_FIELD_MISSING_DEFAULT_VALUE}
 * @param location      where in the reader schema, as a JSON pointer, e.g. {@code /fields/1/type}
 * @param message       Avro's description, e.g. the missing field's name
 * @param againstVersion the registered version compared with
 * @param direction     {@code BACKWARD} (the new schema reads data of {@code againstVersion}) or {@code FORWARD}
 *                      ({@code againstVersion} reads data of the new schema)
 */
public record Incompatibility(String type, String location, String message, int againstVersion, String direction)
        implements Serializable {

    public Incompatibility {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(location, "location");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(direction, "direction");
    }

    /** One line for error messages and the REST API's {@code messages}. */
    public String describe() {
        String reader = direction.equals("BACKWARD") ? "the new schema" : "version " + againstVersion;
        String writer = direction.equals("BACKWARD") ? "version " + againstVersion : "the new schema";
        return "{direction:" + direction + ", version:" + againstVersion + ", errorType:" + type + ", location:'"
                + location + "', description:'" + reader + " cannot read data written with " + writer + ": " + message
                + "'}";
    }
}
