package io.edgesync.edge.rules;

import dev.cel.common.CelIssue;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.CelValidationResult;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import io.edgesync.model.Event;
import io.edgesync.model.Priority;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Compiles the CEL expressions of a {@link RulesDocument} into a {@link RuleSet}. The first
 * compilation in a JVM costs about a second (class loading), later ones about a millisecond
 * per rule: always call it on a worker thread, never on an event loop. Thread-safe.
 *
 * <p>Declared variables (docs/RULES.md): {@code payload} map(string, dyn), {@code raw}
 * string, {@code topic} string, {@code source} string, {@code eventTime} int (epoch ms),
 * {@code window} map(string, dyn). Numbers of different types compare as numbers
 * ({@code payload.value > 80} works for 90 and 90.5). Standard macros ({@code has},
 * {@code all}, {@code exists}, ...) are on; comprehensions stop after 1,000 iterations.
 */
public final class RuleCompiler {
  static final CelOptions OPTIONS = CelOptions.current()
      .enableHeterogeneousNumericComparisons(true)
      .comprehensionMaxIterations(1000)
      .build();
  private static final CelCompiler COMPILER = CelCompilerFactory.standardCelCompilerBuilder()
      .setOptions(OPTIONS)
      .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
      .addVar("payload", MapType.create(SimpleType.STRING, SimpleType.DYN))
      .addVar("raw", SimpleType.STRING)
      .addVar("topic", SimpleType.STRING)
      .addVar("source", SimpleType.STRING)
      .addVar("eventTime", SimpleType.INT)
      .addVar("window", MapType.create(SimpleType.STRING, SimpleType.DYN))
      .setResultType(SimpleType.BOOL)
      .build();
  private static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder().setOptions(OPTIONS).build();

  private RuleCompiler() {}

  /**
   * Compiles every rule. Blocking (CPU).
   *
   * @throws RulesFileException naming the file, line, rule id and the first CEL error
   */
  public static RuleSet compile(RulesDocument doc, Instant loadedAt) {
    List<CompiledRule> out = new ArrayList<>();
    for (RuleSpec spec : doc.rules()) {
      CelRuntime.Program program = program(doc.origin(), spec);
      warmUp(program);
      out.add(new CompiledRule(spec, program));
    }
    return new RuleSet(doc, out, loadedAt);
  }

  /** One evaluation on sample values, here on the worker, so the first live event pays no class loading. */
  private static void warmUp(CelRuntime.Program program) {
    Event sample = new Event(0, 0, Priority.NORMAL, "warm-up", "warm/up", null, 0, 0,
        "{\"value\":1}".getBytes(StandardCharsets.UTF_8));
    EventContext ctx = new EventContext(sample);
    ctx.window(WindowView.EMPTY);
    try {
      program.eval(ctx);
    } catch (CelEvaluationException | RuntimeException expected) {
      // sample values may not fit the expression; only the code paths matter
    }
  }

  private static CelRuntime.Program program(String origin, RuleSpec spec) {
    String at = RulesFile.where(origin, spec.line()) + ": rule " + spec.id() + ": ";
    CelValidationResult r = COMPILER.compile(spec.when(), "rule " + spec.id());
    if (r.hasError()) {
      CelIssue first = r.getErrors().get(0);
      int col = first.getSourceLocation().getColumn();
      throw new RulesFileException(at + "CEL error" + (col >= 0 ? " at column " + (col + 1) : "") + ": "
          + first.getMessage() + " in: " + spec.when());
    }
    if (spec.window() == null && spec.when().contains("window.")) {
      throw new RulesFileException(at + "the expression uses 'window' but the rule declares no window");
    }
    try {
      return RUNTIME.createProgram(r.getAst());
    } catch (CelValidationException | CelEvaluationException e) {
      throw new RulesFileException(at + "CEL error: " + e.getMessage().replace('\n', ' '));
    }
  }
}
