package io.edgesync.cloud.testkit;

import io.edgesync.cloud.app.CloudIngest;
import io.edgesync.cloud.kafka.EmbeddedKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;

/**
 * What an ingest test class runs against: a fleet PKI, a real in-process Kafka broker and the
 * clouds started on it, all under one folder. Start it in {@code @BeforeAll}, close it in
 * {@code @AfterAll}: the clouds stop (newest first), then the broker.
 */
public final class CloudTestEnv implements AutoCloseable {
  private static final Duration STOP = Duration.ofSeconds(30);

  private final Path dir;
  private final TestPki pki;
  private final EmbeddedKafka kafka;
  private final Deque<CloudIngest> clouds = new ArrayDeque<>();

  private CloudTestEnv(Path dir, TestPki pki, EmbeddedKafka kafka) {
    this.dir = dir;
    this.pki = pki;
    this.kafka = kafka;
  }

  /** A PKI under {@code dir/pki} and a broker under {@code dir/kafka}, on free ports. */
  public static CloudTestEnv start(Path dir) {
    TestPki pki = TestPki.create(dir.resolve("pki"));
    EmbeddedKafka kafka = new EmbeddedKafka(new EmbeddedKafka.Options(dir.resolve("kafka"), 0, 0));
    kafka.start();
    return new CloudTestEnv(dir, pki, kafka);
  }

  public TestPki pki() {
    return pki;
  }

  /** A cloud on free ports with its data under {@code dir/data}; {@code extra} adds or overrides settings. */
  public CloudIngest startCloud(Map<String, String> extra) {
    CloudIngest cloud = TestCloud.start(TestCloud.config(pki, kafka.bootstrap(), dir.resolve("data"), extra));
    clouds.push(cloud);
    return cloud;
  }

  @Override
  public void close() {
    while (!clouds.isEmpty()) {
      TestCloud.await(clouds.pop().stop(), STOP);
    }
    kafka.close();
  }
}
