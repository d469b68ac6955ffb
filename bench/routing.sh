#!/usr/bin/env bash
# Routing benchmarks; rewrites the section of docs/benchmarks.md between <!-- routing:begin -->
# and <!-- routing:end --> (created above the run.sh marker when missing). bench/run.sh calls it
# near its end unless BENCH_ROUTING=0.
#
#   cmake --build build/release --target rapport routing_bench && bash bench/routing.sh [path/to/rapport]
#
# Targets (issue 5), each against a baseline measured in the same run:
#   1. routing decisions >= 100,000/s in process with 1,000 agents and 10,000 queued tickets
#      (build/release/bench/routing_bench; baseline: the same decision as a naive full scan);
#   2. assignment latency from ticket create to assignment p99 < 10 ms under the create
#      benchmark's load (bench/routing_latency.mjs: wrk with bench/create.lua, every ticket in the
#      routed group, while a probe creates tickets and reads each until it is assigned; baselines:
#      the probe's own create latency, and a server with routing.assign_at_create off, whose every
#      assignment is the routing consumer's second commit).
#
# Environment: ROUTING_DURATION (wrk seconds) [BENCH_DURATION or 10], ROUTING_CONNECTIONS [16],
# ROUTING_AGENTS [50], BENCH_OUT [docs/benchmarks.md]. Everything stays on 127.0.0.1; about a minute and a half.
set -Eeuo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bin=$(realpath "${1:-build/release/rapport}")
bench="$(dirname "$bin")/bench/routing_bench"
out=${BENCH_OUT:-docs/benchmarks.md}
duration=${ROUTING_DURATION:-${BENCH_DURATION:-10}}
conns=${ROUTING_CONNECTIONS:-16}
agents=${ROUTING_AGENTS:-50}
run="$root/build/bench/routing"
rm -rf "$run"
mkdir -p "$run"
say() { printf '[routing %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
for tool in wrk node sqlite3; do command -v "$tool" >/dev/null || { say "$tool is not installed"; exit 1; }; done
[ -x "$bench" ] || { say "no $bench: cmake --build $(dirname "$bin") --target routing_bench"; exit 1; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
say "decisions: routing_bench"
"$bench" --benchmark_min_time=1 --benchmark_format=json --benchmark_out="$run/decisions.json" \
  --benchmark_out_format=json >"$run/decisions.txt"
say "latency: release server, wrk $conns connections for ${duration}s, $agents agents"
node bench/routing_latency.mjs --bin "$bin" --out "$run/latency.json" --duration "$duration" \
  --connections "$conns" --agents "$agents" >"$run/latency.txt"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

/usr/bin/python3 - "$run" "$out" "$load_before" "$load_after" "${1:-build/release/rapport}" <<'PY'
import json, os, platform, re, sys
run, out, load_before, load_after, binary = sys.argv[1:6]
d = json.load(open(f"{run}/decisions.json"))
lat = json.load(open(f"{run}/latency.json"))
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
rows = d["benchmarks"]
naive = next(b for b in rows if b["name"].startswith("BM_NaiveDecision"))
lines = [
    "<!-- routing:begin -->",
    "## Routing",
    "",
    f"Command: `bash bench/routing.sh {binary}` — {d['context']['date']}, {os.cpu_count()} × {cpu}, "
    f"load average {load_before} before and {load_after} after; routing_bench and the server built Release.",
    "",
    "### Decisions in process (1,000 agents, 10,000 queued tickets)",
    "",
    "One routed group with 1,000 online agents (up to 3 of 8 skills each, levels 1..5, room on the channel) "
    "and 10,000 waiting tickets, each requiring one skill at level 3. A decision is `Engine::pick` for one "
    "queued ticket: a scan of the group's members by the policy. The baseline makes the least-busy decision "
    "as a naive full scan would (every agent, skills by name in a `std::map`, membership by linear search, "
    "load from a map). `AssignAndSolve` is a whole cycle: a ticket arrives, is dispatched (decision and "
    "applying it) and solved again.",
    "",
    "Rates are per CPU second of the benchmark thread (Google Benchmark's default); the wall-clock "
    "time per decision is shown beside it, since on a shared machine the thread also waits for a core.",
    "",
    "| benchmark | decisions/s (CPU) | ns per decision (CPU) | ns per decision (wall) | vs naive |",
    "|---|---:|---:|---:|---:|",
]
rebuild = next((b for b in rows if b["name"].startswith("BM_Rebuild")), None)
rows = [b for b in rows if not b["name"].startswith("BM_Rebuild")]
for b in rows:
    rate = b.get("items_per_second", 0)
    label = b["name"].replace("BM_", "") + (f" ({b['label']})" if b.get("label") else "")
    lines.append(f"| {label} | {rate:,.0f} | {b['cpu_time']:,.0f} | {b['real_time']:,.0f} | {rate / naive['items_per_second']:.1f}× |")
decisions = [b for b in rows if b["name"].startswith("BM_Decision")]
worst = min(b["items_per_second"] for b in decisions)
worst_wall = min(1e9 / b["real_time"] for b in decisions)
lines += ["", f"Target >= 100,000 decisions/s: **{'met' if worst >= 100_000 else 'NOT met'}** per CPU second "
          f"(slowest method {worst:,.0f}/s); by the wall clock of this run, with the load average above, "
          f"{worst_wall:,.0f}/s ({'met' if worst_wall >= 100_000 else 'not met'} while the machine was shared).", ""]
if rebuild:
    lines += ["### Rebuild (what a change of skills or policies costs)", "",
              f"`BM_Rebuild`: a router's rebuild from a real store with {rebuild['agents']:.0f} online agents in one routed "
              f"group (3 skills each, capacity 10), {rebuild['tickets']:,.0f} new tickets ({rebuild['queued']:,.0f} waiting, "
              "the rest assigned; everyone full), including rewriting `routing_queue` and its commit: "
              f"**{rebuild['real_time']:,.1f} ms** wall per rebuild (mean of {rebuild['iterations']}), on the writer thread.", ""]
i, l = lat["idle"], lat["loaded"]
w = lat["wrk"]
b = lat["baseline"]
bl, bw = b["loaded"], b["wrk"]
def row(name, s):
    return f"| {name} | {s['n']} | {s['p50_ms']:.2f} | {s['p90_ms']:.2f} | {s['p99_ms']:.2f} | {s['max_ms']:.2f} |"
lines += [
    "### Assignment latency (release server, loopback)",
    "",
    "Two servers in turn, each on a fresh database: the baseline with `RAPPORT_ROUTING_ASSIGN_AT_CREATE=false` "
    "(every assignment is the routing consumer's, a second durable commit after the create's: the path before "
    "routing at create), then the default, which assigns a ticket inside its own create when an agent is free. "
    f"{lat['agents']} online agents in one least-busy group. A probe creates one ticket at a time in the group "
    "and reads it again at once until it has an assignee; *assigned* is from sending the create to reading the "
    "assignee (an upper bound: it includes the create's round trip and up to one extra read), *after 201* from "
    "the create's answer to reading the assignee. Idle: the probe alone. Under load: at the same time wrk "
    f"creates tickets with bench/create.lua in the routed group ({lat['connections']} connections, "
    f"{lat['duration_s']} s: {float(w.get('rps', 0)):,.0f} creates/s, wrk p99 {w.get('p99_ms', '?')} ms). "
    f"{lat['routing_assigned_total']:,} assignments in all, {lat.get('routing_assigned_at_create', 0):,} of them inside "
    f"the ticket's own create (same transaction, same commit: the 201 names the assignee); "
    f"{lat['queue_left']} left waiting. Probes assigned in their create: idle {i.get('assigned_in_create', 0)} of "
    f"{i['create']['n']}, under load {l.get('assigned_in_create', 0)} of {l['create']['n']}.",
    "",
    "| series | probes | p50 ms | p90 ms | p99 ms | max ms |",
    "|---|---:|---:|---:|---:|---:|",
    row("idle: create (baseline)", i["create"]),
    row("idle: assigned", i["assign"]),
    row("idle: after 201", i["after_201"]),
    row("load: create (baseline)", l["create"]),
    row("load: assigned", l["assign"]),
    row("load: after 201", l["after_201"]),
    row("baseline (consumer only), idle: assigned", b["idle"]["assign"]),
    row("baseline (consumer only), load: create", bl["create"]),
    row("baseline (consumer only), load: assigned", bl["assign"]),
    row("baseline (consumer only), load: after 201", bl["after_201"]),
    "",
    f"Baseline under load: wrk {float(bw.get('rps', 0)):,.0f} creates/s, p99 {bw.get('p99_ms', '?')} ms; "
    f"{b['routing_assigned_total']:,} assignments, {b.get('routing_assigned_at_create', 0):,} at create. "
    f"Create -> assignment (*after 201*, p99) under load: {l['after_201']['p99_ms']:.2f} ms against the baseline's "
    f"{bl['after_201']['p99_ms']:.2f} ms; *assigned* p99 {l['assign']['p99_ms']:.2f} ms against "
    f"{bl['assign']['p99_ms']:.2f} ms ({l['assign']['p99_ms'] / max(bl['assign']['p99_ms'], 1e-9):.2f}×).",
    "",
    f"Target create -> assignment p99 < 10 ms under the create load, read as the time from the create's commit to the "
    f"assignment's commit, whose upper bound is *after 201*: **{'met' if l['after_201']['p99_ms'] < 10 else 'NOT met'}** "
    f"(p99 {l['after_201']['p99_ms']:.2f} ms). Read as the client's whole create-and-assignment time (*assigned*, which "
    f"contains the create's own round trip under load) it is {l['assign']['p99_ms']:.2f} ms, "
    f"{l['assign']['p99_ms'] / max(l['create']['p99_ms'], 1e-9):.2f}× the probe's create p99 in the same run "
    f"({'met' if l['assign']['p99_ms'] < 10 else 'not met'}). Each create is a durable commit (`synchronous=FULL`), "
    "so it includes an fsync on this disk.",
    "<!-- routing:end -->",
]
block = "\n".join(lines) + "\n"
sys.path.insert(0, "bench")
from section import replace_section
replace_section(out, "routing", block)
print(block)
PY
say "wrote $out"
