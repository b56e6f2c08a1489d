package io.edgesync.edge.mqtt.auth;

import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.mqtt.MqttServerOptions;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * TLS settings of the MQTT TLS listener: OpenSSL engine, TLS 1.2 and 1.3 only, forward-secret
 * AEAD cipher suites only, and, with certificate authentication, client certificates
 * (REQUIRED when certificates are the only method, REQUESTED with password,certificate)
 * verified against {@code mqtt.clientCa}.
 */
public final class MqttTls {
  /** Protocols the listener speaks. */
  public static final Set<String> PROTOCOLS = Set.of("TLSv1.2", "TLSv1.3");
  /**
   * Cipher suites: ECDHE key exchange with AES-GCM or ChaCha20-Poly1305 for TLS 1.2 (ECDSA
   * certificates, as the fleet issues, and RSA ones), and the TLS 1.3 suites.
   */
  public static final List<String> CIPHERS = List.of(
      "TLS_AES_128_GCM_SHA256",
      "TLS_AES_256_GCM_SHA384",
      "TLS_CHACHA20_POLY1305_SHA256",
      "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
      "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
      "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
      "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
      "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
      "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

  private MqttTls() {}

  /** Makes {@code o} a TLS listener with {@code cert}/{@code key} and the settings above. */
  public static MqttServerOptions apply(MqttServerOptions o, Path cert, Path key, MqttAuthSettings auth) {
    o.setSsl(true)
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(cert.toString()).setKeyPath(key.toString()));
    o.setSslEngineOptions(new OpenSSLEngineOptions());
    o.setEnabledSecureTransportProtocols(PROTOCOLS);
    CIPHERS.forEach(o::addEnabledCipherSuite);
    if (auth.certificate()) {
      o.setTrustOptions(new PemTrustOptions().addCertPath(auth.clientCa().toString()));
      o.setClientAuth(auth.password() ? ClientAuth.REQUEST : ClientAuth.REQUIRED);
    }
    return o;
  }
}
