package io.edgesync.system;

import java.io.PrintStream;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs several real edge nodes in ONE child JVM (a fleet on a small machine): each node is a full
 * {@code EdgeMain.launch} (its own Vert.x, RocksDB data folder, ports, certificate and heartbeat),
 * exactly as {@code java -jar edge-node.jar} would start it. Arguments: the edge-node arguments of
 * each node, separated by {@code ::}. Prints each node's ready line, then
 * {@code edge fleet ready: N nodes}; stops every node on SIGTERM.
 *
 * <p>Run with {@code -cp edge-node/target/edge-node.jar:system-tests/target/test-classes}. The edge
 * classes are reached by reflection because this module compiles against the thin edge-node jar,
 * without its dependencies.
 */
public final class EdgeFleetMain {
  private EdgeFleetMain() {}

  public static void main(String[] args) throws Exception {
    List<String[]> nodes = new ArrayList<>();
    List<String> current = new ArrayList<>();
    for (String a : args) {
      if (a.equals("::")) {
        nodes.add(current.toArray(String[]::new));
        current.clear();
      } else {
        current.add(a);
      }
    }
    if (!current.isEmpty()) {
      nodes.add(current.toArray(String[]::new));
    }
    Method launch = Class.forName("io.edgesync.edge.app.EdgeMain")
        .getMethod("launch", String[].class, PrintStream.class, PrintStream.class, boolean.class);
    List<Runnable> shutdowns = new ArrayList<>();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      List<Thread> stops = new ArrayList<>();
      synchronized (shutdowns) {
        for (Runnable r : shutdowns) {
          Thread t = new Thread(r, "edge-stop");
          t.start();
          stops.add(t);
        }
      }
      for (Thread t : stops) {
        try {
          t.join(60_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }, "edge-fleet-shutdown"));
    for (String[] nodeArgs : nodes) {
      Object launched = launch.invoke(null, nodeArgs, System.out, System.err, false);
      int code = (int) launched.getClass().getMethod("exitCode").invoke(launched);
      if (code >= 0) {
        System.err.println("edge fleet: node " + Arrays.toString(nodeArgs) + " did not start (exit " + code + ")");
        System.exit(code == 0 ? 1 : code);
      }
      synchronized (shutdowns) {
        shutdowns.add((Runnable) launched.getClass().getMethod("shutdown").invoke(launched));
      }
    }
    System.out.println("edge fleet ready: " + nodes.size() + " nodes");
    System.out.flush();
    Thread.currentThread().join();
  }
}
