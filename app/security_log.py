"""Security events as structured JSON lines (OWASP ASVS 16.3).

One line per event on the `findings.security` logger: sign-ins (and failed or throttled
ones), sign-outs, refusals (401, 403, CSRF, 412, 428), a token used from a new address.
Each line holds the time, the event, the client address, the method and path, and what
identifies the actor (an e-mail address, a user or token id and name): never a password,
a token, a session id or a form's security token. `SECURITY_LOG` names a file to append the
lines to; without it they go to the standard error stream.
"""

import datetime as dt
import json
import logging
import sys
from typing import Any, TextIO

from starlette.requests import HTTPConnection

logger = logging.getLogger("findings.security")


def configure(path: str | None) -> None:
    """Send the events to `path` (or standard error), once per process."""
    if logger.handlers:
        return
    handler: logging.Handler = logging.FileHandler(path) if path else _Stderr()
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


class _Stderr(logging.StreamHandler[TextIO]):
    """Standard error as it is when the event is written (not when the handler was made)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def client_address(request: HTTPConnection) -> str:
    return request.client.host if request.client else "unknown"


def event(name: str, request: HTTPConnection | None = None, **fields: Any) -> None:
    record: dict[str, Any] = {"at": dt.datetime.now(dt.UTC).isoformat(), "event": name}
    if request is not None:
        record |= {
            "client": client_address(request),
            "method": request.scope.get("method"),
            "path": request.url.path,
        }
    record |= {k: v for k, v in fields.items() if v is not None}
    logger.info(json.dumps(record, default=str, ensure_ascii=False))
