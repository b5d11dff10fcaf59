"""A throwaway PostgreSQL server for the tests, started from the machine's binaries.

It lives in a temporary directory, listens on 127.0.0.1 at a free port, trusts local
connections and runs with fsync off (the data is thrown away). initdb and postgres refuse
to run as root, so under root (CI) the server runs as the unprivileged `postgres` user
(Debian's package creates it) or, failing that, `nobody`.
"""

import contextlib
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SUPERUSER = "findings"
PREFIX = "findings-pg-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_orphans(bindir: Path, user: str | None) -> None:
    """Stop and remove the servers of earlier test runs that were killed before their teardown."""
    for root in Path(tempfile.gettempdir()).glob(f"{PREFIX}*"):
        try:
            owner = int((root / "owner.pid").read_text())
        except (OSError, ValueError):
            continue
        if _alive(owner):
            continue
        kwargs = {"user": user, "extra_groups": []} if user else {}
        subprocess.run(
            [str(bindir / "pg_ctl"), "-D", str(root / "data"), "-m", "immediate", "-w", "stop"],
            capture_output=True,
            check=False,
            **kwargs,  # type: ignore[call-overload]
        )
        shutil.rmtree(root, ignore_errors=True)


def find_bindir() -> Path | None:
    """The directory holding initdb and pg_ctl: $PG_BINDIR, the PATH, or Debian's layout."""
    candidates: list[Path] = []
    if env := os.environ.get("PG_BINDIR"):
        candidates.append(Path(env))
    if found := shutil.which("pg_ctl"):
        candidates.append(Path(found).resolve().parent)

    def version(p: Path) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", p.parent.name)) or (0,)

    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    for directory in candidates:
        if (directory / "initdb").is_file() and (directory / "pg_ctl").is_file():
            return directory
    return None


def utf8_locale() -> str:
    """C.UTF-8 where the system has it (case folding beyond ASCII, as in production), else C."""
    try:
        names = subprocess.run(["locale", "-a"], capture_output=True, text=True, check=False).stdout
    except OSError:
        return "C"
    return "C.UTF-8" if {"c.utf8", "c.utf-8"} & {n.strip().lower() for n in names.split()} else "C"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = free_port()
        self.user: str | None = None
        if os.geteuid() == 0:
            for name in ("postgres", "nobody"):
                with contextlib.suppress(KeyError):
                    pwd.getpwnam(name)
                    self.user = name
                    break
        stop_orphans(bindir, self.user)
        self.root = Path(tempfile.mkdtemp(prefix=PREFIX))
        # Whose server this is: a later run stops it if this process died without doing so.
        (self.root / "owner.pid").write_text(str(os.getpid()))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._counter = 0
        self._admins: dict[str, Any] = {}
        self._tables: dict[str, list[str]] = {}
        pg_ctl = str(bindir / "pg_ctl")
        out = subprocess.run([pg_ctl, "--version"], capture_output=True, text=True, check=True)
        self.version = int(re.findall(r"\d+", out.stdout)[0])

    def _run(self, *args: str) -> None:
        kwargs = {"user": self.user, "extra_groups": []} if self.user else {}
        result = subprocess.run(
            args,
            capture_output=True,
            text=True,
            cwd=self.root,
            check=False,
            **kwargs,  # type: ignore[call-overload]
        )
        if result.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}\n{log}")

    def start(self) -> None:
        self._run(
            str(self.bindir / "initdb"),
            "-D", str(self.data),
            "-U", SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            f"--locale={utf8_locale()}",
            "--no-sync",
        )  # fmt: skip
        pg_ctl = str(self.bindir / "pg_ctl")
        for attempt in range(3):
            options = " ".join(
                [
                    f"-p {self.port}",
                    "-c listen_addresses=127.0.0.1",
                    f"-c unix_socket_directories={self.root}",
                    "-c fsync=off",
                    "-c synchronous_commit=off",
                    "-c full_page_writes=off",
                    "-c max_connections=200",
                ]
            )
            try:
                self._run(pg_ctl, "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")
                return
            except RuntimeError:
                # Another run may have taken the free port in between: try another one.
                if attempt == 2:
                    raise
                self.port = free_port()

    def stop(self) -> None:
        for conn in self._admins.values():
            conn.close()
        with contextlib.suppress(RuntimeError):
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str) -> None:
        """Run one statement outside a transaction (CREATE/DROP DATABASE) on the admin database."""
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def reset(self, database: str) -> None:
        """Empty every table of `database` but Alembic's, and restart its id sequences.

        Much faster than a new copy of the template (about 5 ms against 150): the rows are
        deleted with triggers and foreign-key checks off (session_replication_role), through
        a connection kept open for the run.
        """
        conn = self._admin(database)
        # A connection a test left inside a transaction (holding locks) would block the
        # deletes below: end it. Idle pooled connections are left alone.
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'"
        )
        if database not in self._tables:
            self._tables[database] = [
                r[0]
                for r in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'alembic_version'"
                )
            ]
        with conn.transaction():
            conn.execute("SET LOCAL session_replication_role = replica")
            for table in self._tables[database]:
                conn.execute(f'DELETE FROM "{table}"')  # type: ignore[arg-type]
            conn.execute(
                "SELECT setval(c.oid, 1, false) FROM pg_class c "
                "WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace"
            )

    def _admin(self, database: str) -> Any:
        import psycopg

        conn = self._admins.get(database)
        if conn is None or conn.closed:
            conn = psycopg.connect(
                host="127.0.0.1", port=self.port, user=SUPERUSER, dbname=database, autocommit=True
            )
            self._admins[database] = conn
        return conn

    def new_name(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}_{os.getpid()}_{self._counter}"

    @contextlib.contextmanager
    def database(self, *, template: str | None = None) -> Iterator[str]:
        """A new database (a copy of `template` when given), dropped afterwards; yields its URL."""
        name = self.new_name("test")
        sql = f'CREATE DATABASE "{name}"'
        if template:
            # With fsync off, copying the files is faster than WAL-logging each page (15 ms vs 60).
            sql += f' TEMPLATE "{template}"' + (" STRATEGY FILE_COPY" if self.version >= 15 else "")
        self.execute(sql)
        try:
            yield self.url(name)
        finally:
            self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
