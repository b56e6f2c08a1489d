package io.edgesync.edge.rules;

import dev.cel.runtime.CelEvaluationException;
import io.edgesync.model.Event;
import io.edgesync.model.EventKind;
import io.edgesync.model.Priority;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Evaluates the installed rules (and schemas) on each event: the in-memory, non-blocking
 * core of the local rules. {@link #evaluate} runs on MQTT event loops (any number of them at
 * once); {@link #install} swaps a compiled {@link RuleSet} atomically (one volatile write of
 * an immutable pair of rule set and states); {@link #snapshot} and {@link #restore} run on a
 * worker.
 *
 * <p>Per event: the schema of the active set first (a violation makes a dead letter and no
 * rule runs); then every shadow rule (counted only); then the active rules in file order.
 * A {@code drop} that matches or a {@code downsample} that discards the event ends the
 * evaluation (later rules do not see it, no alert of an earlier rule is raised for it: an
 * alert needs a durable trigger). A {@code tag} sets the class (the last matching tag wins).
 * An {@code alert} is returned for the caller to raise once the event is durable; a
 * {@code cooldown} suppresses repeats per source. A rule whose expression fails (missing
 * field, wrong type, non-bool result) does not fire and is counted.
 */
public final class RuleEngine {
  private static final Logger LOG = LoggerFactory.getLogger(RuleEngine.class);
  /** Snapshot keys in the {@code state} store: this prefix + rule id. */
  static final String STATE_PREFIX = "rule/";
  private static final int EVAL_SAMPLE = 64;

  /** What to do with one event. */
  public enum Verdict { STORE, DROP, DEAD_LETTER }

  /** An alert to raise once the trigger is durable. */
  public record Alert(RuleSpec rule, WindowView window) {}

  /**
   * The engine's decision.
   *
   * @param verdict   store, drop or dead-letter
   * @param event     the event to store (class possibly changed by a tag; for a dead letter
   *                  kind DEAD_LETTER with the reason)
   * @param alerts    alerts to raise after the append (empty when none)
   * @param violation the schema violation of a dead letter, else null
   * @param droppedBy the rule that dropped the event, else null
   */
  public record Decision(Verdict verdict, Event event, List<Alert> alerts, SchemaValidator.Violation violation,
      String droppedBy) {}

  /** One installed rule set: rules, their states and meters, index-aligned. */
  private record Installed(RuleSet set, RuleState[] states, RuleMeters[] meters) {}

  /** Meters of one rule (created at install; Micrometer returns the same ones on reload). */
  private record RuleMeters(Counter hits, Counter errors, Counter late, Counter dropped, Counter suppressed,
      Counter shadowHits) {}

  private final MeterRegistry registry;
  private final Timer evalTimer;
  private final Counter evalFailures;
  private volatile Installed active;
  private volatile Installed shadow;

  public RuleEngine(MeterRegistry registry) {
    this.registry = registry;
    this.evalTimer = Timer.builder("edge.rule.eval")
        .description("time to evaluate the schemas and rules on one event (sampled 1 in " + EVAL_SAMPLE + ")")
        .publishPercentiles(0.5, 0.99).register(registry);
    this.evalFailures = Counter.builder("edge.rule.engine.errors")
        .description("unexpected failures of the rule engine (the event was stored unchanged)").register(registry);
    this.active = new Installed(RuleSet.empty(), new RuleState[0], new RuleMeters[0]);
    this.shadow = null;
  }

  // ------------------------------------------------------------- install

  /** Swaps the active rules; states of rules whose id stays are kept (windows only when unchanged). Any thread. */
  public synchronized void install(RuleSet set) {
    active = build(set, active, false);
  }

  /** Swaps the shadow rules (null = none). Any thread. */
  public synchronized void installShadow(RuleSet set) {
    shadow = set == null ? null : build(set, shadow, true);
  }

  public RuleSet activeSet() {
    return active.set;
  }

  /** The shadow set, or null. */
  public RuleSet shadowSet() {
    Installed s = shadow;
    return s == null ? null : s.set;
  }

  private Installed build(RuleSet set, Installed previous, boolean isShadow) {
    Map<String, RuleState> old = new HashMap<>();
    if (previous != null) {
      for (RuleState s : previous.states) {
        old.put(s.ruleId, s);
      }
    }
    int n = set.rules().size();
    RuleState[] states = new RuleState[n];
    RuleMeters[] meters = new RuleMeters[n];
    for (int i = 0; i < n; i++) {
      RuleSpec spec = set.rules().get(i).spec();
      RuleState prev = old.get(spec.id());
      states[i] = prev != null ? prev.carryOver(spec) : new RuleState(spec.id(), spec.window());
      meters[i] = meters(spec, isShadow);
      if (!isShadow) {
        FunctionCounter.builder("edge.rule.state.evictions", states[i].evictions, java.util.concurrent.atomic.AtomicLong::get)
            .description("per-source rule state evicted because a rule held state for too many sources")
            .tag("rule", spec.id()).register(registry);
      }
    }
    return new Installed(set, states, meters);
  }

  private RuleMeters meters(RuleSpec spec, boolean isShadow) {
    String id = spec.id();
    return new RuleMeters(
        Counter.builder("edge.rule.hits").description("events on which a rule's expression was true")
            .tag("rule", id).tag("action", spec.action().label()).register(registry),
        Counter.builder("edge.rule.errors").description("evaluations that failed (the rule did not fire)")
            .tag("rule", id).register(registry),
        Counter.builder("edge.late.events").description("events too late for a rule's window (not counted, rule not evaluated)")
            .tag("rule", id).register(registry),
        Counter.builder("edge.rule.dropped").description("events not stored because of a drop or downsample rule")
            .tag("rule", id).register(registry),
        Counter.builder("edge.rule.alerts.suppressed").description("alerts not raised because of the rule's cooldown")
            .tag("rule", id).register(registry),
        isShadow ? Counter.builder("edge.rule.shadow.hits")
            .description("shadow rules' would-be actions (not executed)").tag("rule", id).register(registry) : null);
  }

  // ------------------------------------------------------------- evaluate

  /**
   * Decides what to do with {@code event} (seq 0). Never throws: an unexpected failure
   * stores the event unchanged (counted in {@code edge_rule_engine_errors_total}). Event
   * loop; microseconds.
   */
  public Decision evaluate(Event event) {
    Installed a = active;
    Installed s = shadow;
    if (a.states.length == 0 && a.set.schemas().isEmpty() && s == null) {
      return new Decision(Verdict.STORE, event, List.of(), null, null);
    }
    boolean sample = ThreadLocalRandom.current().nextInt(EVAL_SAMPLE) == 0;
    long t0 = sample ? System.nanoTime() : 0;
    try {
      return decide(event, a, s);
    } catch (RuntimeException e) {
      evalFailures.increment();
      LOG.warn("[source: {}] [topic: {}] rule engine failure; storing the event unchanged: {}", event.source(),
          event.topic(), e.toString());
      return new Decision(Verdict.STORE, event, List.of(), null, null);
    } finally {
      if (sample) {
        evalTimer.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
      }
    }
  }

  private Decision decide(Event event, Installed a, Installed s) {
    EventContext ctx = new EventContext(event);
    SchemaValidator.Violation v = SchemaValidator.check(a.set.schemas(), event.topic(), event.payload().length,
        ctx::json);
    if (v != null) {
      Event dead = new Event(0, 0, event.priority(), event.source(), event.topic(), event.explicitId(),
          event.eventTimeMs(), event.ingestTimeMs(), event.payload(), EventKind.DEAD_LETTER, v.reason());
      return new Decision(Verdict.DEAD_LETTER, dead, List.of(), v, null);
    }
    if (s != null) {
      for (int i = 0; i < s.states.length; i++) {
        if (matches(s.set.rules().get(i), s.states[i], s.meters[i], ctx)) {
          s.meters[i].shadowHits.increment();
        }
      }
    }
    Priority priority = event.priority();
    List<Alert> alerts = null;
    for (int i = 0; i < a.states.length; i++) {
      CompiledRule rule = a.set.rules().get(i);
      RuleState state = a.states[i];
      RuleMeters m = a.meters[i];
      if (!matches(rule, state, m, ctx)) {
        continue;
      }
      m.hits.increment();
      RuleSpec spec = rule.spec();
      switch (spec.action()) {
        case DROP -> {
          m.dropped.increment();
          return new Decision(Verdict.DROP, event, List.of(), null, spec.id());
        }
        case DOWNSAMPLE -> {
          if (!state.keepSample(event.source(), spec.every())) {
            m.dropped.increment();
            return new Decision(Verdict.DROP, event, List.of(), null, spec.id());
          }
        }
        case TAG -> priority = spec.priority();
        case ALERT -> {
          if (state.tryAlert(event.source(), event.ingestTimeMs(), spec.cooldownMs())) {
            if (alerts == null) {
              alerts = new ArrayList<>(2);
            }
            alerts.add(new Alert(spec, ctx.lastWindow));
          } else {
            m.suppressed.increment();
          }
        }
        default -> throw new IllegalStateException("unknown action " + spec.action());
      }
    }
    Event out = priority == event.priority() ? event : new Event(0, 0, priority, event.source(), event.topic(),
        event.explicitId(), event.eventTimeMs(), event.ingestTimeMs(), event.payload());
    return new Decision(Verdict.STORE, out, alerts == null ? List.of() : alerts, null, null);
  }

  /** Updates the rule's window with the event and evaluates the expression. */
  private static boolean matches(CompiledRule rule, RuleState state, RuleMeters m, EventContext ctx) {
    RuleSpec spec = rule.spec();
    WindowView view = null;
    if (spec.window() != null) {
      double value = 0;
      boolean hasValue = false;
      Map<String, Object> json = ctx.json();
      if (json != null && PayloadJson.at(json, spec.window().field()) instanceof Number num) {
        value = num.doubleValue();
        hasValue = true;
      }
      view = state.windowOf(ctx.event.source()).offer(ctx.event.eventTimeMs(), hasValue, value);
      if (view == null) {
        m.late.increment();
        return false;
      }
    }
    ctx.window(view);
    try {
      Object r = rule.program().eval(ctx);
      if (r instanceof Boolean b) {
        return b;
      }
      m.errors.increment();
      return false;
    } catch (CelEvaluationException | RuntimeException e) {
      m.errors.increment();
      return false;
    }
  }

  // ------------------------------------------------------------- status

  /** Hits per rule id of the active set, in file order. Non-blocking. */
  public Map<String, Long> activeFires() {
    Installed a = active;
    Map<String, Long> out = new LinkedHashMap<>();
    for (int i = 0; i < a.meters.length; i++) {
      out.put(a.set.rules().get(i).id(), (long) a.meters[i].hits.count());
    }
    return out;
  }

  /** Would-be fires per rule id of the shadow set (empty without one). Non-blocking. */
  public Map<String, Long> shadowFires() {
    Installed s = shadow;
    Map<String, Long> out = new LinkedHashMap<>();
    if (s != null) {
      for (int i = 0; i < s.meters.length; i++) {
        out.put(s.set.rules().get(i).id(), (long) s.meters[i].shadowHits.count());
      }
    }
    return out;
  }

  // ------------------------------------------------------------- snapshot

  /** The {@code state} store entries of the active rules' states: key {@code rule/<id>}. Worker. */
  public Map<byte[], byte[]> snapshot() {
    Installed a = active;
    Map<byte[], byte[]> out = new LinkedHashMap<>();
    for (RuleState s : a.states) {
      try {
        out.put(stateKey(s.ruleId), s.snapshot());
      } catch (IOException e) {
        throw new IllegalStateException("snapshot of rule " + s.ruleId + ": " + e, e);
      }
    }
    return out;
  }

  /** Rule ids of the active set. */
  public List<String> activeIds() {
    return activeSet().rules().stream().map(CompiledRule::id).toList();
  }

  /**
   * Loads snapshots into the active rules' states (call once after the first install,
   * before traffic). {@code lookup} returns the stored value of a key or null. Worker.
   *
   * @return how many rules had a snapshot
   */
  public int restore(java.util.function.Function<byte[], byte[]> lookup) {
    Installed a = active;
    int restored = 0;
    for (RuleState s : a.states) {
      byte[] value = lookup.apply(stateKey(s.ruleId));
      if (value == null) {
        continue;
      }
      try {
        s.restore(value);
        restored++;
      } catch (IOException | RuntimeException e) {
        LOG.warn("[rule: {}] ignoring an unreadable window snapshot: {}", s.ruleId, e.toString());
      }
    }
    return restored;
  }

  static byte[] stateKey(String ruleId) {
    return (STATE_PREFIX + Objects.requireNonNull(ruleId)).getBytes(StandardCharsets.UTF_8);
  }
}
