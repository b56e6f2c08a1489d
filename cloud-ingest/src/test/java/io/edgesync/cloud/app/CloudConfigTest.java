package io.edgesync.cloud.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgesync.config.ConfigException;
import io.edgesync.cloud.testkit.TestPki;
import io.edgesync.config.Settings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scale-out and Kafka security keys of cloud.yaml (docs/CONFIG-cloud.md, docs/DEPLOYMENT.md). */
class CloudConfigTest {
  @TempDir
  Path dir;

  private CloudConfig config(Map<String, Object> extra) throws Exception {
    Path f = Files.writeString(dir.resolve("x.pem"), "not read here");
    Map<String, Object> m = new HashMap<>(Map.of("tls.cert", f.toString(), "tls.key", f.toString(),
        "tls.ca", f.toString(), "kafka.bootstrap", "k1:9092,k2:9092"));
    m.putAll(extra);
    return CloudConfig.from(Settings.of(m));
  }

  @Test
  void minInsyncReplicasFollowsTheReplicationFactorUnlessSet() throws Exception {
    assertEquals(1, config(Map.of()).minInsyncReplicas());
    assertEquals(1, config(Map.of("kafka.replicationFactor", "2")).minInsyncReplicas());
    assertEquals(2, config(Map.of("kafka.replicationFactor", "3")).minInsyncReplicas());
    assertEquals(2, config(Map.of("kafka.replicationFactor", "5")).minInsyncReplicas());
    assertEquals(3, config(Map.of("kafka.replicationFactor", "5", "kafka.minInsyncReplicas", "3")).minInsyncReplicas());
    ConfigException e = assertThrows(ConfigException.class,
        () -> config(Map.of("kafka.replicationFactor", "3", "kafka.minInsyncReplicas", "4")));
    assertTrue(e.getMessage().contains("kafka.minInsyncReplicas"), e.getMessage());
  }

  @Test
  void shardWritersShareOnePrefixAndTheFencedWaitIsTheSessionTimeout() throws Exception {
    CloudConfig c = config(Map.of("kafka.sessionTimeoutMs", "7000"));
    assertEquals("edgesync-ingest", c.writerOptions("k:1").transactionalId());
    assertEquals(7000, c.writerOptions("k:1").fencedWaitMs());
    assertEquals("edgesync-ingest", c.shardOptions().groupId());
    assertEquals(8, c.shards());
  }

  @Test
  void clientPropertiesReachEveryKafkaClientAndTheirValuesAreNeverPrinted() throws Exception {
    Path props = Files.writeString(dir.resolve("kafka.properties"), """
        security.protocol=SASL_SSL
        sasl.mechanism=SCRAM-SHA-512
        sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="ingest" password="s3cret";
        """);
    CloudConfig c = config(Map.of("kafka.clientProperties", props.toString()));
    Properties p = c.writerOptions("k1:9092").kafkaProperties();
    assertEquals("SASL_SSL", p.getProperty("security.protocol"));
    assertEquals("k1:9092", p.getProperty("bootstrap.servers"));
    assertFalse(c.toString().contains("s3cret"), c.toString());
    assertFalse(c.writerOptions("k1:9092").toString().contains("s3cret"));
  }

  @Test
  void aClientPropertiesFileThatOverridesOurSettingsOrIsMissingIsOneErrorNamingTheKey() throws Exception {
    Path bad = Files.writeString(dir.resolve("bad.properties"), "transactional.id=mine\n");
    ConfigException e = assertThrows(ConfigException.class,
        () -> config(Map.of("kafka.clientProperties", bad.toString())));
    assertTrue(e.getMessage().contains("kafka.clientProperties") && e.getMessage().contains("transactional.id"),
        e.getMessage());
    ConfigException missing = assertThrows(ConfigException.class,
        () -> config(Map.of("kafka.clientProperties", dir.resolve("nope.properties").toString())));
    assertTrue(missing.getMessage().contains("kafka.clientProperties"), missing.getMessage());
  }

  @Test
  void kafkaCompressionIsLz4UnlessSetToZstdOrNone() throws Exception {
    assertEquals("lz4", config(Map.of()).writerOptions("k:1").compression());
    assertEquals("zstd", config(Map.of("kafka.compression", "zstd")).writerOptions("k:1").compression());
    assertEquals("none", config(Map.of("kafka.compression", "none")).writerOptions("k:1").compression());
    ConfigException e = assertThrows(ConfigException.class, () -> config(Map.of("kafka.compression", "gzip")));
    assertTrue(e.getMessage().contains("kafka.compression must be one of lz4, zstd, none (got gzip)"), e.getMessage());
  }

  @Test
  void transactionIntervalIs10MsByDefaultAndBoundedTo1s() throws Exception {
    assertEquals(10, config(Map.of()).writerOptions("k:1").txnIntervalMs());
    assertEquals(0, config(Map.of("kafka.txnIntervalMs", "0")).writerOptions("k:1").txnIntervalMs());
    assertEquals(0, config(Map.of("kafka.txnIntervalMs", "0")).writerOptions("k:1").withTransactionalId("x").txnIntervalMs());
    for (String bad : new String[] {"-1", "1001"}) {
      ConfigException e = assertThrows(ConfigException.class, () -> config(Map.of("kafka.txnIntervalMs", bad)));
      assertTrue(e.getMessage().contains("kafka.txnIntervalMs"), e.getMessage());
    }
  }
  @Test
  void aCrlThatIsNotOneOfTlsCaIsOneErrorNamingTheKey() throws Exception {
    TestPki fleet = TestPki.create(dir.resolve("fleet"));
    TestPki other = TestPki.create(dir.resolve("other"));
    Path crl = dir.resolve("fleet.crl");
    fleet.writeCrl(crl, java.util.List.of(fleet.node("n1").serial()));
    Map<String, Object> ok = Map.of("tls.ca", fleet.caCert().toString(), "tls.crl", crl.toString());
    assertEquals(crl, config(ok).tlsCrl());

    ConfigException foreign = assertThrows(ConfigException.class,
        () -> config(Map.of("tls.ca", other.caCert().toString(), "tls.crl", crl.toString())));
    // both test CAs are named CN=fleet-ca: the signature tells them apart
    assertTrue(foreign.getMessage().contains("tls.crl") && foreign.getMessage().contains("does not verify"),
        foreign.getMessage());
    Path garbage = Files.writeString(dir.resolve("garbage.crl"), "-----BEGIN X509 CRL-----\nnot base64\n");
    ConfigException notACrl = assertThrows(ConfigException.class,
        () -> config(Map.of("tls.ca", fleet.caCert().toString(), "tls.crl", garbage.toString())));
    assertTrue(notACrl.getMessage().contains("tls.crl") && !notACrl.getMessage().contains("\n"), notACrl.getMessage());
  }
}
