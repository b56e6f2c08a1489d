package io.edgesync.cloud.rollout;

import io.edgesync.cloud.ingest.IngestError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The rollout state machine: canary sizing, stages, what each node should run, halt and rollback. */
class RolloutStateMachineTest {
  private static final String V1 = "rules:\n  - id: hot\n    when: \"payload.value > 80.0\"\n    action: alert\n";
  private static final String V2 = "rules:\n  - id: hot\n    when: \"payload.value >>> 80\"\n    action: alert\n";

  private static List<String> nodes(int n) {
    List<String> out = new ArrayList<>();
    for (int i = n; i >= 1; i--) {
      out.add(String.format("edge-%02d", i));
    }
    return out;
  }

  private static NodeReport report(String node, Desired d, String result, String error) {
    return new NodeReport(node, d.id(), result, error, d.activeVersion(), d.shadowVersion(), 5);
  }

  @Test
  void canarySizeRoundsAPercentageUpAndAcceptsACount() {
    assertEquals(1, Rollout.canarySize("10%", 10));
    assertEquals(2, Rollout.canarySize("10%", 11));
    assertEquals(1, Rollout.canarySize("1%", 3));
    assertEquals(10, Rollout.canarySize("100%", 10));
    assertEquals(3, Rollout.canarySize("3", 10));
    for (String bad : List.of("0%", "101%", "0", "11", "ten", "", "-1")) {
      IngestError e = assertThrows(IngestError.class, () -> Rollout.canarySize(bad, 10), bad);
      assertEquals(400, e.status());
    }
  }

  @Test
  void firstRolloutSendsTheNewVersionToTheCanaryOnlyAndPromoteSendsItToAll() {
    // GIVEN a group of 10 without a previous rollout
    Rollout r = Rollout.start(null, "lab", nodes(10), V1, "10%", false, 1);

    // THEN the first node by id is the canary and runs V1; the others keep their own rules file
    assertEquals(Stage.CANARY, r.stage());
    assertEquals(List.of("edge-01"), r.canary());
    assertEquals(Rollout.versionOf(V1), r.desiredFor("edge-01").activeVersion());
    assertEquals(V1, r.desiredFor("edge-01").activeRules());
    assertNull(r.desiredFor("edge-02").activeVersion(), "local rules file");
    assertEquals("lab/1/local+-", r.desiredFor("edge-02").id());
    assertNull(r.desiredFor("not-in-group"));

    // WHEN promoted
    Rollout p = r.promote(2);

    // THEN every node runs V1, and a second promote is refused
    assertEquals(Stage.PROMOTED, p.stage());
    for (String n : nodes(10)) {
      assertEquals(Rollout.versionOf(V1), p.desiredFor(n).activeVersion(), n);
    }
    assertEquals(409, assertThrows(IngestError.class, () -> p.promote(3)).status());
    assertEquals(Rollout.versionOf(V1), p.runningVersion());
  }

  @Test
  void aCanaryFailingToApplyHaltsAndTheOthersKeepThePreviousVersion() {
    // GIVEN V1 promoted, then V2 started with a 10% canary
    Rollout v1 = Rollout.start(null, "lab", nodes(10), V1, "10%", false, 1).promote(2);
    Rollout v2 = Rollout.start(v1, "lab", nodes(10), V2, "10%", false, 3);
    assertEquals(2, v2.id());
    assertEquals(Rollout.versionOf(V1), v2.previousVersion());

    // WHEN a non-canary reports failure, nothing changes; WHEN the canary reports failure of V2
    Desired other = v2.desiredFor("edge-05");
    assertSame(v2, v2.report(report("edge-05", other, NodeReport.FAILED, "x"), 4));
    Desired canary = v2.desiredFor("edge-01");
    assertSame(v2, v2.report(report("edge-01", canary, NodeReport.APPLIED, null), 4), "applied: no change");
    assertSame(v2, v2.report(new NodeReport("edge-01", "lab/1/old+-", NodeReport.FAILED, "old", null, null, 4), 4),
        "a failure of an older desired config does not halt this rollout");
    Rollout halted = v2.report(report("edge-01", canary, NodeReport.FAILED, "rules.yaml:4: rule hot: bad CEL"), 5);

    // THEN it is halted with the node and error; the other nine still get V1 and nothing is promotable
    assertEquals(Stage.HALTED, halted.stage());
    assertEquals(Stage.CANARY, halted.haltedIn());
    assertEquals("edge-01", halted.haltedNode());
    assertEquals("rules.yaml:4: rule hot: bad CEL", halted.haltedError());
    for (String n : nodes(10)) {
      if (!n.equals("edge-01")) {
        assertEquals(Rollout.versionOf(V1), halted.desiredFor(n).activeVersion(), n);
      }
    }
    assertEquals(409, assertThrows(IngestError.class, () -> halted.promote(6)).status());
    assertEquals(409, assertThrows(IngestError.class,
        () -> Rollout.start(halted, "lab", nodes(10), V1 + "# again\n", "1", false, 6)).status(),
        "a halted group must be rolled back before the next rollout");

    // WHEN rolled back THEN every node, the canary included, gets V1 again; a new rollout may start
    Rollout back = halted.rollback(7);
    assertEquals(Stage.ROLLED_BACK, back.stage());
    for (String n : nodes(10)) {
      assertEquals(Rollout.versionOf(V1), back.desiredFor(n).activeVersion(), n);
    }
    assertEquals(Rollout.versionOf(V1), back.runningVersion());
    assertEquals(409, assertThrows(IngestError.class, () -> back.rollback(8)).status());
    assertEquals(3, Rollout.start(back, "lab", nodes(10), V2 + "# fixed\n", "10%", false, 9).id());
  }

  @Test
  void shadowStageRunsTheNewRulesInShadowOnTheCanaryThenPromotesStepByStep() {
    Rollout v1 = Rollout.start(null, "lab", nodes(4), V1, "2", false, 1).promote(2);
    String v1v = Rollout.versionOf(V1);
    String v2v = Rollout.versionOf(V2);

    Rollout s = Rollout.start(v1, "lab", nodes(4), V2, "50%", true, 3);
    assertEquals(Stage.SHADOW, s.stage());
    assertEquals(List.of("edge-01", "edge-02"), s.canary());
    Desired canary = s.desiredFor("edge-02");
    assertEquals(v1v, canary.activeVersion());
    assertEquals(v2v, canary.shadowVersion());
    assertEquals("lab/2/" + v1v + "+" + v2v, canary.id());
    assertNull(s.desiredFor("edge-03").shadowVersion());

    Rollout c = s.promote(4);
    assertEquals(Stage.CANARY, c.stage());
    assertEquals(v2v, c.desiredFor("edge-01").activeVersion());
    assertNull(c.desiredFor("edge-01").shadowVersion());
    assertEquals(v1v, c.desiredFor("edge-04").activeVersion());
    assertEquals(Stage.PROMOTED, c.promote(5).stage());

    // a canary failing in shadow halts in SHADOW; after the halt it keeps its active V1
    Rollout h = s.report(report("edge-02", canary, NodeReport.FAILED, "bad"), 6);
    assertEquals(Stage.HALTED, h.stage());
    assertEquals(Stage.SHADOW, h.haltedIn());
    assertEquals(v1v, h.desiredFor("edge-02").activeVersion());
  }

  @Test
  void rollingBackTheFirstRolloutReturnsEveryNodeToItsOwnRulesFile() {
    Rollout back = Rollout.start(null, "lab", nodes(3), V1, "100%", false, 1).promote(2).rollback(3);
    for (String n : nodes(3)) {
      assertNull(back.desiredFor(n).activeVersion(), n);
    }
    assertNull(back.runningVersion());
  }

  @Test
  void startRefusesEmptyOversizedOrUnchangedRulesAndEmptyGroups() {
    assertEquals(400, assertThrows(IngestError.class,
        () -> Rollout.start(null, "lab", nodes(2), " ", "1", false, 1)).status());
    assertEquals(400, assertThrows(IngestError.class,
        () -> Rollout.start(null, "lab", List.of(), V1, "1", false, 1)).status());
    assertEquals(400, assertThrows(IngestError.class,
        () -> Rollout.start(null, "lab", nodes(2), "#".repeat(Rollout.MAX_RULES_BYTES + 1), "1", false, 1)).status());
    Rollout p = Rollout.start(null, "lab", nodes(2), V1, "1", false, 1).promote(2);
    assertEquals(409, assertThrows(IngestError.class,
        () -> Rollout.start(p, "lab", nodes(2), V1, "1", false, 3)).status());
  }

  @Test
  void jsonRoundTripKeepsEveryField() {
    Rollout v1 = Rollout.start(null, "lab", nodes(3), V1, "1", true, 1);
    Rollout h = v1.report(report("edge-01", v1.desiredFor("edge-01"), NodeReport.FAILED, "e"), 2);
    assertEquals(h, Rollout.fromJson(h.toJson()));
    NodeReport r = new NodeReport("n", "lab/1/x+-", NodeReport.APPLIED, null, "x", null, 7);
    assertEquals(r, NodeReport.fromJson(r.toJson()));
  }
}
