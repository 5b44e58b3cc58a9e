package io.tributary.examples.payments;

import java.util.Objects;

/** What the payment rules decided for one order. */
public sealed interface PaymentDecision {

    /** Charge the customer: a payment row and a {@code PaymentSucceeded} event. */
    record Charge(long amountCents) implements PaymentDecision {
    }

    /** The card was declined (a business outcome): a payment row and a {@code PaymentFailed} event. */
    record Decline(String reason) implements PaymentDecision {
        public Decline {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /**
     * The handler cannot process this order at all (a poison event): retrying will not help, a code or data fix will.
     * The payment handler throws {@link PaymentService.UnprocessableOrderException} with this error, and the processing
     * runtime dead-letters the event instead of stopping the partition.
     */
    record Unprocessable(String error) implements PaymentDecision {
        public Unprocessable {
            Objects.requireNonNull(error, "error");
        }
    }
}
