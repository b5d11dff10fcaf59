"""The report: Markdown tables read from the results dict (the JSON the runner writes beside the
Markdown), one section per database, side by side, the comparison with a baseline run's JSON,
the growth from a run at a smaller scale, and the targets of issue 29, each met, missed or
explained.

A results dict: {"info": {...}, "backends": {"sqlite": BACKEND, "postgresql": BACKEND}}, where
BACKEND holds "requests" (each as `Scenario.to_dict` gives it: loads keyed by the number of
clients as text), "writes" ({"assessment": ..., "rename": ...} or None, with "writes_note")
and "read_model" ({"present": bool, "seconds": float | None}); "smaller" (optional) holds the
same of a run at a smaller scale (`--growth`), for the growth table.

CPU per request counts the app's process and, on PostgreSQL, the database's backends serving
its connections (`db_cpu`, read from /proc around the same load).
"""

from typing import Any

Row = tuple[str, str, str, bool | None]  # target, backend, measured, met (None: not measured)
SQLITE_RPS_MIN = 2.0  # x Datasette's req/s at 16 clients, SQLite
SQLITE_CPU_MAX = 0.5  # x Datasette's CPU per request, SQLite
PG_RPS_MIN = 1.0  # x Datasette's req/s at 16 clients, PostgreSQL
PG_CPU_MAX = 2.0  # x the SQLite path's CPU per request (app + backends)
SEARCH_P95 = 30.0  # ms at 1 client
AS_OF_MAX = 3.0  # x the current first page's CPU per request
ASSESSMENT_MAX = 1.2  # x the baseline's p50
RENAME_MAX = 50.0  # ms
EXPORT_RSS_MAX = 200.0  # MiB, peak
GROWTH_MAX = 1.3  # x the smaller scale's CPU per request
# CPU per view (ms, app + backends, 16 clients) of the heavy pages; what the catalogue does not
# measure is said so.
PAGE_CPU = {"dashboard (HTML)": 10.0, "decision page (HTML)": 5.0, "countries": 10.0}
NOT_IN_CATALOGUE = ("a group total", "the review queue's next item", "a document search")
NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def ms(v: float | None) -> str:
    if v is None:
        return "—"
    return f"{v:.1f}" if v < 100 else f"{v:.0f}"


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.1f}x" if a is not None and b else "—"


def by_name(backend: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in (backend or {}).get("requests", [])}


def load(s: dict[str, Any] | None, side: str, clients: int) -> dict[str, Any] | None:
    return (s or {}).get(side, {}).get(str(clients))


def cpu(ld: dict[str, Any] | None) -> float | None:
    """CPU per request: the app's and, on PostgreSQL, its backends' (ms)."""
    if not ld:
        return None
    return float(ld["cpu"]) + float(ld.get("db_cpu") or 0.0)


def has_db_cpu(backend: dict[str, Any]) -> bool:
    return any(ld.get("db_cpu") is not None for s in backend["requests"] for ld in s["app"].values())


def latency_table(backend: dict[str, Any], *, peer: bool) -> list[str]:
    head = "| request | app p50 / p95 / p99 (1 client) | app req/s (1) | app p50 / p95 / p99 (16) "
    head += "| app req/s (16) "
    head += "| raw SQL p50 / p95 | app ÷ raw SQL (p50) | server CPU ms/req, app (16) |"
    backends = has_db_cpu(backend)
    if backends:
        head += " backends' CPU ms/req (16) | app + backends (16) |"
    if peer:
        head += " Datasette p50 (1) | Datasette req/s (16) | Datasette CPU ms/req (16) "
        head += "| app ÷ Datasette (req/s, 16) |"
    lines = [head, "|---" * (head.count("|") - 1) + "|"]
    for s in backend["requests"]:
        if s["kind"] == "export":
            continue
        raw = s["raw"]
        raw_text = f"{ms(raw[0])} / {ms(raw[1])}" if raw else "—"
        a1, a16 = load(s, "app", 1), load(s, "app", 16)
        if not a1 or not a16:
            lines.append(
                f"| {s['name']} | n/a on this build | | | | {raw_text} | | |"
                + (" | |" if backends else "")
                + (" | | | |" if peer else "")
            )
            continue
        row = (
            f"| {s['name']} | {ms(a1['p50'])} / {ms(a1['p95'])} / {ms(a1['p99'])} | {a1['rps']:.0f} "
            f"| {ms(a16['p50'])} / {ms(a16['p95'])} / {ms(a16['p99'])} | {a16['rps']:.0f} | {raw_text} "
            f"| {ratio(a1['p50'], raw[0] if raw else None)} | {a16['cpu']:.1f} |"
        )
        if backends:
            row += f" {a16.get('db_cpu') or 0.0:.1f} | {cpu(a16) or 0.0:.1f} |"
        if peer:
            p1, p16 = load(s, "peer", 1), load(s, "peer", 16)
            rps, peer_cpu = (f"{p16['rps']:.0f}", f"{p16['cpu']:.1f}") if p16 else ("—", "—")
            row += (
                f" {ms(p1['p50']) if p1 else '—'} | {rps} | {peer_cpu} "
                f"| {ratio(a16['rps'], p16['rps'] if p16 else None)} |"
            )
        lines.append(row)
    errors = [
        f"{s['name']} ({c} clients): {ld['errors']} of {ld['requests']}"
        for s in backend["requests"]
        for side in ("app", "peer")
        for c, ld in s[side].items()
        if ld["errors"]
    ]
    return [*lines, "", f"Non-200 answers: {'; '.join(errors) if errors else 'none'}.", ""]


def export_table(backend: dict[str, Any]) -> list[str]:
    lines = [
        "| server | rows | seconds | RSS before (MiB) | peak RSS (MiB) | raw SQL (ms) |",
        "|---|---|---|---|---|---|",
    ]
    for s in backend["requests"]:
        if s["kind"] != "export":
            continue
        raw = ms(s["raw"][0]) if s["raw"] else "—"
        for who, e in (
            (f"app `{s['path']}`", s["export"]),
            ("Datasette `.csv?_stream=on`", s["peer_export"]),
        ):
            if e:
                lines.append(
                    f"| {who} | {e['rows']:,} | {e['seconds']:.2f} | {e['rss_before']:.0f} "
                    f"| {e['rss_peak']:.0f} | {raw} |"
                )
                raw = ""
        if not s["export"]:
            lines.append(f"| app | n/a on this build | | | | {raw} |")
    return [*lines, ""]


def writes_table(backend: dict[str, Any]) -> list[str]:
    w = backend.get("writes")
    if not w:
        return [f"Not measured: {backend.get('writes_note') or 'no write mix in this run'}.", ""]
    lines = [
        "| write | n | p50 | p95 | max | server CPU ms/write | errors |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, key in (
        ("assessment (POST)", "assessment"),
        ("rename of the busiest regulator (PATCH)", "rename"),
    ):
        t = w[key]
        write_cpu = f"{t['cpu']:.1f}" if t["cpu"] is not None else "—"
        errs = f"{t['error_count']}: {t['errors'][0]}" if t["error_count"] else "none"
        lines.append(
            f"| {name} | {t['n']} | {ms(t['p50'])} | {ms(t['p95'])} | {ms(t['max'])} | {write_cpu} | {errs} |"
        )
    return [*lines, "", backend.get("writes_note", ""), ""]


def side_by_side(results: dict[str, Any]) -> list[str]:
    backends = results["backends"]
    if len(backends) < 2:
        return []
    names = list(backends)
    head = (
        "| request | "
        + " | ".join(
            f"{NAMES.get(b, b)} p50 (1) / req/s (16) / CPU ms/req (16, app + backends)" for b in names
        )
        + " |"
    )
    lines = ["## Side by side", "", head, "|---" * (len(names) + 1) + "|"]
    order = [s["name"] for s in backends[names[0]]["requests"] if s["kind"] != "export"]
    for name in order:
        cells = []
        for b in names:
            a1, a16 = (
                load(by_name(backends[b]).get(name), "app", 1),
                load(by_name(backends[b]).get(name), "app", 16),
            )
            cells.append(
                f"{ms(a1['p50'])} / {a16['rps']:.0f} / {cpu(a16) or 0.0:.1f}" if a1 and a16 else "n/a"
            )
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    for label, key in (("assessment write p50 (ms)", "assessment"), ("rename p50 (ms)", "rename")):
        cells = [ms(((backends[b].get("writes") or {}).get(key) or {}).get("p50")) for b in names]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def baseline_table(results: dict[str, Any], baseline: dict[str, Any]) -> list[str]:
    lines = [
        "## Against the baseline",
        "",
        f"Baseline: the run of {baseline.get('info', {}).get('when', '?')} "
        f"(`{baseline.get('info', {}).get('command', '?')}`). Ratios are this run ÷ the baseline.",
        "",
        "| database | request | p50 (1): now / baseline | req/s (16): now / baseline "
        "| CPU ms/req (16): now / baseline |",
        "|---|---|---|---|---|",
    ]
    for b, backend in results["backends"].items():
        old = by_name(baseline.get("backends", {}).get(b))
        for s in backend["requests"]:
            now1, now16 = load(s, "app", 1), load(s, "app", 16)
            was1, was16 = load(old.get(s["name"]), "app", 1), load(old.get(s["name"]), "app", 16)
            if not (now1 and now16 and was1 and was16):
                continue
            lines.append(
                f"| {NAMES.get(b, b)} | {s['name']} "
                f"| {ms(now1['p50'])} / {ms(was1['p50'])} ({ratio(now1['p50'], was1['p50'])}) "
                f"| {now16['rps']:.0f} / {was16['rps']:.0f} ({ratio(now16['rps'], was16['rps'])}) "
                f"| {now16['cpu']:.1f} / {was16['cpu']:.1f} ({ratio(now16['cpu'], was16['cpu'])}) |"
            )
    return [*lines, ""]


def targets(results: dict[str, Any], baseline: dict[str, Any] | None = None) -> list[Row]:
    """Each target of issue 29 for each database: what it asks, what was measured, met or not."""
    out: list[Row] = []
    sqlite = by_name(results["backends"].get("sqlite"))
    for b, backend in results["backends"].items():
        db = NAMES.get(b, b)
        requests = by_name(backend)
        out += [current_target(b, s, sqlite.get(s["name"])) for s in backend["requests"] if s["current"]]
        for s in backend["requests"]:
            if s["kind"] != "search":
                continue
            a1 = load(s, "app", 1)
            what = f"{s['name']}: p95 ≤ {SEARCH_P95:g} ms (1 client)"
            got = f"{ms(a1['p95'])} ms ({s['note']})" if a1 else "n/a on this build"
            out.append((what, db, got, a1["p95"] <= SEARCH_P95 if a1 else None))
        for name, limit in PAGE_CPU.items():
            what = f"{name}: ≤ {limit:g} ms CPU per view (app + backends, 16 clients)"
            a1, a16 = load(requests.get(name), "app", 1), load(requests.get(name), "app", 16)
            if not a16:
                out.append((what, db, "not measured: not in this build or the bench's catalogue", None))
                continue
            got = f"{cpu(a16):.1f} ms ({cpu(a1):.1f} at 1 client)"
            out.append((what, db, got, (cpu(a16) or 0.0) <= limit))
        for name in NOT_IN_CATALOGUE:
            out.append((f"{name}: ≤ 10 ms CPU", db, "not measured: not in the bench's catalogue", None))
        as_of, first = (
            load(requests.get("decisions ?as_of"), "app", 16),
            load(requests.get("decisions, first page"), "app", 16),
        )
        what = f"as_of decision list: CPU/req ≤ {AS_OF_MAX:g}x the current first page's (16 clients)"
        if as_of and first:
            limit = AS_OF_MAX * (cpu(first) or 0.0)
            got = (
                f"{cpu(as_of):.1f} vs ≤ {limit:.1f} ms "
                f"({(cpu(as_of) or 0.0) / (cpu(first) or 1.0):.1f}x the current's)"
            )
            out.append((what, db, got, (cpu(as_of) or 0.0) <= limit))
        else:
            out.append((what, db, "n/a on this build", None))
        out += export_targets(b, backend, sqlite)
        out += write_targets(b, backend, (baseline or {}).get("backends", {}).get(b))
        out.append(growth_target(b, results))
    return out


def current_target(b: str, s: dict[str, Any], on_sqlite: dict[str, Any] | None) -> Row:
    """A current read against Datasette (on the SQLite file of the same record: Datasette serves
    SQLite files only) and, on PostgreSQL, against the SQLite path's CPU."""
    db = NAMES.get(b, b)
    a16 = load(s, "app", 16)
    p16 = load(s if b == "sqlite" else on_sqlite, "peer", 16)
    if b == "sqlite":
        what = (
            f"{s['name']}: ≥ {SQLITE_RPS_MIN:g}x Datasette's req/s (16 clients), "
            f"CPU/req ≤ {SQLITE_CPU_MAX:g}x Datasette's"
        )
    else:
        what = (
            f"{s['name']}: ≥ {PG_RPS_MIN:g}x Datasette's req/s (16 clients), "
            f"app + backends CPU/req ≤ {PG_CPU_MAX:g}x the SQLite path's"
        )
    if not a16:
        return (what, db, "n/a on this build", None)
    if not p16:
        return (what, db, f"{a16['rps']:.0f} req/s; Datasette not measured in this run", None)
    mine = cpu(a16) or 0.0
    got = f"{a16['rps']:.0f} vs {p16['rps']:.0f} req/s = {a16['rps'] / p16['rps']:.1f}x; "
    if b == "sqlite":
        got += f"CPU {mine:.1f} vs {p16['cpu']:.1f} ms/req"
        return (
            what,
            db,
            got,
            a16["rps"] >= SQLITE_RPS_MIN * p16["rps"] and mine <= SQLITE_CPU_MAX * p16["cpu"],
        )
    lite = cpu(load(on_sqlite, "app", 16))
    got += f"CPU {mine:.1f} (app {a16['cpu']:.1f} + backends {a16.get('db_cpu') or 0.0:.1f}) vs SQLite "
    got += f"{lite:.1f} ms/req" if lite else "not measured"
    met = a16["rps"] >= PG_RPS_MIN * p16["rps"] and lite is not None and mine <= PG_CPU_MAX * lite
    return (what, db, got, met)


def export_targets(b: str, backend: dict[str, Any], sqlite: dict[str, dict[str, Any]]) -> list[Row]:
    db = NAMES.get(b, b)
    out: list[Row] = []
    for s in backend["requests"]:
        if s["kind"] != "export":
            continue
        e = s["export"]
        peer = s["peer_export"] if b == "sqlite" else (sqlite.get(s["name"]) or {}).get("peer_export")
        what = (
            f"{s['name']}: at least as fast as Datasette's `.csv?_stream=on`, "
            f"peak RSS < {EXPORT_RSS_MAX:g} MiB"
        )
        if not e:
            out.append((what, db, "n/a on this build", None))
            continue
        got = f"{e['seconds']:.2f} s, peak RSS {e['rss_peak']:.0f} MiB"
        if not peer:
            out.append((what, db, got + "; Datasette not measured in this run", None))
            continue
        got += f" vs Datasette {peer['seconds']:.2f} s" + ("" if b == "sqlite" else " (on the SQLite file)")
        out.append((what, db, got, e["seconds"] <= peer["seconds"] and e["rss_peak"] < EXPORT_RSS_MAX))
    return out


def write_targets(b: str, backend: dict[str, Any], old: dict[str, Any] | None) -> list[Row]:
    db = NAMES.get(b, b)
    writes = backend.get("writes")
    what = f"assessment write: p50 within {ASSESSMENT_MAX:g}x the baseline's"
    rename_what = f"rename of the busiest regulator ≤ {RENAME_MAX:g} ms (p50)"
    if not writes:
        note = f"not measured: {backend.get('writes_note') or 'no write mix'}"
        return [(what, db, note, None), (rename_what, db, note, None)]
    a, r = writes["assessment"], writes["rename"]
    was = ((old or {}).get("writes") or {}).get("assessment", {}).get("p50")
    out: list[Row] = []
    if a["p50"] is None:
        out.append((what, db, f"no successful write: {a['errors'][:1]}", False))
    elif was:
        limit = ASSESSMENT_MAX * was
        got = f"{ms(a['p50'])} vs ≤ {ms(limit)} ms ({a['p50'] / was:.2f}x the baseline's {ms(was)})"
        out.append((what, db, got, a["p50"] <= ASSESSMENT_MAX * was))
    else:
        out.append(
            (what, db, f"{ms(a['p50'])} ms (p95 {ms(a['p95'])}); no baseline given (--baseline)", None)
        )
    if r["p50"] is None:
        out.append((rename_what, db, f"no successful rename: {r['errors'][:1]}", False))
    else:
        got = (
            f"{ms(r['p50'])} ms (p95 {ms(r['p95'])}, max {ms(r['max'])}; {writes.get('regulator_note', '')})"
        )
        out.append((rename_what, db, got, r["p50"] <= RENAME_MAX))
    return out


def growth(results: dict[str, Any], b: str) -> list[tuple[str, float | None, float | None]]:
    """(read, CPU/req at the smaller scale, at this one) at 16 clients, app + backends."""
    small = by_name(((results.get("smaller") or {}).get("backends") or {}).get(b))
    out = []
    for s in results["backends"][b]["requests"]:
        if s["kind"] == "export":
            continue
        out.append((s["name"], cpu(load(small.get(s["name"]), "app", 16)), cpu(load(s, "app", 16))))
    return out


def growth_target(b: str, results: dict[str, Any]) -> Row:
    db = NAMES.get(b, b)
    what = f"growth: every read's CPU/req within {GROWTH_MAX:g}x the smaller scale's"
    smaller = results.get("smaller")
    rows = [(n, lo, hi) for n, lo, hi in growth(results, b) if lo and hi]
    if not smaller or not rows:
        return (what, db, "not measured: no run at a smaller scale given (--growth)", None)
    over = [f"{n} {hi / lo:.2f}x" for n, lo, hi in rows if hi > GROWTH_MAX * lo]
    worst = max(rows, key=lambda r: r[2] / r[1])
    got = f"{smaller['info']['scale']} → this run: worst {worst[0]} {worst[2] / worst[1]:.2f}x"
    got += f"; over {GROWTH_MAX:g}x: {', '.join(over)}" if over else ""
    return (what, db, got, not over)


def growth_table(results: dict[str, Any]) -> list[str]:
    smaller = results.get("smaller")
    if not smaller:
        return []
    lines = [
        "## Growth",
        "",
        f"CPU per request (ms, app + backends, 16 clients) at {smaller['info']['scale']} (run "
        f"{smaller['info']['when']}) and at {results['info']['scale']} (this run); the ratio is "
        f"this run ÷ the smaller one (target ≤ {GROWTH_MAX:g}x).",
        "",
        "| database | request | smaller scale | this scale | ratio |",
        "|---|---|---|---|---|",
    ]
    for b in results["backends"]:
        for name, lo, hi in growth(results, b):
            lines.append(
                f"| {NAMES.get(b, b)} | {name} | {f'{lo:.1f}' if lo else '—'} | {f'{hi:.1f}' if hi else '—'} "
                f"| {ratio(hi, lo)} |"
            )
    return [*lines, ""]


def targets_table(rows: list[Row]) -> list[str]:
    lines = ["| target | database | measured | met |", "|---|---|---|---|"]
    for what, db, got, met in rows:
        lines.append(f"| {what} | {db} | {got} | {'yes' if met else 'n/a' if met is None else '**no**'} |")
    return [*lines, ""]


def report(results: dict[str, Any], baseline: dict[str, Any] | None = None) -> str:
    info = results["info"]
    lines = [
        "# Benchmark results",
        "",
        f"Run {info['when']} by `{info['command']}` ({info['scale']}).",
        "",
        "## Machine",
        "",
        *(f"- {k}: {v}" for k, v in info["machine"].items()),
        "- Shared: the 2 cores are shared with other engineers' test runs (load average "
        f"{info['load_before']} before this run, {info['load_after']} after); the load tool, the "
        "server and the raw-SQL timings all run on them too, so latencies vary by ±30% between runs.",
        "",
        "## Record",
        "",
        *(f"- {k}: {v:,}" for k, v in info["counts"].items()),
        "",
    ]
    for b, backend in results["backends"].items():
        rm = backend["read_model"]
        stored = (
            f"`findings rebuild-read-model` ran after generating ({rm['seconds']:.1f} s)."
            if rm["present"]
            else "This build has no `findings rebuild-read-model`: no stored read documents were built."
        )
        peer = b == "sqlite"
        lines += [
            f"## {NAMES.get(b, b)}",
            "",
            f"Database: `{backend['database']}`"
            + (
                f", the record generated into it in {backend['generated_seconds']:g} s"
                if "generated_seconds" in backend
                else ""
            )
            + f". {stored}",
            "",
            f"Each request for {info['seconds']:g} s at 1 and at 16 concurrent clients "
            "(after a 1 s warm-up), "
            f"latencies in ms. Raw SQL: the same query in process on the same database (p50 / p95)"
            + (
                ". Datasette: the same table query, `datasette serve -i` (immutable), "
                "`_nocount=1&_nofacet=1`, measured the same way."
                if peer
                else "; Datasette serves SQLite files only."
            ),
            "",
            *latency_table(backend, peer=peer),
            "### Writes (1 client, on a copy of the database, after the reads)",
            "",
            *writes_table(backend),
            "### CSV export",
            "",
            *export_table(backend),
        ]
        notes = [f"- {s['name']}: {s['note']}" for s in backend["requests"] if s["note"]]
        if notes:
            lines += ["Requests:", "", *notes, ""]
    lines += side_by_side(results)
    if baseline:
        lines += baseline_table(results, baseline)
    lines += growth_table(results)
    lines += ["## Targets (issue 29)", "", *targets_table(targets(results, baseline))]
    return "\n".join(lines)
