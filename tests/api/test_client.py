"""A Python client generated from the app's own `/openapi.json` (openapi-python-client), used
against a live server: its method names, its typed reads, and the problems it parses."""

import datetime as dt
import importlib
import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import uvicorn

from app.db import Database
from app.main import create_app
from app.services.accounts import tokens
from app.vocab import Role

PACKAGE = "findings_client"


@pytest.fixture(scope="session")
def client_package(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """The client generated (offline, from the description itself) and imported."""
    root = tmp_path_factory.mktemp("generated")
    spec = root / "openapi.json"
    spec.write_text(json.dumps(create_app(Database("sqlite:///:memory:")).openapi()))
    generator = Path(sys.executable).with_name("openapi-python-client")
    result = subprocess.run(
        [
            str(generator),
            "generate",
            "--path",
            str(spec),
            "--meta",
            "none",
            "--output-path",
            str(root / PACKAGE),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(root))
    try:
        return importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(db: Database) -> Iterator[str]:
    """The app served by uvicorn on a free port, in a thread, for the test's database."""
    port = _free_port()
    config = uvicorn.Config(create_app(db), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    live = uvicorn.Server(config)
    thread = threading.Thread(target=live.run, daemon=True)
    thread.start()
    for _ in range(500):
        if live.started:
            break
        thread.join(0.01)
    assert live.started
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        live.should_exit = True
        thread.join(10)


@pytest.fixture
def opened() -> Iterator[list[Any]]:
    """The generated clients a test opens, closed after it."""
    clients: list[Any] = []
    yield clients
    for client in clients:
        client.get_httpx_client().close()


def _module(package: ModuleType, name: str) -> Any:
    return importlib.import_module(f"{package.__name__}.{name}")


def test_generated_client_reads_and_writes_and_parses_problems(
    client_package: ModuleType, server: str, db: Database, opened: list[Any]
) -> None:
    with db.transaction(actor="test") as session:
        _, secret = tokens.create(session, name="client-editor", role=Role.editor)
    models = _module(client_package, "models")
    decisions = _module(client_package, "api.decisions")
    # The method names read as verbs on nouns.
    folder = Path(decisions.__file__).parent
    assert {p.stem for p in folder.glob("*.py")} == {
        "__init__",
        "list_decisions",
        "get_decision",
        "create_decision",
        "update_decision",
        "delete_decision",
        "merge_decision",
    }
    create_regulator = _module(client_package, "api.regulators.create_regulator")
    list_decisions = _module(client_package, "api.decisions.list_decisions")
    create_decision = _module(client_package, "api.decisions.create_decision")
    get_decision = _module(client_package, "api.decisions.get_decision")
    update_decision = _module(client_package, "api.decisions.update_decision")
    client = client_package.AuthenticatedClient(base_url=server, token=secret)
    opened.append(client)

    created = create_regulator.sync_detailed(
        client=client,
        body=models.RegulatorCreate(name="Office of the Privacy Commissioner", jurisdiction="CA"),
    )
    assert created.status_code == 201
    regulator = created.parsed
    assert isinstance(regulator, models.RegulatorRead) and regulator.jurisdiction == "CA"
    for n in range(3):
        made = create_decision.sync_detailed(
            client=client,
            body=models.DecisionCreate(
                reference=f"PIPEDA-{n}",
                title=f"Decision {n}",
                kind=models.DecisionKind.REPORT_OF_FINDINGS,
                issued_on=dt.date(2021, 2, 1 + n),
                regulators=[models.DecisionRegulatorIn(regulator_id=regulator.id)],
            ),
        )
        assert made.status_code == 201, made.content
        assert made.headers["location"].endswith(f"/api/v1/decisions/{made.parsed.id}")

    # A list with a filter and the cursor, newest first.
    first = list_decisions.sync(client=client, regulator_id=regulator.id, limit=2)
    assert [d.reference for d in first.items] == ["PIPEDA-2", "PIPEDA-1"]
    assert isinstance(first.next_cursor, str)
    second = list_decisions.sync(client=client, regulator_id=regulator.id, limit=2, cursor=first.next_cursor)
    assert [d.reference for d in second.items] == ["PIPEDA-0"] and second.next_cursor is None
    # Only the fields asked for: the client reads the partial item.
    slim = list_decisions.sync(client=client, regulator_id=regulator.id, fields="id,reference,compliance")
    assert isinstance(slim.items[0], models.DecisionReadFields)
    assert slim.items[0].to_dict() == {"id": slim.items[0].id, "reference": "PIPEDA-2", "compliance": "none"}

    # Read the ETag, update with If-Match; a stale one answers a 412 problem with its detail.
    decision_id = first.items[0].id
    read = get_decision.sync_detailed(client=client, decision_id=decision_id)
    etag = read.headers["etag"]
    assert read.parsed.version == 1 and etag == '"1"'
    updated = update_decision.sync_detailed(
        client=client, decision_id=decision_id, if_match=etag, body=models.DecisionUpdate(title="Renamed")
    )
    assert updated.status_code == 200 and updated.parsed.title == "Renamed"
    assert updated.headers["etag"] == '"2"'
    stale = update_decision.sync_detailed(
        client=client, decision_id=decision_id, if_match=etag, body=models.DecisionUpdate(title="Again")
    )
    assert stale.status_code == 412
    assert isinstance(stale.parsed, models.Problem)
    assert stale.parsed.title == "Precondition failed"
    assert stale.parsed.detail == (
        f"The decision {decision_id} has changed since you read it (you had version 1, it is now at 2); "
        "read it again and reapply your change."
    )

    # A validation problem names each bad field in `errors`.
    invalid = create_decision.sync_detailed(
        client=client,
        body=models.DecisionCreate(
            reference="PIPEDA-X",
            title="x" * 501,
            kind=models.DecisionKind.FINE,
            issued_on=dt.date(2021, 3, 1),
            regulators=[models.DecisionRegulatorIn(regulator_id=regulator.id)],
        ),
    )
    assert invalid.status_code == 422
    assert isinstance(invalid.parsed, models.Problem)
    assert [e.field for e in invalid.parsed.errors] == ["title"]
    assert invalid.parsed.errors[0].type_ == "string_too_long"
    # A bad token is a problem too, not None.
    anonymous = client_package.AuthenticatedClient(base_url=server, token="ft_not-a-real-token")
    opened.append(anonymous)
    refused = get_decision.sync_detailed(client=anonymous, decision_id=decision_id)
    assert refused.status_code == 401 and refused.parsed.detail == "The token is unknown, revoked or expired."
