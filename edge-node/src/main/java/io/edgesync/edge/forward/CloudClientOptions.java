package io.edgesync.edge.forward;

import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.time.Duration;

/**
 * The one way this node talks to cloud-ingest: HTTP/2 over TLS (ALPN), OpenSSL engine, the
 * node's certificate as client identity, the fleet CA as the only trust anchor, host name
 * verification on. Used by the batch forwarder and the heartbeat sender.
 */
public final class CloudClientOptions {
  private CloudClientOptions() {}

  /** Client options for {@code config}'s certificates; {@code connectTimeout} bounds connect + handshake. */
  public static HttpClientOptions of(ForwarderConfig config, Duration connectTimeout) {
    HttpClientOptions options = new HttpClientOptions()
        .setProtocolVersion(HttpVersion.HTTP_2)
        .setUseAlpn(true)
        .setSsl(true)
        .setSslEngineOptions(new OpenSSLEngineOptions())
        .setKeyCertOptions(new PemKeyCertOptions()
            .setCertPath(config.tlsCert().toString())
            .setKeyPath(config.tlsKey().toString()))
        .setTrustOptions(new PemTrustOptions().addCertPath(config.tlsCa().toString()))
        .setVerifyHost(true)
        .setKeepAlive(true)
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()));
    options.getSslOptions().setHostnameVerificationAlgorithm("HTTPS");
    return options;
  }
}
