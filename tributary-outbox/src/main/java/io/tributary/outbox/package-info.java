/**
 * Exactly-once effects over JDBC: the transactional {@link io.tributary.outbox.Outbox} (write an event in the same
 * database transaction as the business change; the {@link io.tributary.outbox.OutboxRelay} publishes it to the
 * {@link io.tributary.log.EventLog} afterwards) and the {@link io.tributary.outbox.Inbox} (apply each event once).
 *
 * <p><b>Ordering.</b> Events with the same key are published in the order their transactions committed: adding an
 * event locks that key's sequence row until the transaction ends, so same-key writers are serialised and the
 * sequence number is their commit order; the relay never publishes a key's event while an older one of that key is
 * unpublished. Events of different keys have no order.
 * <p><b>Delivery.</b> At least once: a relay that dies after publishing and before marking publishes again. The
 * inbox turns that into exactly-once effects.
 */
@NullMarked
package io.tributary.outbox;

import org.jspecify.annotations.NullMarked;
