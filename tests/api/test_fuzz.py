"""Fuzzing the API from its own OpenAPI description (schemathesis).

Positive data (valid by the schema) and negative data (invalid) for every operation, with
all of schemathesis' checks, on SQLite and on PostgreSQL: no 5xx, responses match their
schema, status codes, headers and content types are the documented ones, invalid data is
refused and valid data accepted. Writes are made with an editor token (an admin one on the
admin-only routes) against a database holding the demo record. Bounded and derandomized:
the same cases on every run.
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
from schemathesis.config._checks import MissingRequiredHeaderConfig, PositiveDataAcceptanceConfig

from app import migrate
from app.db import Database
from app.main import create_app
from app.services import demo
from app.services.accounts import tokens
from app.vocab import Role
from tests.conftest import BACKENDS
from tests.pgserver import PostgresServer

_dir = Path(tempfile.mkdtemp(prefix="findings-fuzz-"))
atexit.register(shutil.rmtree, _dir, ignore_errors=True)
_url = f"sqlite:///{_dir / 'fuzz.sqlite3'}"
migrate.upgrade(_url)
_db = Database(_url)
# The fuzzer's tokens on the database in use (set by `prepare`).
CREDENTIALS: dict[str, Any] = {}


def prepare(database: Database) -> dict[str, Any]:
    """Load the demo record and the fuzzer's tokens; the fuzzer may revoke any token but its own
    (it would fail every later case with 401), so a decoy stands in for those."""
    with database.transaction(actor="test") as session:
        demo.load(session)
        editor, editor_secret = tokens.create(session, name="fuzz-editor", role=Role.editor)
        admin, admin_secret = tokens.create(session, name="fuzz-admin", role=Role.admin)
        decoy, _ = tokens.create(session, name="fuzz-decoy", role=Role.reader)
        session.flush()
        own = {editor.id, admin.id}
        return {"editor": editor_secret, "admin": admin_secret, "own": own, "decoy": decoy.id}


SQLITE_CREDENTIALS = prepare(_db)
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
    checks = schema.config.checks
    # Every check runs. Schema-valid data may still break a rule of the record (404 for an id
    # naming nothing, 409, 412 for a stale If-Match, 422 for a record rule, 415 for an uploaded
    # document whose bytes are none of the kinds kept: refined below).
    checks.positive_data_acceptance = PositiveDataAcceptanceConfig(
        expected_statuses=["2xx", "403", "404", "409", "412", "415", "422"]
    )
    # A missing If-Match answers 428 Precondition Required.
    checks.missing_required_header = MissingRequiredHeaderConfig(
        expected_statuses=["400", "401", "403", "406", "415", "422", "428"]
    )
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
    # The type of an upload is read from its bytes, which no schema can state; nothing else 415s.
    if response.status_code == 415 and case.path != "/api/v1/documents":
        raise AssertionError(f"Schema-valid data refused with 415: {response.text[:500]}")


def _record_rule(response: Any) -> bool:
    errors = json.loads(response.content).get("errors") or [{"type": "?"}]
    return all(e["type"] not in SCHEMA_ERRORS for e in errors)


@pytest.fixture(scope="module", params=BACKENDS, autouse=True)
def backend_database(request: pytest.FixtureRequest) -> Iterator[str]:
    """Every case runs on SQLite, then on PostgreSQL (the same record and tokens on each)."""
    if request.param == "sqlite":
        app.state.db = _db
        CREDENTIALS.update(SQLITE_CREDENTIALS)
        yield "sqlite"
        return
    server: PostgresServer = request.getfixturevalue("pg_server")
    with server.database(template=request.getfixturevalue("pg_template")) as url:
        database = Database(url)
        CREDENTIALS.update(prepare(database))
        app.state.db = database
        try:
            yield "postgresql"
        finally:
            app.state.db = _db
            database.dispose()


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
    CASES[f"{app.state.db.engine.dialect.name}: {case.method} {case.path}"] += 1
    token = CREDENTIALS["admin"] if case.path.startswith(ADMIN_ONLY) else CREDENTIALS["editor"]
    if case.method == "DELETE" and (case.path_parameters or {}).get("token_id") in CREDENTIALS["own"]:
        case.path_parameters = {**(case.path_parameters or {}), "token_id": CREDENTIALS["decoy"]}
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"},
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
