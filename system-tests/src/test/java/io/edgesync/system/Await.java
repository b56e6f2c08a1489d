package io.edgesync.system;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** The system tests' way to wait: poll a condition every 100 ms until it holds or a deadline passes. */
final class Await {
  private Await() {}

  /** Returns once {@code condition} holds; an AssertionError naming {@code what} after {@code timeout}. */
  static void until(String what, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout + " waiting for: " + what);
      }
      ChildProcess.pause(100);
    }
  }
}
