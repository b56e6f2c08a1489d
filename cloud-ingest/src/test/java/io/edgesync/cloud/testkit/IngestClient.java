package io.edgesync.cloud.testkit;

import io.edgesync.wire.BatchCodec;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.util.Set;

/** An edge-like client: HTTP/2 over TLS (ALPN h2), OpenSSL engine, client certificate. */
public final class IngestClient implements AutoCloseable {
  /** A reply: status, JSON body, and the protocol it came over. */
  public record Reply(int status, JsonObject body, HttpVersion version) {}

  private final HttpClientAgent client;
  /** Every request starts on this context, as an edge forwarder's would (see post). */
  private final Context context;

  public IngestClient(Vertx vertx, int port, TestPki.Creds creds, java.nio.file.Path ca) {
    this(vertx, port, creds, ca, HttpVersion.HTTP_2);
  }

  public IngestClient(Vertx vertx, int port, TestPki.Creds creds, java.nio.file.Path ca, HttpVersion version) {
    this(vertx, port, creds, ca, version, Set.of("TLSv1.2", "TLSv1.3"));
  }

  /** A client limited to {@code tlsVersions}, e.g. {@code TLSv1.2} only. */
  public IngestClient(Vertx vertx, int port, TestPki.Creds creds, java.nio.file.Path ca, HttpVersion version,
      Set<String> tlsVersions) {
    HttpClientOptions o = new HttpClientOptions()
        .setEnabledSecureTransportProtocols(tlsVersions)
        .setSsl(true)
        .setUseAlpn(true)
        .setProtocolVersion(version)
        .setSslEngineOptions(new OpenSSLEngineOptions())
        .setTrustOptions(new PemTrustOptions().addCertPath(ca.toString()))
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(creds.cert().toString())
            .setKeyPath(creds.key().toString()))
        .setVerifyHost(true)
        .setDefaultHost("localhost")
        .setDefaultPort(port)
        .setHttp2MultiplexingLimit(64);
    context = vertx.getOrCreateContext();
    client = vertx.createHttpClient(o);
  }

  /**
   * Runs {@code request} on the client's context. Requests issued from a non-Vert.x thread (the
   * JUnit thread) while responses complete on the event loop were seen to stall now and then in
   * the HTTP/2 connection pool of Vert.x 5.0.8; an edge issues them from its own context.
   */
  private <T> Future<T> onContext(java.util.function.Supplier<Future<T>> request) {
    Promise<T> p = Promise.promise();
    context.runOnContext(v -> request.get().onComplete(p));
    return p.future();
  }

  /** POST /v1/batches with {@code frame} as the body. */
  public Future<Reply> post(byte[] frame) {
    return post(Buffer.buffer(frame));
  }

  public Future<Reply> post(Buffer body) {
    return onContext(() -> client.request(new RequestOptions().setMethod(HttpMethod.POST).setURI("/v1/batches")
            .putHeader("content-type", BatchCodec.CONTENT_TYPE))
        .compose(req -> req.send(body))
        .compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), b.toJsonObject(), resp.version()))));
  }

  /** POST /v1/heartbeat with {@code body}, as an edge sends it. */
  public Future<Reply> heartbeat(JsonObject body) {
    return onContext(() -> client.request(new RequestOptions().setMethod(HttpMethod.POST).setURI("/v1/heartbeat")
            .putHeader("content-type", "application/json"))
        .compose(req -> req.send(body.toBuffer()))
        .compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(),
            b.length() == 0 ? new JsonObject() : b.toJsonObject(), resp.version()))));
  }

  public Future<Reply> watermarks() {
    return onContext(() -> client.request(HttpMethod.GET, "/v1/watermarks")
        .compose(req -> req.send())
        .compose(resp -> resp.body().map(b -> new Reply(resp.statusCode(), b.toJsonObject(), resp.version()))));
  }

  @Override
  public void close() {
    client.close();
  }
}
