package io.edgesync.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgesync.testsupport.TcpProxy;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Issue 7 acceptance 1: the cloud's fleet dashboard in a real headless Chromium (Debian's
 * chromium + chromedriver, driven by Selenium; nothing is downloaded) while two edge nodes run.
 * Both nodes appear online; the fleet events/s figure rises while devices publish; cutting edge
 * B's link (a TCP proxy between it and the cloud) turns B offline with a growing backlog. A
 * screenshot is saved to {@code system-tests/target/dashboard.png}.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class DashboardBrowserTest {
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir static Path dir;
  private static Stack stack;
  private static TcpProxy linkB;
  private static Stack.Edge edgeA;
  private static Stack.Edge edgeB;
  private static ChromeDriverService service;
  private static WebDriver driver;

  @BeforeAll
  static void start() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(CHROMEDRIVER) && Files.isExecutable(CHROMIUM),
        "Debian's chromium and chromium-driver are not installed (/usr/bin/chromedriver, /usr/bin/chromium): "
            + "apt-get install -y chromium chromium-driver (.ci/run does it)");
    stack = new Stack(dir);
    stack.startCloud();
    linkB = new TcpProxy("127.0.0.1", stack.ingestPort);
    edgeA = stack.startEdge(stack.enrol("edge-a"), "heartbeat.intervalMs=1000");
    edgeB = stack.startEdge(stack.enrol("edge-b"), "heartbeat.intervalMs=1000",
        "cloud.endpoints=localhost:" + linkB.port(), "forward.retryMaxMs=2000");
    // never let Selenium Manager look for (or download) a driver or a browser
    System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
    System.setProperty("SE_OFFLINE", "true");
    service = new ChromeDriverService.Builder()
        .usingDriverExecutable(CHROMEDRIVER.toFile())
        .usingAnyFreePort()
        .withLogFile(stack.logs.resolve("chromedriver.log").toFile())
        .build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        "--window-size=1500,900", "--user-data-dir=" + Files.createDirectories(dir.resolve("chrome-profile")));
    driver = new ChromeDriver(service, options);
  }

  @AfterAll
  static void stopAll() {
    if (driver != null) {
      driver.quit();
    }
    if (service != null) {
      service.stop();
    }
    if (stack != null) {
      stack.close();
    }
    if (linkB != null) {
      linkB.close();
    }
  }

  private static void until(String what, Supplier<Boolean> condition) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!Boolean.TRUE.equals(condition.get())) {
      if (System.nanoTime() > deadline) {
        screenshot("dashboard-failure.png");
        throw new AssertionError("timed out after " + WAIT + " waiting until " + what);
      }
      ChildProcess.pause(200);
    }
  }

  private static WebElement row(String node) {
    List<WebElement> rows = driver.findElements(By.cssSelector("tr[data-node=\"" + node + "\"]"));
    return rows.isEmpty() ? null : rows.get(0);
  }

  private static String state(String node) {
    WebElement r = row(node);
    return r == null ? null : r.findElement(By.cssSelector("td.state .badge")).getText();
  }

  private static long backlogShown(String node) {
    return Long.parseLong(row(node).findElement(By.cssSelector("td.backlog")).getDomAttribute("data-events"));
  }

  private static double fleetRate() {
    return Double.parseDouble(driver.findElement(By.id("fleet-rate")).getDomAttribute("data-value"));
  }

  private static long edgeBacklog(Stack.Edge edge) throws Exception {
    HttpResponse<String> r = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + edge.httpPort() + "/status")).build(), HttpResponse.BodyHandlers.ofString());
    java.util.Map<String, Object> status = new org.openqa.selenium.json.Json().toType(r.body(), java.util.Map.class);
    java.util.Map<?, ?> log = (java.util.Map<?, ?>) status.get("log");
    java.util.Map<?, ?> normal = (java.util.Map<?, ?>) ((java.util.Map<?, ?>) log.get("classes")).get("normal");
    return ((Number) normal.get("backlog")).longValue();
  }

  private static Path screenshot(String name) {
    try {
      Path target = Stack.root().resolve("system-tests").resolve("target");
      Files.createDirectories(target);
      Path file = target.resolve(name);
      Files.copy(((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE).toPath(), file,
          StandardCopyOption.REPLACE_EXISTING);
      return file;
    } catch (Exception e) {
      System.err.println("screenshot failed: " + e);
      return null;
    }
  }

  @Test
  void bothNodesAppearTheRateRisesUnderLoadAndACutLinkTurnsANodeOfflineWithAGrowingBacklog() throws Exception {
    // GIVEN the dashboard open in Chromium while two edges send heartbeats
    driver.get("http://127.0.0.1:" + stack.cloudHttpPort + "/");
    until("both nodes are listed online", () -> "online".equals(state("edge-a")) && "online".equals(state("edge-b")));
    until("the page is live", () -> "live".equals(driver.findElement(By.id("conn")).getDomAttribute("data-state")));
    double idleRate = fleetRate();

    // WHEN devices publish to both edges (about 400 + 300 events/s)
    double peak;
    try (PacedPublisher a = new PacedPublisher(edgeA.mqttPort(), "dash-a", 400);
         PacedPublisher b = new PacedPublisher(edgeB.mqttPort(), "dash-b", 300)) {
      // THEN the fleet events/s figure rises
      until("the fleet rate rises above 300/s", () -> fleetRate() > 300);
      peak = fleetRate();
      until("edge-b reports its input rate", () -> Double.parseDouble(
          row("edge-b").findElement(By.cssSelector("td.rate-in")).getDomAttribute("data-value")) > 100);

      // WHEN edge B's link to the cloud is cut while its devices keep publishing
      linkB.cut();
      // THEN B turns offline (3 missed 1 s heartbeats) and A stays online
      until("edge-b is offline", () -> "offline".equals(state("edge-b")));
      assertEquals("online", state("edge-a"));
      assertEquals("offline", row("edge-b").getDomAttribute("data-state"));
      // AND its backlog grows: estimated on the dashboard, real on the edge itself
      long shown1 = backlogShown("edge-b");
      long real1 = edgeBacklog(edgeB);
      assertEquals("true", row("edge-b").findElement(By.cssSelector("td.backlog")).getDomAttribute("data-estimated"));
      until("the backlog shown for edge-b grows", () -> backlogShown("edge-b") > shown1 + 300);
      long real2 = edgeBacklog(edgeB);
      assertTrue(real2 > real1, "the edge's real backlog grows: " + real1 + " -> " + real2);
      Path png = screenshot("dashboard.png");
      System.out.printf("dashboard browser test: idle %.1f/s, peak %.1f/s; edge-b offline, backlog shown %d -> %d "
              + "(edge's own /status: %d -> %d); screenshot %s%n", idleRate, peak, shown1, backlogShown("edge-b"),
          real1, real2, png);
    }

    // WHEN the link comes back THEN B is online again and its backlog drains
    linkB.restore();
    until("edge-b is online again", () -> "online".equals(state("edge-b")));
    until("edge-b's backlog drained", () -> backlogShown("edge-b") == 0);
    assertTrue(peak > idleRate);
  }
}
