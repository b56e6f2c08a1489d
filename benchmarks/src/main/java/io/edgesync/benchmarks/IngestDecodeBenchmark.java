package io.edgesync.benchmarks;

import io.edgesync.edge.dedup.DedupKey;
import io.edgesync.edge.mqtt.PacketIdDedup;
import io.edgesync.edge.mqtt.PayloadFields;
import io.edgesync.model.EnvelopeCodec;
import io.edgesync.model.Event;
import io.edgesync.model.Priority;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttPublishVariableHeader;
import io.netty.handler.codec.mqtt.MqttQoS;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The per-PUBLISH work of the MQTT ingest on the event loop, without the network and the
 * log: Netty's {@link MqttDecoder} turns the bytes of a QoS1 PUBLISH (200-byte JSON payload
 * shaped like the load generator's) into a message, then what {@code MqttIngest.onPublish}
 * does with it: payload copy, {@link PayloadFields#scan} (top-level {@code id}/{@code ts}),
 * {@link EnvelopeCodec#encode} and the {@link DedupKey} the log dedups on.
 *
 * <ul>
 *   <li>{@code decode}: MQTT decode only (the floor)</li>
 *   <li>{@code scan}: payload JSON scan only</li>
 *   <li>{@code decodeToEnvelope}: the whole path, decode to envelope + dedup key</li>
 * </ul>
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar IngestDecode}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class IngestDecodeBenchmark {
  private static final String TOPIC = "bench/p3";
  private static final String CLIENT = "loadgen-c3";

  private EmbeddedChannel channel;
  private ByteBuf packet;
  private byte[] payload;
  private int n;

  @Setup
  public void setup() {
    StringBuilder json = new StringBuilder("{\"id\":\"run1-c3-123456\",\"ts\":1763776800000,\"tn\":1763776800000123,"
        + "\"value\":123456,\"pad\":\"");
    while (json.length() < 198) {
      json.append((char) ('a' + json.length() % 26));
    }
    json.append("\"}");
    payload = json.toString().getBytes(StandardCharsets.UTF_8);
    EmbeddedChannel encoder = new EmbeddedChannel(MqttEncoder.INSTANCE);
    encoder.writeOutbound(new MqttPublishMessage(
        new MqttFixedHeader(MqttMessageType.PUBLISH, false, MqttQoS.AT_LEAST_ONCE, false, 0),
        new MqttPublishVariableHeader(TOPIC, 42), Unpooled.wrappedBuffer(payload)));
    ByteBuf encoded = encoder.readOutbound();
    packet = Unpooled.unreleasableBuffer(Unpooled.copiedBuffer(encoded));
    encoded.release();
    encoder.finishAndReleaseAll();
    channel = new EmbeddedChannel(new MqttDecoder(256 * 1024));
  }

  @TearDown
  public void tearDown() {
    channel.finishAndReleaseAll();
  }

  private MqttPublishMessage decodeOne() {
    channel.writeInbound(packet.duplicate());
    return channel.readInbound();
  }

  @Benchmark
  public int decode() {
    MqttPublishMessage m = decodeOne();
    int len = m.payload().readableBytes();
    m.release();
    return len;
  }

  @Benchmark
  public PayloadFields scan() {
    return PayloadFields.scan(payload);
  }

  @Benchmark
  public Object decodeToEnvelope() {
    MqttPublishMessage m = decodeOne();
    byte[] body = new byte[m.payload().readableBytes()];
    m.payload().getBytes(m.payload().readerIndex(), body);
    String topic = m.variableHeader().topicName();
    int packetId = m.variableHeader().packetId();
    m.release();
    PayloadFields fields = PayloadFields.scan(body);
    long now = 1_763_776_800_000L + (n++ & 1023);
    byte[] envelope = EnvelopeCodec.encode(new Event(0, 0, Priority.NORMAL, CLIENT, topic, fields.id(),
        fields.ts() != null ? fields.ts() : now, now, body));
    DedupKey key = PacketIdDedup.logKey(CLIENT, 1, packetId, false, topic, fields.id(), body);
    return key == null ? envelope : key;
  }
}
