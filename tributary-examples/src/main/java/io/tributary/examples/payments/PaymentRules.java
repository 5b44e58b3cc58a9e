package io.tributary.examples.payments;

import java.util.Set;

/**
 * The payment handler's business rules: which currencies it can charge and the card limit above which a payment is
 * declined. Immutable; {@link #acceptingCurrency} is the "fix" the demo deploys before redriving the dead-lettered
 * orders.
 *
 * @param currencies   ISO 4217 codes the handler can charge; others are {@link PaymentDecision.Unprocessable}
 * @param limitCents   amounts above this are declined (card limit), in cents
 */
public record PaymentRules(Set<String> currencies, long limitCents) {

    public PaymentRules {
        currencies = Set.copyOf(currencies);
        if (limitCents <= 0) {
            throw new IllegalArgumentException("limitCents=" + limitCents + " must be positive");
        }
    }

    /** EUR, USD and GBP; declines above 950.00. */
    public static PaymentRules defaults() {
        return new PaymentRules(Set.of("EUR", "USD", "GBP"), 95_000);
    }

    /** These rules plus one more currency. */
    public PaymentRules acceptingCurrency(String currency) {
        java.util.HashSet<String> more = new java.util.HashSet<>(currencies);
        more.add(currency);
        return new PaymentRules(more, limitCents);
    }

    /** Decides one order. */
    public PaymentDecision decide(String orderId, long amountCents, String currency) {
        if (!currencies.contains(currency)) {
            return new PaymentDecision.Unprocessable("order " + orderId + " is in currency '" + currency
                    + "', which the payment handler cannot charge (it knows " + new java.util.TreeSet<>(currencies)
                    + "); add the currency to PaymentRules and redrive the order from the dead-letter queue");
        }
        if (amountCents > limitCents) {
            return new PaymentDecision.Decline("amount " + amountCents + " exceeds the card limit " + limitCents);
        }
        return new PaymentDecision.Charge(amountCents);
    }
}
