"""`sikro users`: the staff console's accounts, from the terminal.

A password is never a command-line argument (it would sit in the shell's
history and the process list): it is typed at a hidden prompt, read from
standard input with --password-stdin, or made by the tool (a one-time
password printed once, to be changed at the first sign-in). Every change is
recorded with who made it: --by, else the OS user.
"""

from __future__ import annotations

import getpass
import sys

import click

from .. import accounts
from ..accounts.passwords import one_time_password
from . import print_json, workspace_option

BY_HELP = "Who makes the change (default: your OS user name)."


def _actor(by: str) -> str:
    return (by or "").strip() or getpass.getuser()


def _read_password(password_stdin: bool) -> str:
    """One line of standard input, or a hidden prompt typed twice."""
    if password_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt="Password again")


def _shown(view: accounts.UserView, book: accounts.RoleBook) -> str:
    roles = ", ".join(f"{book.name(r)} ({r})" for r in view.roles)
    flags = [word for on, word in ((view.disabled, "DISABLED"), (view.locked, "LOCKED"),
                                    (view.must_change_password, "must change password")) if on]
    return f"{view.username}: {view.display_name}; roles {roles}" + (f"; {', '.join(flags)}" if flags else "")


def _one_time(view: accounts.UserView, password: str) -> None:
    click.echo(f"One-time password for {view.username}: {password}")
    click.echo("  (shown only now; it must be changed at the first sign-in to `sikro console`)")


@click.group("users")
def users_group():
    """The staff console's accounts: add, list, disable, passwords, roles, API tokens."""


@users_group.command("add")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="The person's full name.")
@click.option("--role", "roles", multiple=True, required=True,
              help="A role (key or name, see `sikro users roles`); repeat for several.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (one line).")
@click.option("--prompt", "typed", is_flag=True, help="Type the password at a hidden prompt.")
@click.option("--permanent", is_flag=True,
              help="The password given need not be changed at the first sign-in (default: it must).")
@click.option("--by", default="", help=BY_HELP)
@click.option("--json", "as_json", is_flag=True)
@workspace_option
def users_add(username, display_name, roles, password_stdin, typed, permanent, by, as_json, ws):
    """Add the account USERNAME. Without --password-stdin or --prompt a one-time password is made
    and printed once."""
    made_here = not (password_stdin or typed)
    password = one_time_password() if made_here else _read_password(password_stdin)
    view = accounts.add_user(ws, username, display_name, roles, password, actor=_actor(by),
                             temporary=made_here or not permanent)
    if as_json:
        print_json({**view.as_json(), **({"one_time_password": password} if made_here else {})})
        return
    click.echo(f"Added {_shown(view, accounts.role_book(ws))}")
    if made_here:
        _one_time(view, password)


@users_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@workspace_option
def users_list(as_json, ws):
    """Every account: name, roles, disabled, locked, last sign-in, open sessions."""
    views = accounts.list_users(ws)
    if as_json:
        print_json([v.as_json() for v in views])
        return
    if not views:
        click.echo("No users yet: `sikro users add NAME --name \"...\" --role admin`")
    book = accounts.role_book(ws)
    for view in views:
        last = view.last_login_at.isoformat(timespec="minutes") if view.last_login_at else "never"
        click.echo(f"{_shown(view, book)}; last sign-in {last}; {view.sessions} open session(s)")


@users_group.command("disable")
@click.argument("username")
@click.option("--by", default="", help=BY_HELP)
@workspace_option
def users_disable(username, by, ws):
    """Disable USERNAME: it can no longer sign in, its sessions end now, its API tokens stop working."""
    view = accounts.disable_user(ws, username, actor=_actor(by))
    click.echo(f"Disabled {view.username}")


@users_group.command("enable")
@click.argument("username")
@click.option("--by", default="", help=BY_HELP)
@workspace_option
def users_enable(username, by, ws):
    """Enable USERNAME again."""
    view = accounts.enable_user(ws, username, actor=_actor(by))
    click.echo(f"Enabled {view.username}")


@users_group.command("unlock")
@click.argument("username")
@click.option("--by", default="", help=BY_HELP)
@workspace_option
def users_unlock(username, by, ws):
    """Lift the lock that repeated wrong passwords put on USERNAME."""
    view = accounts.unlock_user(ws, username, actor=_actor(by))
    click.echo(f"Unlocked {view.username}")


@users_group.command("passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the new password from standard input (one line).")
@click.option("--generate", is_flag=True, help="Make a one-time password and print it (to change at sign-in).")
@click.option("--permanent", is_flag=True, help="The password typed need not be changed at the next sign-in.")
@click.option("--by", default="", help=BY_HELP)
@workspace_option
def users_passwd(username, password_stdin, generate, permanent, by, ws):
    """Set a new password for USERNAME (a hidden prompt, typed twice, unless --password-stdin or
    --generate); its sessions end and a lock is lifted."""
    if password_stdin and generate:
        raise click.UsageError("give --password-stdin or --generate, not both")
    password = one_time_password() if generate else _read_password(password_stdin)
    view = accounts.set_password(ws, username, password, actor=_actor(by), temporary=generate or not permanent)
    click.echo(f"New password set for {view.username}" + ("" if generate or permanent else
                                                          " (to be changed at the next sign-in)"))
    if generate:
        _one_time(view, password)


@users_group.command("roles")
@click.argument("username", required=False)
@click.option("--add", "added", multiple=True, help="Give a role (key or name); repeat for several.")
@click.option("--remove", "removed", multiple=True, help="Take a role away; repeat for several.")
@click.option("--set", "set_to", help="Exactly these roles, comma separated.")
@click.option("--by", default="", help=BY_HELP)
@click.option("--json", "as_json", is_flag=True)
@workspace_option
def users_roles(username, added, removed, set_to, by, as_json, ws):
    """Without USERNAME: every role, the SOP steps it records and what else it may do. With it:
    the user's roles, changed by --add, --remove or --set."""
    book = accounts.role_book(ws)
    if not username:
        if added or removed or set_to:
            raise click.UsageError("name the user whose roles change")
        _print_roles(book, as_json)
        return
    if set_to is not None and (added or removed):
        raise click.UsageError("give --set, or --add/--remove, not both")
    if added or removed or set_to is not None:
        wanted = [r.strip() for r in set_to.split(",") if r.strip()] if set_to is not None else None
        view = accounts.change_roles(ws, username, actor=_actor(by), add=added, remove=removed, set_to=wanted)
    else:
        view = accounts.user_view(ws, username)
    steps = [s.number for s in book.steps_of(view.roles)]
    if as_json:
        print_json({**view.as_json(), "steps": steps})
        return
    click.echo(_shown(view, book))
    click.echo(f"  SOP steps recorded: {', '.join(map(str, steps)) or 'none'}")


def _print_roles(book: accounts.RoleBook, as_json: bool) -> None:
    rows = []
    for key, role in book.roles.items():
        rows.append({"role": key, "name": role.name, "english": role.english, "in_sop": role.in_sop,
                     "steps": [s.number for s in book.steps_of([key])],
                     "permissions": sorted(p for p, holders in book.permissions.items() if key in holders)})
    if as_json:
        print_json(rows)
        return
    for row in rows:
        steps = ", ".join(map(str, row["steps"])) or "-"
        click.echo(f"{row['role']:<13} {row['name']:<36} steps {steps:<22} {', '.join(row['permissions'])}")


# --------------------------------------------------------------------------- API tokens


@users_group.group("token")
def token_group():
    """Per-user API tokens for the console's JSON API (Authorization: Bearer TOKEN)."""


@token_group.command("create")
@click.argument("username")
@click.option("--name", "label", default="API", show_default=True, help="What the token is for.")
@click.option("--days", type=click.IntRange(1, 3650), help="Valid for this many days (default: until revoked).")
@click.option("--by", default="", help=BY_HELP)
@workspace_option
def token_create(username, label, days, by, ws):
    """A new API token of USERNAME, printed once (only its SHA-256 is kept)."""
    view, text = accounts.create_token(ws, username, label, actor=_actor(by), days=days)
    click.echo(f"API token {view.id} ({view.name}) of {view.username}: {text}")
    click.echo("  (shown only now; send it as `Authorization: Bearer <token>`)")


@token_group.command("list")
@click.argument("username", required=False)
@click.option("--json", "as_json", is_flag=True)
@workspace_option
def token_list(username, as_json, ws):
    """The API tokens (of USERNAME): id, name, prefix, created, expires, last used, revoked."""
    views = accounts.list_tokens(ws, username)
    if as_json:
        print_json([v.as_json() for v in views])
        return
    for v in views:
        state = "revoked" if v.revoked else (f"expires {v.expires_at:%Y-%m-%d}" if v.expires_at else "no expiry")
        used = v.last_used_at.isoformat(timespec="minutes") if v.last_used_at else "never"
        click.echo(f"{v.id}: {v.username} {v.name!r} sikro_{v.prefix}_…; {state}; last used {used}")


@token_group.command("revoke")
@click.argument("token_id", type=int)
@click.option("--by", default="", help=BY_HELP)
@workspace_option
def token_revoke(token_id, by, ws):
    """Revoke API token TOKEN_ID (see `sikro users token list`)."""
    view = accounts.revoke_token(ws, token_id, actor=_actor(by))
    click.echo(f"Revoked API token {view.id} ({view.name}) of {view.username}")


COMMANDS = [users_group]
