package io.tributary.schema;

/**
 * A place a schema id is used: a subject and a version number.
 *
 * @param subject the subject
 * @param version the version under it
 */
public record SubjectVersion(String subject, int version) {
}
