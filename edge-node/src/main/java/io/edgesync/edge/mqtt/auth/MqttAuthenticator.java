package io.edgesync.edge.mqtt.auth;

import io.edgesync.edge.config.EdgeKeys;
import io.edgesync.model.Identities;
import io.edgesync.tls.RevocationList;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides whether an MQTT CONNECT is accepted and with which {@link Acl} (docs/SECURITY.md).
 *
 * <p>Certificate identities: the TLS layer has already verified the chain against
 * {@code mqtt.clientCa}; a certificate listed by {@code mqtt.clientCrl} is refused (whatever else
 * the client presents); the CN must be a {@code certificate: true} entry of the users file.
 * Password identities: the PBKDF2 verification runs on a dedicated worker pool of
 * {@value #VERIFIER_THREADS} threads (never on an event loop), at most {@value #MAX_PENDING}
 * waiting (beyond: refused as "server busy", counted {@code reason="busy"}); successful
 * verifications are cached for {@value #CACHE_TTL_SECONDS} s per (user name, password), at
 * most {@value #CACHE_SIZE} entries (LRU), keyed by an HMAC with a per-process random key so
 * no password is kept in memory. An unknown user name costs the same hash as a wrong password.
 *
 * <p>Refusals get the MQTT reason code of the client's protocol level (3.1.1: 4 bad user name
 * or password, 5 not authorized; 5: 0x86, 0x87), are counted in
 * {@code edge_mqtt_auth_failures_total{reason}} and logged at info, at most one line per 10 s
 * (client id and remote address; never a password).
 *
 * <p>The users file is checked every {@code mqtt.usersReloadMs} (modification time and size, on a
 * worker). A valid new file replaces the users at once for new connections (and empties the
 * verification cache); connections already open keep the ACL they were accepted with. An invalid
 * file is refused with one line naming the problem, counted ({@code
 * edge_mqtt_auth_reloads_total{result="failed"}}), and the previous users stay. The CRL is
 * checked with it, by the same rules ({@code edge_mqtt_auth_crl_reloads_total{result}}).
 *
 * <p>Thread-safe; {@link #authenticate} is called on the connection's event loop.
 */
public final class MqttAuthenticator {
  static final int VERIFIER_THREADS = 2;
  static final int MAX_PENDING = 256;
  static final int CACHE_SIZE = 4096;
  static final long CACHE_TTL_SECONDS = 300;
  private static final Logger LOG = LoggerFactory.getLogger(MqttAuthenticator.class);

  /** What the client presented. {@code peer} is the verified client certificate or null. */
  public record Credentials(String clientId, String remote, String username, String password, X509Certificate peer,
      int protocolVersion) {
    @Override
    public String toString() {
      return "Credentials[clientId=" + clientId + ", remote=" + remote + ", username=" + username + "]";
    }
  }

  /**
   * An authenticated client: its name (user name or CN), how it proved it, its ACL, and the users
   * file entry it was accepted with (null with {@code mqtt.auth=none}).
   */
  public record ClientIdentity(String name, String method, Acl acl, MqttUser user) {}

  /** What a reload means for an open connection: keep it, or close it for {@code reason}. */
  public record Review(String reason, String detail) {
    static final Review KEEP = new Review(null, null);

    public boolean keep() {
      return reason == null;
    }
  }

  /** The outcome: {@code identity} when accepted, else the CONNACK code and the counted reason. */
  public record Decision(ClientIdentity identity, MqttConnectReturnCode refusal, String reason) {
    public boolean accepted() {
      return identity != null;
    }
  }

  private final Vertx vertx;
  private final MqttAuthSettings settings;
  private final MeterRegistry registry;
  /** The users in force: replaced as a whole by a reload. */
  private volatile Users users;
  private long reloadTimer = -1;
  /** The users file's version last loaded (or last refused). */
  private final Watched usersVersion;
  /** The revoked client certificates in force, or null without {@code mqtt.clientCrl}. */
  private volatile RevocationList crl;
  /** The CAs of {@code mqtt.clientCa} as read at start (the TLS listener's trust): they sign the CRL. */
  private final List<X509Certificate> crlIssuers;
  /** Like {@link #usersVersion}, for the CRL file. */
  private final Watched crlVersion;
  /** Run on the reload's worker thread after a users file or CRL reload took effect. */
  private final List<Runnable> reloadListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final Counter crlReloadsOk;
  private final Counter crlReloadsFailed;
  private final Counter reloadsOk;
  private final Counter reloadsFailed;
  private final PasswordHash dummy;
  private final WorkerExecutor verifier;
  private final AtomicInteger pending = new AtomicInteger();
  private final byte[] cacheKey = new byte[32];
  private final Map<String, Long> cache = new LinkedHashMap<>(64, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
      return size() > CACHE_SIZE;
    }
  };
  private final InfoLimiter refusals = new InfoLimiter(10);
  private final InfoLimiter denials = new InfoLimiter(10);
  private final Counter cacheHits;

  public MqttAuthenticator(Vertx vertx, MqttAuthSettings settings, MeterRegistry registry) {
    this.vertx = vertx;
    this.settings = settings;
    this.registry = registry;
    SecureRandom random = new SecureRandom();
    random.nextBytes(cacheKey);
    this.users = Users.of(settings.users());
    int iterations = 310_000;
    for (MqttUser u : settings.users()) {
      if (u.hash() != null) {
        iterations = u.hash().iterations();
      }
    }
    byte[] salt = new byte[16];
    byte[] value = new byte[32];
    random.nextBytes(salt);
    random.nextBytes(value);
    this.dummy = PasswordHash.parse(PasswordHash.encode(iterations, salt, value));
    this.verifier = settings.password()
        ? vertx.createSharedWorkerExecutor("edge-mqtt-auth", VERIFIER_THREADS, 60, TimeUnit.SECONDS) : null;
    this.cacheHits = Counter.builder("edge.mqtt.auth.cache.hits")
        .description("password checks answered from the verification cache").register(registry);
    Gauge.builder("edge.mqtt.auth.pending", pending, AtomicInteger::get)
        .description("password verifications queued or running").register(registry);
    // the common reasons exist from the start, so dashboards see zeros
    for (String r : List.of("bad_password", "unknown_user", "not_authorized", "unknown_certificate",
        "revoked_certificate")) {
      failures(r);
    }
    aclCounter("publish");
    aclCounter("subscribe");
    reloadsOk = Counter.builder("edge.mqtt.auth.reloads").tag("result", "ok")
        .description("users file reloads").register(registry);
    reloadsFailed = Counter.builder("edge.mqtt.auth.reloads").tag("result", "failed")
        .description("users file reloads").register(registry);
    Gauge.builder("edge.mqtt.auth.users", this, a -> a.users.count())
        .description("users in force (password and certificate identities)").register(registry);
    crlReloadsOk = Counter.builder("edge.mqtt.auth.crl.reloads").tag("result", "ok")
        .description("mqtt.clientCrl reloads").register(registry);
    crlReloadsFailed = Counter.builder("edge.mqtt.auth.crl.reloads").tag("result", "failed")
        .description("mqtt.clientCrl reloads").register(registry);
    crlIssuers = settings.clientCrl() != null ? RevocationList.readCas(settings.clientCa()) : List.of();
    crlVersion = new Watched(settings.clientCrl());
    if (settings.clientCrl() != null) {
      crl = RevocationList.load(settings.clientCrl(), crlIssuers, EdgeKeys.MQTT_CLIENT_CA);
      warnIfStale(crl);
    }
    Gauge.builder("edge.mqtt.auth.crl.revoked", this, a -> a.crl == null ? 0 : a.crl.revokedCount())
        .description("revoked client certificates listed by mqtt.clientCrl (0 without one)").register(registry);
    usersVersion = new Watched(settings.usersFile());
    if (settings.enabled() && settings.reloadMs() > 0) {
      reloadTimer = vertx.setPeriodic(settings.reloadMs(), id -> vertx.executeBlocking(() -> {
        reloadIfChanged();
        return (Void) null;
      }, false));
    }
  }

  /** The users of one file, by kind. */
  private record Users(Map<String, MqttUser> password, Map<String, MqttUser> certificate, int count) {
    static Users of(List<MqttUser> list) {
      Map<String, MqttUser> pw = new HashMap<>();
      Map<String, MqttUser> cert = new HashMap<>();
      for (MqttUser u : list) {
        if (u.hash() != null) {
          pw.put(u.username(), u);
        }
        if (u.certificate()) {
          cert.put(u.username(), u);
        }
      }
      return new Users(Map.copyOf(pw), Map.copyOf(cert), list.size());
    }
  }

  /** Worker: reloads the users file and the CRL when their modification time or size changed. */
  void reloadIfChanged() {
    if (usersVersion.changed()) {
      reloadUsers(settings.usersFile());
    }
    if (crlVersion.changed()) {
      reloadCrl(settings.clientCrl());
    }
  }

  private void reloadCrl(Path file) {
    RevocationList loaded;
    try {
      loaded = RevocationList.load(file, crlIssuers, EdgeKeys.MQTT_CLIENT_CA);
    } catch (IllegalArgumentException e) {
      crlReloadsFailed.increment();
      LOG.warn("mqtt.clientCrl {} was changed but {}; the previous CRL ({} revoked) stays", file, e.getMessage(),
          crl.revokedCount());
      return;
    }
    crl = loaded;
    crlReloadsOk.increment();
    LOG.info("mqtt.clientCrl {} reloaded: {} revoked certificates; new connections are checked against it, "
        + "open ones with a certificate it revokes are closed", file, loaded.revokedCount());
    warnIfStale(loaded);
    reloadListeners.forEach(Runnable::run);
  }

  /**
   * Runs {@code listener} (on a worker thread) after each reload of the users file or the CRL
   * that took effect: the moment to {@link #review} the open connections.
   */
  public void onReload(Runnable listener) {
    reloadListeners.add(listener);
  }

  /**
   * Whether a connection accepted as {@code who}, with client certificate {@code cert} (or null),
   * may stay open under the users file and CRL now in force: its certificate not revoked, its
   * entry still in the file and unchanged. A changed entry (password, ACL) closes the connection,
   * so that the client reconnects under the new one and its subscriptions are checked again.
   */
  public Review review(ClientIdentity who, X509Certificate cert) {
    if (who == null || who.user() == null) {
      return Review.KEEP;
    }
    if (revoked(cert)) {
      return new Review("revoked_certificate", "certificate serial " + cert.getSerialNumber().toString(16)
          + " is revoked by the reloaded mqtt.clientCrl");
    }
    Users now = users;
    MqttUser current = ("certificate".equals(who.method()) ? now.certificate() : now.password()).get(who.name());
    if (current == null) {
      return new Review("user_removed", who.method() + " identity " + who.name() + " is no longer in mqtt.usersFile");
    }
    if (!current.equals(who.user())) {
      return new Review("user_changed", "the entry of " + who.name()
          + " in mqtt.usersFile changed (password or ACL); the client may reconnect under the new one");
    }
    return Review.KEEP;
  }

  /** Whether the CRL in force revokes {@code cert} (false without {@code mqtt.clientCrl}). */
  public boolean revoked(X509Certificate cert) {
    RevocationList revocations = crl;
    return revocations != null && cert != null && revocations.revoked(cert);
  }

  private void warnIfStale(RevocationList c) {
    if (c.stale(java.time.Instant.now())) {
      LOG.warn("mqtt.clientCrl {} is past its next update ({}): certificates revoked since are not known; "
          + "replace it with a current CRL", settings.clientCrl(), c.nextUpdate());
    }
  }

  private void reloadUsers(Path file) {
    List<MqttUser> loaded;
    try {
      loaded = UsersFile.load(file);
    } catch (IllegalArgumentException e) {
      reloadsFailed.increment();
      LOG.warn("{} was changed but is invalid, the previous {} users stay: {}", file, users.count(), e.getMessage());
      return;
    }
    users = Users.of(loaded);
    synchronized (cache) {
      cache.clear();
    }
    reloadsOk.increment();
    LOG.info("{} reloaded: {} users; new connections use them, open ones whose entry was removed or changed "
        + "are closed", file, loaded.size());
    reloadListeners.forEach(Runnable::run);
  }

  /** A file's modification time and size as last seen; worker only (after construction). */
  private static final class Watched {
    private final Path file;
    private String stamp;

    /** {@code file} may be null: never changed. */
    Watched(Path file) {
      this.file = file;
      this.stamp = file == null ? null : stamp(file);
    }

    /** True once per new modification time or size; a file that cannot be read changes nothing. */
    boolean changed() {
      String now = file == null ? null : stamp(file);
      if (now == null || now.equals(stamp)) {
        return false;
      }
      stamp = now;
      return true;
    }

    /** "mtime/size" of {@code file}, or null when it cannot be read. */
    private static String stamp(Path file) {
      try {
        return Files.getLastModifiedTime(file).toMillis() + "/" + Files.size(file);
      } catch (IOException e) {
        return null;
      }
    }
  }

  /** Whether clients are authenticated at all. */
  public boolean enabled() {
    return settings.enabled();
  }

  /** The settings. */
  public MqttAuthSettings settings() {
    return settings;
  }

  /** Logs the authentication mode once; warns when clients are unauthenticated on a non-loopback address. */
  public void logMode(String host, int port, int tlsPort) {
    if (!settings.enabled()) {
      if (!isLoopback(host)) {
        LOG.warn("MQTT authentication is off (mqtt.auth=none): any client that reaches {}:{}{} may publish and "
            + "subscribe to any topic; see docs/SECURITY.md", host, port, tlsPort > 0 ? " or TLS " + tlsPort : "");
      }
      return;
    }
    LOG.info("MQTT authentication: {} ({} users from {}{})", settings.mode(), users.count(),
        settings.usersFile(), settings.certificate() ? ", client certificates chained to " + settings.clientCa()
            + (crl != null ? ", " + crl.revokedCount() + " revoked per " + settings.clientCrl() : "") : "");
  }

  /** Stops the users file checks and shuts the verifier pool down. */
  public void close() {
    if (reloadTimer >= 0) {
      vertx.cancelTimer(reloadTimer);
    }
    if (verifier != null) {
      verifier.close();
    }
  }

  /** Decides on one CONNECT. Completes on the caller's context. */
  public Future<Decision> authenticate(Credentials c) {
    if (!settings.enabled()) {
      return Future.succeededFuture(new Decision(new ClientIdentity(c.clientId(), "none", Acl.ALL, null), null, null));
    }
    if (c.peer() != null && settings.certificate()) {
      String cn = Identities.commonName(c.peer());
      if (revoked(c.peer())) {
        return Future.succeededFuture(refuse(c, false, "revoked_certificate", "certificate serial "
            + c.peer().getSerialNumber().toString(16) + " (CN " + cn + ") is revoked by mqtt.clientCrl"));
      }
      MqttUser u = cn == null ? null : users.certificate().get(cn);
      if (u != null) {
        return accepted(u, "certificate");
      }
      if (!settings.password() || c.username() == null) {
        return Future.succeededFuture(refuse(c, false, "unknown_certificate", "certificate CN " + cn
            + " is not a certificate identity in mqtt.usersFile"));
      }
    }
    if (!settings.password()) {
      return Future.succeededFuture(refuse(c, false, "not_authorized", "no client certificate"));
    }
    if (c.username() == null) {
      return Future.succeededFuture(refuse(c, false, "not_authorized", "no user name"));
    }
    MqttUser user = users.password().get(c.username());
    String password = c.password() == null ? "" : c.password();
    String key = cacheKey(c.username(), password);
    if (user != null && cached(key)) {
      cacheHits.increment();
      return accepted(user, "password");
    }
    if (pending.incrementAndGet() > MAX_PENDING) {
      pending.decrementAndGet();
      return Future.succeededFuture(refuse(c, null, "busy", "more than " + MAX_PENDING + " password checks waiting"));
    }
    PasswordHash hash = user != null ? user.hash() : dummy;
    return verifier.executeBlocking(() -> hash.verify(password), false)
        .eventually(() -> {
          pending.decrementAndGet();
          return Future.succeededFuture();
        })
        .map(ok -> {
          if (user == null) {
            return refuse(c, true, "unknown_user", "unknown user " + c.username());
          }
          if (!ok) {
            return refuse(c, true, "bad_password", "wrong password for user " + c.username());
          }
          remember(key);
          return new Decision(new ClientIdentity(user.username(), "password", user.acl(), user), null, null);
        });
  }

  /**
   * Counts and logs (rate-limited, info) a PUBLISH or SUBSCRIBE outside the client's ACL.
   *
   * @param action {@code publish} or {@code subscribe}
   */
  public void aclDenied(String action, ClientIdentity who, String clientId, String remote, String topic) {
    aclCounter(action).increment();
    denials.info("[client: {}] [remote: {}] [user: {}] {} to {} not authorized by its ACL", clientId, remote,
        who == null ? "-" : who.name(), action, topic);
  }

  // ---------------------------------------------------------------- internals

  private Future<Decision> accepted(MqttUser u, String method) {
    return Future.succeededFuture(new Decision(new ClientIdentity(u.username(), method, u.acl(), u), null, null));
  }

  /**
   * @param badCredentials true: "bad user name or password"; false: "not authorized"; null: server busy
   */
  private Decision refuse(Credentials c, Boolean badCredentials, String reason, String detail) {
    failures(reason).increment();
    refusals.info("[client: {}] [remote: {}] MQTT connection refused: {}: {}", c.clientId(), c.remote(), reason,
        detail);
    boolean v5 = c.protocolVersion() >= 5;
    MqttConnectReturnCode code;
    if (badCredentials == null) {
      code = v5 ? MqttConnectReturnCode.CONNECTION_REFUSED_SERVER_BUSY
          : MqttConnectReturnCode.CONNECTION_REFUSED_SERVER_UNAVAILABLE;
    } else if (badCredentials) {
      code = v5 ? MqttConnectReturnCode.CONNECTION_REFUSED_BAD_USERNAME_OR_PASSWORD
          : MqttConnectReturnCode.CONNECTION_REFUSED_BAD_USER_NAME_OR_PASSWORD;
    } else {
      code = v5 ? MqttConnectReturnCode.CONNECTION_REFUSED_NOT_AUTHORIZED_5
          : MqttConnectReturnCode.CONNECTION_REFUSED_NOT_AUTHORIZED;
    }
    return new Decision(null, code, reason);
  }

  private String cacheKey(String username, String password) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(cacheKey, "HmacSHA256"));
      mac.update(username.getBytes(StandardCharsets.UTF_8));
      mac.update((byte) 0);
      return Base64.getEncoder().encodeToString(mac.doFinal(password.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available in this JDK", e);
    }
  }

  private boolean cached(String key) {
    synchronized (cache) {
      Long expires = cache.get(key);
      if (expires == null) {
        return false;
      }
      if (System.nanoTime() - expires > 0) {
        cache.remove(key);
        return false;
      }
      return true;
    }
  }

  private void remember(String key) {
    synchronized (cache) {
      cache.put(key, System.nanoTime() + TimeUnit.SECONDS.toNanos(CACHE_TTL_SECONDS));
    }
  }

  private static boolean isLoopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private Counter failures(String reason) {
    return Counter.builder("edge.mqtt.auth.failures")
        .description("MQTT connections refused by authentication").tag("reason", reason).register(registry);
  }

  private Counter aclCounter(String action) {
    return Counter.builder("edge.mqtt.acl.denied")
        .description("PUBLISH / SUBSCRIBE refused by the client's topic ACL").tag("action", action).register(registry);
  }

  /** At most one info line per period; the count of held-back lines goes with the next one. */
  private static final class InfoLimiter {
    private final long periodNanos;
    private long next = Long.MIN_VALUE;
    private long suppressed;

    InfoLimiter(int seconds) {
      this.periodNanos = TimeUnit.SECONDS.toNanos(seconds);
    }

    void info(String format, Object... args) {
      long held;
      synchronized (this) {
        long now = System.nanoTime();
        if (next != Long.MIN_VALUE && now - next < 0) {
          suppressed++;
          return;
        }
        next = now + periodNanos;
        held = suppressed;
        suppressed = 0;
      }
      if (held > 0) {
        Object[] a = java.util.Arrays.copyOf(args, args.length + 1);
        a[args.length] = held;
        LOG.info(format + " ({} similar lines suppressed)", a);
      } else {
        LOG.info(format, args);
      }
    }
  }
}
