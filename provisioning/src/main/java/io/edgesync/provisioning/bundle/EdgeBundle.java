package io.edgesync.provisioning.bundle;

import io.edgesync.config.HostPort;
import io.edgesync.provisioning.fleet.NodeId;
import io.edgesync.provisioning.fleet.SecureFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * The node bundle {@code enrol} writes into {@code --out DIR}:
 * <pre>
 * node.key           0600  PKCS#8 PEM, EC P-256
 * node.crt           0644  node certificate (CN = node id, EKU clientAuth+serverAuth)
 * ca.crt             0644  copy of the fleet CA certificate (trust anchor for the cloud server cert)
 * edge.yaml          0644  config; paths relative to DIR
 * edge-node.service  0644  systemd unit running the node from {@link #installDir()}
 * install.sh         0755  copies the bundle to {@link #installDir()} and installs the unit (run as root)
 * </pre>
 *
 * @param nodeId    the node id (validated)
 * @param group     the rollout group, or null
 * @param endpoints cloud ingest endpoints, at least one
 */
public record EdgeBundle(String nodeId, String group, List<HostPort> endpoints) {
  public static final String KEY = "node.key";
  public static final String CERT = "node.crt";
  public static final String CA = "ca.crt";
  public static final String CONFIG = "edge.yaml";
  public static final String UNIT = "edge-node.service";
  public static final String INSTALL = "install.sh";

  /** Where the edge-node jar is expected on a gateway. */
  public static final String JAR = "/opt/edgesync/edge-node.jar";
  /** The system user the unit runs as (install.sh creates it). */
  public static final String USER = "edgesync";
  /** {@code NAME=value} lines of {@code edge-node.env}: the edge's JVM flags and malloc setting. */
  private static final List<String> ENVIRONMENT = readEnvironment();

  public EdgeBundle {
    NodeId.require(nodeId, "node id");
    if (group != null) {
      NodeId.require(group, "group");
    }
    endpoints = List.copyOf(endpoints);
    if (endpoints.isEmpty()) {
      throw new IllegalArgumentException("at least one cloud endpoint is required");
    }
  }

  /** {@code /etc/edgesync/<id>}: where install.sh puts the bundle. */
  public String installDir() {
    return "/etc/edgesync/" + nodeId;
  }

  /** {@code /var/lib/edgesync/<id>}: the node's RocksDB and state on an installed gateway. */
  public String stateDir() {
    return "/var/lib/edgesync/" + nodeId;
  }

  /** The edge.yaml text. */
  public String edgeYaml() {
    YamlDocument doc = new YamlDocument()
        .comment("edgesync edge node configuration, written by: provisioning enrol")
        .comment("Run: java -jar edge-node.jar --config edge.yaml")
        .comment("Relative paths resolve against this file's folder.")
        .put("node.id", nodeId);
    if (group != null) {
      doc.put("node.group", group);
    }
    return doc.put("data.dir", "data")
        .put("mqtt.port", 1883)
        .put("mqtt.tlsPort", 8883, "0 disables the TLS listener")
        .put("http.port", 8081)
        .put("cloud.endpoints", endpoints.stream().map(HostPort::toString).toList())
        .put("tls.cert", CERT)
        .put("tls.key", KEY)
        .put("tls.ca", CA)
        .render();
  }

  /** The systemd unit text. */
  public String systemdUnit() {
    return """
        # edgesync edge node %1$s, written by: provisioning enrol
        # Installed by install.sh as /etc/systemd/system/%2$s
        [Unit]
        Description=edgesync edge node %1$s
        After=network-online.target
        Wants=network-online.target

        [Service]
        Type=simple
        User=%3$s
        Group=%3$s
        # Memory bounds (docs/OPERATIONS.md): heap, direct buffers, code and metaspace capped; RocksDB
        # is bounded by log.memoryBytes in edge.yaml. The heap is touched at start (the RSS does not
        # creep up to it later); two malloc arenas, trimmed every 5 s, give freed native memory back;
        # one C2-only JIT compiler (less code cache and compiler memory than tiered compilation).
        # TrimNativeHeapInterval needs JDK 17.0.9 or later.
        %8$s
        # The bundle's data.dir is relative to edge.yaml; an installed node keeps its log under /var/lib.
        ExecStart=/usr/bin/java $JAVA_OPTS -jar %4$s --config %5$s/%6$s --set data.dir=%7$s
        WorkingDirectory=%7$s
        StateDirectory=edgesync/%1$s
        StateDirectoryMode=0700
        Restart=always
        RestartSec=2
        # The JVM exits with 143 on SIGTERM after a clean shutdown.
        SuccessExitStatus=143
        TimeoutStopSec=60
        # MQTT clients, cloud connections and RocksDB files.
        LimitNOFILE=65536
        NoNewPrivileges=yes
        PrivateTmp=yes
        ProtectSystem=full
        ProtectHome=yes

        [Install]
        WantedBy=multi-user.target
        """.formatted(nodeId, UNIT, USER, JAR, installDir(), CONFIG, stateDir(), environmentLines());
  }

  /**
   * The {@code Environment=} lines of the unit, from {@code edge-node.env} next to this class (the
   * one place that holds the edge's JVM flags; the benchmarks read the same file).
   */
  static String environmentLines() {
    StringBuilder out = new StringBuilder();
    for (String line : ENVIRONMENT) {
      if (out.length() > 0) {
        out.append('\n');
      }
      out.append(line.indexOf(' ') >= 0 ? "Environment=\"" + line + "\"" : "Environment=" + line);
    }
    return out.toString();
  }

  /** The install.sh text (POSIX sh). */
  public String installScript() {
    return """
        #!/bin/sh
        # Installs the edgesync node bundle for %1$s on this gateway. Run as root from anywhere:
        #   sudo sh install.sh
        # Copies this folder's files to %2$s, creates the %3$s system user and
        # installs and starts %4$s. Expects the node jar at %5$s.
        set -eu

        SRC=$(cd "$(dirname "$0")" && pwd)
        DEST='%2$s'

        if [ "$(id -u)" -ne 0 ]; then
          echo "install.sh: run as root" >&2
          exit 1
        fi
        for f in %6$s %7$s %8$s %9$s %4$s; do
          if [ ! -f "$SRC/$f" ]; then
            echo "install.sh: $SRC/$f is missing" >&2
            exit 1
          fi
        done
        if [ ! -f '%5$s' ]; then
          echo "install.sh: warning: %5$s is missing; copy it there before the service can start" >&2
        fi

        getent group %3$s >/dev/null 2>&1 || groupadd --system %3$s
        id -u %3$s >/dev/null 2>&1 || useradd --system --gid %3$s --home-dir /var/lib/edgesync --no-create-home --shell /usr/sbin/nologin %3$s

        install -d -m 0750 -o root -g %3$s /etc/edgesync "$DEST"
        install -m 0640 -o root -g %3$s "$SRC/%9$s" "$SRC/%7$s" "$SRC/%8$s" "$DEST/"
        install -m 0640 -o root -g %3$s "$SRC/%6$s" "$DEST/%6$s"
        install -m 0644 -o root -g root "$SRC/%4$s" /etc/systemd/system/%4$s

        systemctl daemon-reload
        systemctl enable %4$s
        systemctl restart %4$s
        echo "installed node %1$s in $DEST; status: systemctl status %4$s"
        """.formatted(nodeId, installDir(), USER, UNIT, JAR, KEY, CERT, CA, CONFIG);
  }

  private static List<String> readEnvironment() {
    try (InputStream in = EdgeBundle.class.getResourceAsStream("edge-node.env")) {
      if (in == null) {
        throw new IllegalStateException("edge-node.env is missing from the provisioning jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
          .map(String::strip)
          .filter(l -> !l.isEmpty() && !l.startsWith("#"))
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Whether {@code outDir} already holds a node key (overwriting needs --force). */
  public static boolean existsIn(Path outDir) {
    return Files.exists(outDir.resolve(KEY));
  }

  /** Writes every file into {@code outDir} (created 0700 when missing) and returns them in order. */
  public List<Path> write(Path outDir, PrivateKey key, X509Certificate certificate, byte[] caPem) throws IOException {
    BundleFiles files = new BundleFiles(outDir);
    files.privateKey(KEY, key);
    files.certificate(CERT, certificate);
    files.bytes(CA, caPem);
    files.write(CONFIG, edgeYaml(), SecureFiles.PUBLIC);
    files.write(UNIT, systemdUnit(), SecureFiles.PUBLIC);
    files.write(INSTALL, installScript(), SecureFiles.EXECUTABLE);
    return files.written();
  }
}
