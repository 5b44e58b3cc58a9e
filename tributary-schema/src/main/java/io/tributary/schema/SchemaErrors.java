package io.tributary.schema;

import io.tributary.core.ErrorCode;
import java.util.Map;

/**
 * The stable error codes of the schema module, and the HTTP status and numeric {@code error_code} each maps to on the
 * Confluent-compatible REST API (so existing registry clients react to them as they would to Confluent's).
 */
public final class SchemaErrors {

    public static final ErrorCode SUBJECT_NOT_FOUND = ErrorCode.of("SUBJECT_NOT_FOUND");
    public static final ErrorCode VERSION_NOT_FOUND = ErrorCode.of("VERSION_NOT_FOUND");
    public static final ErrorCode SCHEMA_NOT_FOUND = ErrorCode.of("SCHEMA_NOT_FOUND");
    public static final ErrorCode SUBJECT_SOFT_DELETED = ErrorCode.of("SUBJECT_SOFT_DELETED");
    public static final ErrorCode SUBJECT_NOT_SOFT_DELETED = ErrorCode.of("SUBJECT_NOT_SOFT_DELETED");
    public static final ErrorCode VERSION_SOFT_DELETED = ErrorCode.of("VERSION_SOFT_DELETED");
    public static final ErrorCode VERSION_NOT_SOFT_DELETED = ErrorCode.of("VERSION_NOT_SOFT_DELETED");
    public static final ErrorCode SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED =
            ErrorCode.of("SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED");
    public static final ErrorCode SUBJECT_LEVEL_MODE_NOT_CONFIGURED = ErrorCode.of("SUBJECT_LEVEL_MODE_NOT_CONFIGURED");
    public static final ErrorCode INCOMPATIBLE_SCHEMA = ErrorCode.of("INCOMPATIBLE_SCHEMA");
    public static final ErrorCode INVALID_SCHEMA = ErrorCode.of("INVALID_SCHEMA");
    public static final ErrorCode INVALID_VERSION = ErrorCode.of("INVALID_VERSION");
    public static final ErrorCode INVALID_COMPATIBILITY_LEVEL = ErrorCode.of("INVALID_COMPATIBILITY_LEVEL");
    public static final ErrorCode INVALID_MODE = ErrorCode.of("INVALID_MODE");
    public static final ErrorCode OPERATION_NOT_PERMITTED = ErrorCode.of("OPERATION_NOT_PERMITTED");
    public static final ErrorCode REFERENCE_EXISTS = ErrorCode.of("REFERENCE_EXISTS");
    public static final ErrorCode ID_DOES_NOT_MATCH = ErrorCode.of("ID_DOES_NOT_MATCH");
    public static final ErrorCode INVALID_SUBJECT = ErrorCode.of("INVALID_SUBJECT");
    public static final ErrorCode SCHEMA_TOO_LARGE = ErrorCode.of("SCHEMA_TOO_LARGE");
    public static final ErrorCode STORE_ERROR = ErrorCode.of("SCHEMA_STORE_ERROR");
    public static final ErrorCode OPERATION_TIMEOUT = ErrorCode.of("SCHEMA_OPERATION_TIMEOUT");
    /** A request body that is not JSON, or JSON of the wrong shape (HTTP 400 / 400, as Confluent's REST layer). */
    public static final ErrorCode MALFORMED_REQUEST = ErrorCode.of("MALFORMED_REQUEST");
    /** A serialized value that does not start with the wire format's magic byte 0. */
    public static final ErrorCode UNKNOWN_MAGIC_BYTE = ErrorCode.of("UNKNOWN_MAGIC_BYTE");
    /** Producing with a schema the registry does not hold while auto-registration is off. */
    public static final ErrorCode SCHEMA_NOT_REGISTERED = ErrorCode.of("SCHEMA_NOT_REGISTERED");
    /** Producing plain bytes (e.g. JSON) to a topic marked schema-required. */
    public static final ErrorCode SCHEMA_REQUIRED = ErrorCode.of("SCHEMA_REQUIRED");
    /** A value that cannot be serialized or deserialized with its schema. */
    public static final ErrorCode SERIALIZATION_FAILED = ErrorCode.of("SERIALIZATION_FAILED");

    /**
     * The REST mapping of a code.
     *
     * @param httpStatus the HTTP status
     * @param errorCode  Confluent's numeric {@code error_code}
     */
    public record RestError(int httpStatus, int errorCode) {
    }

    private static final Map<ErrorCode, RestError> REST = Map.ofEntries(
            Map.entry(SUBJECT_NOT_FOUND, new RestError(404, 40401)),
            Map.entry(VERSION_NOT_FOUND, new RestError(404, 40402)),
            Map.entry(SCHEMA_NOT_FOUND, new RestError(404, 40403)),
            Map.entry(SUBJECT_SOFT_DELETED, new RestError(404, 40404)),
            Map.entry(SUBJECT_NOT_SOFT_DELETED, new RestError(404, 40405)),
            Map.entry(VERSION_SOFT_DELETED, new RestError(404, 40406)),
            Map.entry(VERSION_NOT_SOFT_DELETED, new RestError(404, 40407)),
            Map.entry(SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED, new RestError(404, 40408)),
            Map.entry(SUBJECT_LEVEL_MODE_NOT_CONFIGURED, new RestError(404, 40409)),
            Map.entry(INCOMPATIBLE_SCHEMA, new RestError(409, 40901)),
            Map.entry(INVALID_SCHEMA, new RestError(422, 42201)),
            Map.entry(INVALID_VERSION, new RestError(422, 42202)),
            Map.entry(INVALID_COMPATIBILITY_LEVEL, new RestError(422, 42203)),
            Map.entry(INVALID_MODE, new RestError(422, 42204)),
            Map.entry(OPERATION_NOT_PERMITTED, new RestError(422, 42205)),
            Map.entry(REFERENCE_EXISTS, new RestError(422, 42206)),
            Map.entry(ID_DOES_NOT_MATCH, new RestError(422, 42207)),
            Map.entry(INVALID_SUBJECT, new RestError(422, 42208)),
            Map.entry(SCHEMA_TOO_LARGE, new RestError(422, 42209)),
            Map.entry(MALFORMED_REQUEST, new RestError(400, 400)),
            Map.entry(STORE_ERROR, new RestError(500, 50001)),
            Map.entry(OPERATION_TIMEOUT, new RestError(500, 50002)));

    private static final RestError INTERNAL = new RestError(500, 50001);

    private SchemaErrors() {
    }

    /** How the REST API reports an error with this code; codes of other modules map to 500 / 50001. */
    public static RestError rest(ErrorCode code) {
        return REST.getOrDefault(code, INTERNAL);
    }

    /** The code behind a numeric Confluent {@code error_code}, for clients reading the REST API's errors. */
    public static ErrorCode fromRest(int errorCode) {
        if (errorCode == 409) {
            return INCOMPATIBLE_SCHEMA; // Confluent before 8.0.4 / 8.1.2 used the bare HTTP status
        }
        for (Map.Entry<ErrorCode, RestError> e : REST.entrySet()) {
            if (e.getValue().errorCode() == errorCode && e.getKey() != STORE_ERROR) {
                return e.getKey();
            }
        }
        return errorCode == 50001 ? STORE_ERROR : ErrorCode.INTERNAL;
    }
}
