package io.edgesync.system;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** The system tests' way to wait: poll a condition every 100 ms until it holds or a deadline passes. */
final class Await {
  private Await() {}

  /** Returns once {@code condition} holds; an AssertionError naming {@code what} after {@code timeout}. */
  static void until(String what, Duration timeout, BooleanSupplier condition) {
    until(what, timeout, condition, () -> "");
  }

  /** As {@link #until(String, Duration, BooleanSupplier)}; the error also carries {@code detail}, read at the timeout. */
  static void until(String what, Duration timeout, BooleanSupplier condition, Supplier<String> detail) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        String d = detail.get();
        throw new AssertionError("timed out after " + timeout + " waiting for: " + what + (d.isEmpty() ? "" : "; " + d));
      }
      ChildProcess.pause(100);
    }
  }
}
