package io.tributary.projection;

/** Work outside the read model (an e-mail, a call, a message) that must not be repeated when a projection is rebuilt. */
@FunctionalInterface
public interface SideEffect {
    void run() throws Exception;
}
