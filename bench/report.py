"""The report: Markdown tables read from the results dict (the JSON the runner writes beside the
Markdown), one section per database, side by side, the comparison with a baseline run's JSON,
and the targets of issue 13, each met, missed or explained.

A results dict: {"info": {...}, "backends": {"sqlite": BACKEND, "postgresql": BACKEND}}, where
BACKEND holds "requests" (each as `Scenario.to_dict` gives it: loads keyed by the number of
clients as text), "writes" ({"assessment": ..., "rename": ...} or None, with "writes_note")
and "read_model" ({"present": bool, "seconds": float | None}).
"""

from typing import Any

Row = tuple[str, str, str, bool | None]  # target, backend, measured, met (None: not measured)
CURRENT_MIN = 2.0  # x Datasette's req/s at 16 clients
SEARCH_P95 = 30.0  # ms at 1 client
AS_OF_MAX = 3.0  # x the current first page's p50
ASSESSMENT_MAX = 1.2  # x the baseline's p50
RENAME_MAX = 200.0  # ms
PAGE_MIN = 3.0  # x the baseline's req/s
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


def latency_table(backend: dict[str, Any], *, peer: bool) -> list[str]:
    head = "| request | app p50 / p95 / p99 (1 client) | app req/s (1) | app p50 / p95 / p99 (16) "
    head += "| app req/s (16) "
    head += "| raw SQL p50 / p95 | app ÷ raw SQL (p50) | server CPU ms/req, app (16) |"
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
                f"| {s['name']} | n/a on this build | | | | {raw_text} | | |" + (" | | | |" if peer else "")
            )
            continue
        row = (
            f"| {s['name']} | {ms(a1['p50'])} / {ms(a1['p95'])} / {ms(a1['p99'])} | {a1['rps']:.0f} "
            f"| {ms(a16['p50'])} / {ms(a16['p95'])} / {ms(a16['p99'])} | {a16['rps']:.0f} | {raw_text} "
            f"| {ratio(a1['p50'], raw[0] if raw else None)} | {a16['cpu']:.1f} |"
        )
        if peer:
            p1, p16 = load(s, "peer", 1), load(s, "peer", 16)
            rps, cpu = (f"{p16['rps']:.0f}", f"{p16['cpu']:.1f}") if p16 else ("—", "—")
            row += (
                f" {ms(p1['p50']) if p1 else '—'} | {rps} | {cpu} "
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
        cpu = f"{t['cpu']:.1f}" if t["cpu"] is not None else "—"
        errs = f"{t['error_count']}: {t['errors'][0]}" if t["error_count"] else "none"
        lines.append(
            f"| {name} | {t['n']} | {ms(t['p50'])} | {ms(t['p95'])} | {ms(t['max'])} | {cpu} | {errs} |"
        )
    return [*lines, "", backend.get("writes_note", ""), ""]


def side_by_side(results: dict[str, Any]) -> list[str]:
    backends = results["backends"]
    if len(backends) < 2:
        return []
    names = list(backends)
    head = (
        "| request | "
        + " | ".join(f"{NAMES.get(b, b)} p50 (1) / req/s (16) / CPU ms/req (16)" for b in names)
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
            cells.append(f"{ms(a1['p50'])} / {a16['rps']:.0f} / {a16['cpu']:.1f}" if a1 and a16 else "n/a")
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
    """Each target of issue 13 for each database: what it asks, what was measured, met or not."""
    out: list[Row] = []
    sqlite = by_name(results["backends"].get("sqlite"))
    for b, backend in results["backends"].items():
        db = NAMES.get(b, b)
        requests = by_name(backend)
        for s in backend["requests"]:
            if not s["current"]:
                continue
            a16 = load(s, "app", 16)
            # Datasette serves SQLite files only: on PostgreSQL the app is held to Datasette on
            # the SQLite file of the same record.
            p16 = load(s if b == "sqlite" else sqlite.get(s["name"]), "peer", 16)
            what = f"{s['name']}: ≥ {CURRENT_MIN:g}x Datasette's req/s (16 clients), CPU/req ≤ Datasette's"
            if not a16:
                out.append((what, db, "n/a on this build", None))
            elif not p16:
                out.append((what, db, f"{a16['rps']:.0f} req/s; Datasette not measured in this run", None))
            else:
                vs = "" if b == "sqlite" else " (Datasette on the SQLite file)"
                got = (
                    f"{a16['rps']:.0f} vs {p16['rps']:.0f} req/s = {a16['rps'] / p16['rps']:.1f}x; "
                    f"CPU {a16['cpu']:.1f} vs {p16['cpu']:.1f} ms/req{vs}"
                )
                out.append(
                    (what, db, got, a16["rps"] >= CURRENT_MIN * p16["rps"] and a16["cpu"] <= p16["cpu"])
                )
        for s in backend["requests"]:
            if s["kind"] != "search":
                continue
            a1 = load(s, "app", 1)
            what = f"{s['name']}: p95 ≤ {SEARCH_P95:g} ms (1 client)"
            got = f"{ms(a1['p95'])} ms ({s['note']})" if a1 else "n/a on this build"
            out.append((what, db, got, a1["p95"] <= SEARCH_P95 if a1 else None))
        as_of, first = (
            load(requests.get("decisions ?as_of"), "app", 1),
            load(requests.get("decisions, first page"), "app", 1),
        )
        what = f"as_of decision list: p50 ≤ {AS_OF_MAX:g}x the current first page's"
        if as_of and first:
            limit = AS_OF_MAX * first["p50"]
            got = f"{ms(as_of['p50'])} vs ≤ {ms(limit)} ms ({as_of['p50'] / first['p50']:.1f}x the current's)"
            out.append((what, db, got, as_of["p50"] <= limit))
        else:
            out.append((what, db, "n/a on this build", None))
        out += write_targets(b, backend, (baseline or {}).get("backends", {}).get(b))
        out.append(page_target(b, requests, by_name((baseline or {}).get("backends", {}).get(b))))
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


def page_target(b: str, requests: dict[str, Any], old: dict[str, Any]) -> Row:
    what = f"decision page (HTML): ≥ {PAGE_MIN:g}x the baseline's req/s (16 clients)"
    now, was = (
        load(requests.get("decision page (HTML)"), "app", 16),
        load(old.get("decision page (HTML)"), "app", 16),
    )
    if not now:
        return (what, NAMES.get(b, b), "n/a on this build", None)
    if not was:
        return (what, NAMES.get(b, b), f"{now['rps']:.0f} req/s; no baseline given (--baseline)", None)
    got = (
        f"{now['rps']:.0f} vs ≥ {PAGE_MIN * was['rps']:.0f} req/s "
        f"({now['rps'] / was['rps']:.1f}x the baseline's {was['rps']:.0f})"
    )
    return (what, NAMES.get(b, b), got, now["rps"] >= PAGE_MIN * was["rps"])


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
    lines += ["## Targets (issue 13)", "", *targets_table(targets(results, baseline))]
    return "\n".join(lines)
