#!/usr/bin/env bash
# Targets 2 and 4 of issue 8 across every report in bench/results (or the reports named):
# per run the rates of B (edge ingest alone: load generator + edge, no forwarding, no cloud, no
# Kafka), D (end to end), C (drain without live load), C2 (drain with live load) against the same
# run's ProducerPerformance (E), and D's CPU per event in Kafka of each process without its JIT
# compiler threads. Then the medians over the runs with a warm D (reports from 2026-12-06 on)
# whose B ran on a quiet machine (other processes ≤ 0.3 cores).
#
# Why B matters for target 2: D does all of B's work (the same load generator and clients, the
# same durable ingest) plus forwarding, cloud-ingest and the broker, on the same two cores, so D's
# rate cannot pass B's: B/PP bounds D/PP from above. docs/BENCHMARKS.md, "Where the targets stand".
#
#   bench/targets.sh                      # every report
#   bench/targets.sh bench/results/2026120[6]T1*.md
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$#" -eq 0 ]; then set -- bench/results/*.md; fi

perl -e '
  use strict; use warnings;
  sub cell { my ($text, $re) = @_; return $1 if $text =~ /^\| $re \|[^|\n]*\| ([^|\n]*)\|$/m; return undef }
  sub first_num { my ($s) = @_; return undef unless defined $s; return $s =~ /^\s*([0-9][0-9.]*)/ ? $1 : undef }
  sub nums { my ($s) = @_; return () unless defined $s; return map { $_ eq "n/a" ? undef : $_ } ($s =~ m{(n/a|[0-9][0-9.]*)}g) }
  sub ratio { my ($a, $b) = @_; return (defined $a && defined $b && $b > 0) ? $a / $b : undef }
  sub fmt { my ($f, $v) = @_; return defined $v ? sprintf($f, $v) : "n/a" }
  sub median { my @v = sort { $a <=> $b } grep { defined } @_; return undef unless @v;
    return @v % 2 ? $v[$#v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2 }
  my (%col, @rows);
  print "| report | B | PP | B/PP | D | D/PP | D/B | C/PP | C2/PP | D µs per event without JIT: edge / cloud / broker / load gen | B other (cores) |\n";
  print "|---|---|---|---|---|---|---|---|---|---|---|\n";
  for my $file (@ARGV) {
    open(my $fh, "<", $file) or die "$file: $!"; local $/; my $t = <$fh>; close $fh;
    (my $name = $file) =~ s{.*/}{}; $name =~ s/\.md$//;
    my $b = first_num(cell($t, qr/B edge \(cloud absent\)/));
    my $pp = first_num(cell($t, qr/E ProducerPerformance/));
    next unless defined $b && defined $pp;
    my $dcell = cell($t, qr/D end to end/) // "";
    my ($d) = $t =~ /^\| D end to end \| sustained in Kafka[^|]*\| ([0-9]+)/m;
    my $warm = $t =~ /^\| D end to end \| sustained in Kafka[^|]*after a warm-up/m ? 1 : 0;
    my ($c) = $t =~ /^\| C catch-up \|[^|]*\| ([0-9]+)/m;
    my ($c2) = $t =~ /^\| C2 catch-up with live ingest \| backlog[^|]*\| ([0-9]+)/m;
    my ($bcpu) = $t =~ /^\| B edge \| CPU \(cores\)[^|]*\| ([^|]*)\|/m;
    my @bc = nums($bcpu); my $bother = $bc[3];
    my ($dcpu) = $t =~ /^\| D end to end \| CPU \(cores\)[^|]*\| ([^|]*)\|/m;
    my ($djit) = $t =~ /^\| D end to end \| of that, JIT[^|]*\| ([^|]*)\|/m;
    my @dc = nums($dcpu); my @dj = nums($djit);
    my @us;
    for my $i (0 .. 3) {
      my $cores = $dc[$i]; my $jit = $i < 3 ? $dj[$i] : 0;
      push @us, (defined $cores && defined $jit && defined $d && $d > 0) ? ($cores - $jit) / $d * 1e6 : undef;
    }
    my ($c2cpu) = $t =~ /^\| C2 catch-up with live ingest \| CPU \(cores\)[^|]*\| ([^|]*)\|/m;
    my @cc = nums($c2cpu);
    my @c2us = map { (defined $_ && defined $c2 && $c2 > 0) ? $_ / $c2 * 1e6 : undef } @cc[0 .. 2];
    my ($mosq) = $t =~ /^\| A Mosquitto \| delivered[^|]*\| ([0-9]+)/m;
    my ($fpub) = $t =~ /^\| F latency at [0-9]+ msg\/s \| publish→PUBACK p50[^|]*\| [0-9.]+ \/ ([0-9.]+)/m;
    my ($fkafka) = $t =~ /^\| F latency at [0-9]+ msg\/s \| publish→Kafka p50[^|]*\| [0-9.]+ \/ ([0-9.]+)/m;
    my %r = (name => $name, c2us => [@c2us], ba => ratio($b, $mosq), fpub => $fpub, fkafka => $fkafka, bpp => ratio($b, $pp), dpp => ratio($d, $pp), db => ratio($d, $b),
             cpp => ratio($c, $pp), c2pp => ratio($c2, $pp), us => [@us],
             quiet => $warm && $name ge "20261206" && defined $bother && $bother <= 0.3);
    push @rows, \%r;
    printf "| %s%s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $name, $r{quiet} ? "" : " (not in the medians)",
      $b, $pp, fmt("%.2f", $r{bpp}), $d // "n/a", fmt("%.2f", $r{dpp}), fmt("%.2f", $r{db}),
      fmt("%.2f", $r{cpp}), fmt("%.2f", $r{c2pp}), join(" / ", map { fmt("%.1f", $_) } @us), $bother // "n/a";
  }
  my @q = grep { $_->{quiet} } @rows;
  printf "\nMedians over %d runs with a warm D and a quiet B:\n", scalar @q;
  for my $k ([bpp => "B/PP (edge ingest alone: an upper bound of D/PP)"], [dpp => "D/PP (target 2: >= 0.5)"],
             [db => "D/B"], [cpp => "C/PP (drain, no live load)"], [c2pp => "C2/PP (target 4: >= 0.5)"]) {
    my @v = map { $_->{$k->[0]} } @q;
    my @s = sort { $a <=> $b } grep { defined } @v;
    printf "  %-52s %s (range %s-%s; >= 0.5 in %d of %d)\n", $k->[1], fmt("%.2f", median(@v)),
      fmt("%.2f", $s[0]), fmt("%.2f", $s[-1]), scalar(grep { $_ >= 0.5 } @s), scalar @s;
  }
  for my $k ([ba => "B/Mosquitto (target 1: >= 1.0)", ">=", 1.0], [fpub => "F PUBACK p99 ms (target 3a: <= 10)", "<=", 10],
             [fkafka => "F Kafka p99 ms (target 3b: <= 50)", "<=", 50]) {
    my @s = sort { $a <=> $b } grep { defined } map { $_->{$k->[0]} } @q;
    my $met = $k->[2] eq ">=" ? scalar(grep { $_ >= $k->[3] } @s) : scalar(grep { $_ <= $k->[3] } @s);
    printf "  %-52s %s (range %s-%s; met in %d of %d)\n", $k->[1], fmt("%.2f", median(@s)),
      fmt("%.2f", $s[0]), fmt("%.2f", $s[-1]), $met, scalar @s;
  }
  my @names = ("edge", "cloud-ingest", "broker", "load generator");
  for my $i (0 .. 3) {
    printf "  D CPU per event in Kafka without JIT, %-16s %s µs\n", $names[$i] . ":", fmt("%.1f", median(map { $_->{us}[$i] } @q));
  }
  for my $i (0 .. 2) {
    printf "  C2 CPU per event written to Kafka (JIT included), %-14s %s µs\n", $names[$i] . ":", fmt("%.1f", median(map { $_->{c2us}[$i] } @q));
  }
' "$@"
