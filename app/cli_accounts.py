"""The `findings token` and `findings user` commands: API tokens (create, list, revoke) and the
accounts for the browser pages (create, list, disable, enable, set a role). Added to the
`findings` command by app/cli.py."""

import datetime as dt
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer

from app.vocab import Role

token_cli = typer.Typer(help="API tokens.", no_args_is_help=True)
user_cli = typer.Typer(help="Accounts for the browser pages.", no_args_is_help=True)


DEFAULT_TOKEN_DAYS = 90


@token_cli.command("create")
def token_create(
    name: Annotated[str, typer.Option(help="A name to recognise the token by.")],
    role: Annotated[Role, typer.Option(help="What the token may do.")] = Role.reader,
    expires_in_days: Annotated[
        int, typer.Option(min=1, help="Days until it expires (by default 90).")
    ] = DEFAULT_TOKEN_DAYS,
    no_expiry: Annotated[bool, typer.Option("--no-expiry", help="A token that never expires.")] = False,
) -> None:
    """Create an API token and print it once (only its hash is stored). It expires after 90
    days unless `--expires-in-days` or `--no-expiry` says otherwise."""
    from app.db import Database
    from app.errors import DomainError
    from app.services.accounts import tokens

    expires_at = None if no_expiry else dt.datetime.now(dt.UTC) + dt.timedelta(days=expires_in_days)
    db = Database()
    try:
        with db.transaction(actor="cli") as session:
            token, secret = tokens.create(session, name=name, role=role, expires_at=expires_at)
    except DomainError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from exc
    finally:
        db.dispose()
    typer.echo(secret)
    typer.echo(
        f"Token {token.name!r} ({token.role.value}) created; this is the only time it is shown.", err=True
    )


@token_cli.command("list")
def token_list() -> None:
    """List the tokens, without their secrets."""
    from app.db import Database
    from app.services.accounts import tokens

    db = Database()
    try:
        with db.transaction(write=False) as session:
            rows = tokens.all_(session)
    finally:
        db.dispose()

    def when(value: dt.datetime | None) -> str:
        return value.strftime("%Y-%m-%dT%H:%MZ") if value else "-"

    header = ("NAME", "ROLE", "PREFIX", "CREATED", "EXPIRES", "REVOKED", "LAST USED")
    table = [header] + [
        (
            t.name,
            t.role.value,
            t.prefix,
            when(t.created_at),
            when(t.expires_at),
            when(t.revoked_at),
            when(t.last_used_at),
        )
        for t in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


@token_cli.command("revoke")
def token_revoke(name: Annotated[str, typer.Argument(help="The token's name.")]) -> None:
    """Revoke a token: it stops working at once (it stays listed)."""
    from app.db import Database
    from app.errors import DomainError
    from app.services.accounts import tokens

    db = Database()
    try:
        with db.transaction(actor="cli") as session:
            tokens.revoke(session, token=tokens.by_name(session, name=name))
    except DomainError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from exc
    finally:
        db.dispose()
    typer.echo(f"Token {name!r} revoked.")


@user_cli.command("create")
def user_create(
    email: Annotated[str, typer.Option(help="The address the user signs in with.")],
    name: Annotated[str, typer.Option(help="The name shown on the pages.")],
    role: Annotated[Role, typer.Option(help="What the user may do.")] = Role.reader,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a browser account; the password is asked for (hidden) or read from stdin."""
    from app.db import Database
    from app.errors import DomainError
    from app.services.accounts import users

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    db = Database()
    try:
        with db.transaction(actor="cli") as session:
            user = users.create(session, email=email, name=name, role=role, password=password)
            summary = f"User {user.email} ({user.role.value}) created."
    except DomainError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from exc
    finally:
        db.dispose()
    typer.echo(summary)


def _user_command(change: Callable[[Any], str]) -> None:
    """Run `change(session)` in one transaction; print its summary, or the error (exit 1)."""
    from app.db import Database
    from app.errors import DomainError

    db = Database()
    try:
        with db.transaction(actor="cli") as session:
            summary = change(session)
    except DomainError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(1) from exc
    finally:
        db.dispose()
    typer.echo(summary)


@user_cli.command("list")
def user_list() -> None:
    """List the accounts: e-mail, role, two-factor, state."""
    from app.services.accounts import users

    def show(session: Any) -> str:
        rows = users.list_users(session)
        lines = [f"{'email':40} {'role':7} {'2fa':4} state"]
        for u in rows:
            state = "disabled" if u.disabled_at else "active"
            lines.append(f"{u.email:40} {u.role.value:7} {'yes' if u.totp_enabled_at else 'no':4} {state}")
        return "\n".join(lines)

    _user_command(show)


@user_cli.command("disable")
def user_disable(email: Annotated[str, typer.Argument(help="The account's e-mail address.")]) -> None:
    """Disable an account: it cannot sign in, and its open sessions end now."""
    from app.services.accounts import users

    _user_command(lambda s: f"User {users.set_disabled(s, email=email, disabled=True).email} disabled.")


@user_cli.command("enable")
def user_enable(email: Annotated[str, typer.Argument(help="The account's e-mail address.")]) -> None:
    """Enable a disabled account again."""
    from app.services.accounts import users

    _user_command(lambda s: f"User {users.set_disabled(s, email=email, disabled=False).email} enabled.")


@user_cli.command("set-role")
def user_set_role(
    email: Annotated[str, typer.Argument(help="The account's e-mail address.")],
    role: Annotated[Role, typer.Argument(help="reader, editor or admin.")],
) -> None:
    """Change an account's role (its open sessions end; the new role applies at the next sign-in)."""
    from app.services.accounts import users

    def change(session: Any) -> str:
        user = users.set_role(session, email=email, role=role)
        return f"User {user.email} is now {user.role.value}."

    _user_command(change)
