"""Fuzzing the API from its own OpenAPI description (schemathesis).

Positive data (valid by the schema) and negative data (invalid) for every operation, with
schemathesis' checks: no 5xx, responses match their schema, status codes and content types
are the documented ones, invalid data is refused and valid data accepted. Writes are made
with an editor token (an admin one on the admin-only routes) against a database holding
the demo record. Bounded and derandomized: the same cases on every run.
"""

import atexit
import json
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from pydantic_core.core_schema import ErrorType
from schemathesis.specs.openapi.checks import positive_data_acceptance

from app import migrate
from app.db import Database
from app.main import create_app
from app.services import demo, tokens
from app.vocab import Role

_dir = Path(tempfile.mkdtemp(prefix="findings-fuzz-"))
atexit.register(shutil.rmtree, _dir, ignore_errors=True)
_url = f"sqlite:///{_dir / 'fuzz.sqlite3'}"
migrate.upgrade(_url)
_db = Database(_url)
with _db.transaction(actor="test") as _session:
    demo.load(_session)
    _, EDITOR = tokens.create(_session, name="fuzz-editor", role=Role.editor)
    _, ADMIN = tokens.create(_session, name="fuzz-admin", role=Role.admin)
atexit.register(_db.dispose)

app = create_app(_db)
# Schemathesis' coverage phase (boundary values of every field, unexpected methods: it found
# most of what was fixed) makes ~10 times more cases; FINDINGS_FUZZ_DEEP=1 turns it on.
DEEP = bool(os.environ.get("FINDINGS_FUZZ_DEEP"))
PHASES = ["examples", "fuzzing"] + (["coverage"] if DEEP else [])
# Invalid data costs more to make (a string over a 50,000-character limit, say), so fewer.
EXAMPLES = {
    schemathesis.GenerationMode.POSITIVE: 40 if DEEP else 10,
    schemathesis.GenerationMode.NEGATIVE: 20 if DEEP else 3,
}


def load(mode: schemathesis.GenerationMode) -> Any:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    schema.config.generation.update(modes=[mode], max_examples=EXAMPLES[mode], deterministic=True)
    schema.config.phases.update(phases=PHASES)
    return schema


positive = load(schemathesis.GenerationMode.POSITIVE)
negative = load(schemathesis.GenerationMode.NEGATIVE)
ADMIN_ONLY = ("/api/v1/tokens", "/api/v1/audit")
CASES: Counter[str] = Counter()
# The errors of request validation (the schema's own rules), as opposed to the record's rules.
SCHEMA_ERRORS = set(get_args(ErrorType)) | {"extra_forbidden", "json_invalid"}


def schema_valid_data_is_accepted(ctx: Any, response: Any, case: schemathesis.Case) -> None:
    """Schemathesis' positive_data_acceptance, knowing the record's own rules.

    Data valid by the schema must not fail the schema's rules (that would be a wrong
    schema); it may still break a rule of the record that no schema can state: an id that
    names no record, an opaque cursor that no page gave, a duplicate name, a date after
    the one it must precede. Those answer 422 (or 404/409) with the rule's error type.
    """
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    if response.status_code == 400 or (response.status_code == 422 and not _record_rule(response)):
        raise AssertionError(f"Schema-valid data refused with {response.status_code}: {response.text[:500]}")


def _record_rule(response: Any) -> bool:
    errors = json.loads(response.content).get("errors") or [{"type": "?"}]
    return all(e["type"] not in SCHEMA_ERRORS for e in errors)


@pytest.fixture(scope="module", autouse=True)
def report(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and CASES:
        reporter.write_line(
            f"schemathesis: {sum(CASES.values())} cases over {len(CASES)} operations "
            f"(at most {EXAMPLES} generated examples each, phases {PHASES})"
        )
        for op, n in CASES.most_common():
            reporter.write_line(f"  {n:5d}  {op}")


def call(case: schemathesis.Case) -> None:
    CASES[f"{case.method} {case.path}"] += 1
    token = ADMIN if case.path.startswith(ADMIN_ONLY) else EDITOR
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"},
        excluded_checks=[positive_data_acceptance],
        additional_checks=[schema_valid_data_is_accepted],
    )


def bounded(mode: schemathesis.GenerationMode) -> settings:
    return settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


@positive.parametrize()
@bounded(schemathesis.GenerationMode.POSITIVE)
def test_valid_data(case: schemathesis.Case) -> None:
    call(case)


@negative.parametrize()
@bounded(schemathesis.GenerationMode.NEGATIVE)
def test_invalid_data(case: schemathesis.Case) -> None:
    call(case)
