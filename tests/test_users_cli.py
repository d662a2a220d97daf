"""`sikro users`, in-process (click's CliRunner): passwords only from a hidden prompt, standard input or
the tool itself, never the command line; one line and a documented exit code for every mistake."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from console_support import PASSWORD
from sqlalchemy import select

from sikro_docs import accounts, db
from sikro_docs.cli import cli
from sikro_docs.cli import main as sikro_main
from sikro_docs.models import Event

ONE_TIME = re.compile(r"One-time password for (\S+): ([a-z2-9]{4}(?:-[a-z2-9]{4}){3})")


def run(ws, *args, input=None):
    """`sikro ARGS --workspace WS` in this process; what a person sees: exit code, stdout, stderr."""
    result = CliRunner().invoke(cli, [*map(str, args), "--workspace", str(ws.root)], input=input,
                                standalone_mode=False, catch_exceptions=True)
    return result


def main(ws, *args):
    """`sikro.main(argv)`: the real error handling (one line on stderr, the exit code)."""
    with pytest.raises(SystemExit) as done:
        sikro_main([*map(str, args), "--workspace", str(ws.root)])
    return done.value.code


def test_add_prints_a_one_time_password_that_must_be_changed(workspace):
    result = run(workspace, "users", "add", "rina", "--name", "Rina Sitanggang", "--role", "front_office",
                 "--role", "Kabid. Pelayanan", "--by", "kepala-tu")
    assert result.exit_code == 0, result.output
    assert "Added rina: Rina Sitanggang; roles Penerima Berkas / Front Office (front_office), Kabid. Pelayanan (kabid)" \
        in result.output
    username, password = ONE_TIME.search(result.output).groups()
    signed = accounts.sign_in(workspace, username, password, "127.0.0.1")
    assert signed.who.must_change_password
    with db.session(workspace) as session:
        event = session.scalars(select(Event).where(Event.action == "account.created")).one()
    assert event.actor == "kepala-tu"


def test_add_reads_a_password_from_stdin_or_a_hidden_prompt(workspace):
    result = run(workspace, "users", "add", "budi", "--name", "Budi", "--role", "back_office", "--password-stdin",
                 "--permanent", input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output and "One-time" not in result.output
    assert not accounts.sign_in(workspace, "budi", PASSWORD, "127.0.0.1").who.must_change_password
    typed = run(workspace, "users", "add", "sari", "--name", "Sari", "--role", "kadis", "--prompt",
                input=f"{PASSWORD}\n{PASSWORD}\n")
    assert typed.exit_code == 0, typed.output
    assert PASSWORD not in typed.output  # the prompt does not echo it
    assert accounts.sign_in(workspace, "sari", PASSWORD, "127.0.0.1").who.must_change_password


def test_a_password_is_never_an_argument(workspace):
    code = main(workspace, "users", "add", "rina", "--name", "R", "--role", "kadis", "--password", PASSWORD)
    assert code == 2
    assert accounts.list_users(workspace) == []


def test_list_roles_disable_enable_unlock(workspace):
    assert run(workspace, "users", "add", "rina", "--name", "Rina", "--role", "front_office").exit_code == 0
    listed = run(workspace, "users", "list", "--json")
    data = json.loads(listed.output)
    assert [(u["username"], u["roles"], u["disabled"]) for u in data] == [("rina", ["front_office"], False)]
    changed = run(workspace, "users", "roles", "rina", "--add", "arsiparis", "--remove", "front_office")
    assert changed.exit_code == 0 and "Arsiparis (arsiparis)" in changed.output
    assert "SOP steps recorded: none" in changed.output
    set_to = run(workspace, "users", "roles", "rina", "--set", "kabid, sekretaris", "--json")
    assert json.loads(set_to.output)["steps"] == [10, 11, 18, 19]
    roles = run(workspace, "users", "roles")
    assert roles.exit_code == 0
    lines = {line.split()[0]: line for line in roles.output.splitlines()}
    assert "steps 1, 2, 3, 4, 14, 15, 22, 23" in lines["front_office"]
    assert "users.manage" in lines["admin"] and "archive.boxes" in lines["arsiparis"]
    assert run(workspace, "users", "disable", "rina").exit_code == 0
    assert "DISABLED" in run(workspace, "users", "list").output
    assert run(workspace, "users", "enable", "rina").exit_code == 0
    assert "DISABLED" not in run(workspace, "users", "list").output
    assert run(workspace, "users", "unlock", "rina").output.strip() == "Unlocked rina"


def test_passwd_sets_a_new_one_and_ends_the_sessions(workspace):
    assert run(workspace, "users", "add", "rina", "--name", "Rina", "--role", "kadis").exit_code == 0
    username, password = ONE_TIME.search(run(workspace, "users", "passwd", "rina", "--generate").output).groups()
    signed = accounts.sign_in(workspace, "rina", password, "127.0.0.1")
    result = run(workspace, "users", "passwd", "rina", "--password-stdin", input="Kata-sandi-lain-9\n")
    assert result.exit_code == 0 and "to be changed at the next sign-in" in result.output
    policy = accounts.AccountPolicy.from_profile(workspace.profile)
    assert accounts.session_user(workspace, signed.token, policy) is None
    assert accounts.sign_in(workspace, "rina", "Kata-sandi-lain-9", "127.0.0.1").who.must_change_password


def test_api_tokens_from_the_cli(workspace):
    assert run(workspace, "users", "add", "rina", "--name", "Rina", "--role", "front_office").exit_code == 0
    made = run(workspace, "users", "token", "create", "rina", "--name", "layar antrian", "--days", "30")
    assert made.exit_code == 0, made.output
    token = re.search(r"(sikro_[0-9a-f]{8}_\S+)", made.output).group(1)
    assert accounts.token_user(workspace, token).username == "rina"
    listed = json.loads(run(workspace, "users", "token", "list", "--json").output)
    assert [(t["user"], t["name"], t["revoked"]) for t in listed] == [("rina", "layar antrian", False)]
    assert token not in run(workspace, "users", "token", "list").output
    assert run(workspace, "users", "token", "revoke", str(listed[0]["id"])).exit_code == 0
    assert accounts.token_user(workspace, token) is None


@pytest.mark.parametrize("args, code, message", [
    (["users", "add", "r", "--name", "R", "--role", "kadis"], 2, '"r" cannot be a user name'),
    (["users", "add", "rina", "--name", "R", "--role", "lurah"], 2, 'no role "lurah"; the roles are front_office'),
    (["users", "disable", "nobody"], 2, 'no user "nobody"'),
    (["users", "roles", "--add", "kadis"], 2, "name the user whose roles change"),
    (["users", "token", "revoke", "99"], 2, "no API token 99"),
])
def test_mistakes_are_one_line_with_their_exit_code(workspace, capsys, args, code, message):
    assert main(workspace, *args) == code
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_the_last_admin_cannot_be_disabled(workspace, capsys):
    assert run(workspace, "users", "add", "admin1", "--name", "Admin", "--role", "admin").exit_code == 0
    assert main(workspace, "users", "disable", "admin1") == 1
    assert "is the last enabled user with the role Admin" in capsys.readouterr().err
    assert not accounts.user_view(workspace, "admin1").disabled
