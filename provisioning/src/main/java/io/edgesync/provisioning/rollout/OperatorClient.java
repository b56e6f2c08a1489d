package io.edgesync.provisioning.rollout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.edgesync.config.HostPort;
import io.edgesync.model.Identities;
import io.edgesync.provisioning.ProvisioningException;
import io.edgesync.provisioning.fleet.FleetStore;
import io.edgesync.provisioning.pki.CertificateAuthority;
import io.edgesync.provisioning.pki.CertificateSpec;
import io.edgesync.provisioning.pki.KeyPairs;
import io.edgesync.provisioning.pki.KeyPurpose;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.EnumSet;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;

/**
 * Talks to cloud-ingest's rollout API (docs/CLOUD.md) over HTTPS (HTTP/2) with mutual TLS, as an
 * operator: the client certificate is minted in memory from the fleet CA for each command (CN
 * {@code operator:NAME}, EKU clientAuth, valid {@link #VALIDITY}), never written to disk; the
 * server certificate is verified against the fleet CA and the host name. Blocking; one request
 * at a time.
 */
public final class OperatorClient {
  /** Lifetime of a minted operator certificate. */
  public static final Duration VALIDITY = Duration.ofHours(1);
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http;
  private final HostPort cloud;

  private OperatorClient(HttpClient http, HostPort cloud) {
    this.http = http;
    this.cloud = cloud;
  }

  /**
   * A client for {@code cloud} with an operator certificate for {@code operator} signed by the
   * CA of {@code fleet}.
   */
  public static OperatorClient connect(FleetStore fleet, HostPort cloud, String operator) {
    try {
      CertificateAuthority ca = fleet.ca();
      KeyPair pair = KeyPairs.generateP256();
      Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
      X509Certificate cert = ca.issue(pair.getPublic(), new CertificateSpec(Identities.operatorCommonName(operator),
          List.of(), EnumSet.of(KeyPurpose.CLIENT_AUTH), VALIDITY), now);
      char[] pw = "in-memory".toCharArray();
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, null);
      keys.setKeyEntry("operator", pair.getPrivate(), pw, new Certificate[] {cert, ca.certificate()});
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, pw);
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      trust.setCertificateEntry("fleet-ca", ca.certificate());
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
      HttpClient http = HttpClient.newBuilder().sslContext(ssl).version(HttpClient.Version.HTTP_2)
          .connectTimeout(Duration.ofSeconds(10)).build();
      return new OperatorClient(http, cloud);
    } catch (GeneralSecurityException | IOException e) {
      throw new ProvisioningException("cannot set up the operator TLS client: " + e.getMessage(), e);
    }
  }

  /** GET {@code path}; the JSON body of a 2xx answer. */
  public JsonNode get(String path) {
    return send(HttpRequest.newBuilder(uri(path)).GET());
  }

  /** POST {@code body} (JSON, may be null) to {@code path}; the JSON body of a 2xx answer. */
  public JsonNode post(String path, JsonNode body) {
    try {
      byte[] bytes = body == null ? new byte[0] : JSON.writeValueAsBytes(body);
      return send(HttpRequest.newBuilder(uri(path)).header("content-type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)));
    } catch (IOException e) {
      throw new ProvisioningException("cannot encode the request: " + e.getMessage(), e);
    }
  }

  private URI uri(String path) {
    String host = cloud.host().contains(":") ? "[" + cloud.host() + "]" : cloud.host();
    return URI.create("https://" + host + ":" + cloud.port() + path);
  }

  /**
   * @throws ProvisioningException one line: the cloud's error code and message for a non-2xx
   *     answer, or what failed on the way (unreachable, TLS, timeout)
   */
  private JsonNode send(HttpRequest.Builder request) {
    HttpResponse<byte[]> resp;
    try {
      resp = http.send(request.timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (HttpConnectTimeoutException | ConnectException e) {
      throw new ProvisioningException("cloud " + cloud + " unreachable: " + describe(e), e);
    } catch (HttpTimeoutException e) {
      throw new ProvisioningException("cloud " + cloud + " did not answer within " + TIMEOUT.toSeconds() + " s", e);
    } catch (SSLHandshakeException e) {
      throw new ProvisioningException("TLS handshake with " + cloud + " failed (is it this fleet's cloud, and is "
          + "--cloud one of its certificate's names?): " + describe(e), e);
    } catch (IOException e) {
      throw new ProvisioningException("request to " + cloud + " failed: " + describe(e), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ProvisioningException("interrupted", e);
    }
    JsonNode body;
    try {
      body = resp.body().length == 0 ? JSON.createObjectNode() : JSON.readTree(resp.body());
    } catch (IOException e) {
      throw new ProvisioningException("cloud answered HTTP " + resp.statusCode() + " with a body that is not JSON", e);
    }
    if (resp.statusCode() / 100 != 2) {
      throw new ProvisioningException("HTTP " + resp.statusCode() + " " + body.path("error").asText("")
          + ": " + body.path("message").asText(""));
    }
    return body;
  }

  private static String describe(Throwable e) {
    String m = e.getMessage();
    return m == null ? e.getClass().getSimpleName() : m;
  }
}
