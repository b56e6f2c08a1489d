package io.edgesync.edge.log;

/**
 * The log writer's queue is at its bound ({@code log.queueCapacity} events or
 * {@code log.queueMaxBytes} bytes): the append was refused at once and nothing was stored.
 * Retryable: the caller applies its overflow policy (drop and count for QoS0, withhold the
 * acknowledgement and disconnect for QoS1/2). Carries no stack trace: it is a flow-control
 * signal, raised on the hot path.
 */
public final class LogFullException extends RuntimeException {
  public LogFullException(String message) {
    super(message, null, false, false);
  }
}
