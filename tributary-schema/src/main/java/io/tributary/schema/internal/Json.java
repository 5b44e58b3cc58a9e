package io.tributary.schema.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.core.InvalidRequestException;
import io.tributary.schema.SchemaErrors;
import io.tributary.schema.SchemaReference;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** The one Jackson mapper of the module, and the JSON shapes shared by the store, the server and the client. */
public final class Json {

    public static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {
    }

    public static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    public static ArrayNode array() {
        return MAPPER.createArrayNode();
    }

    public static byte[] bytes(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("A JSON tree always serializes", e);
        }
    }

    public static String string(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("A JSON tree always serializes", e);
        }
    }

    /** Parses JSON; a malformed body is a {@link SchemaErrors#MALFORMED_REQUEST} naming what {@code what} was. */
    public static JsonNode parse(byte[] json, String what) {
        try {
            JsonNode node = MAPPER.readTree(json);
            if (node == null || node.isMissingNode()) {
                throw new InvalidRequestException(SchemaErrors.MALFORMED_REQUEST, what + " is empty; send a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new InvalidRequestException(SchemaErrors.MALFORMED_REQUEST, what + " is not valid JSON: "
                    + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new InvalidRequestException(SchemaErrors.MALFORMED_REQUEST, what + " cannot be read: " + e, e);
        }
    }

    public static ArrayNode references(List<SchemaReference> refs) {
        ArrayNode arr = array();
        for (SchemaReference r : refs) {
            arr.addObject().put("name", r.name()).put("subject", r.subject()).put("version", r.version());
        }
        return arr;
    }

    /** Reads a {@code references} array; missing or null means none. */
    public static List<SchemaReference> references(JsonNode node) {
        List<SchemaReference> out = new ArrayList<>();
        if (node == null || node.isNull() || node.isMissingNode()) {
            return out;
        }
        if (!node.isArray()) {
            throw new InvalidRequestException(SchemaErrors.MALFORMED_REQUEST,
                    "'references' must be an array of {\"name\", \"subject\", \"version\"} objects");
        }
        for (JsonNode r : node) {
            JsonNode name = r.get("name");
            JsonNode subject = r.get("subject");
            JsonNode version = r.get("version");
            if (name == null || !name.isTextual() || subject == null || !subject.isTextual() || version == null
                    || !version.canConvertToInt()) {
                throw new InvalidRequestException(SchemaErrors.MALFORMED_REQUEST, "Reference " + r
                        + " must have a text 'name', a text 'subject' and an integer 'version'");
            }
            out.add(new SchemaReference(name.asText(), subject.asText(), version.asInt()));
        }
        return out;
    }
}
