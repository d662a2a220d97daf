"""Accounts of the staff console, through the library: roles from the SOP data, Argon2 passwords,
sessions that end, lockout and throttle, API tokens, and every change an event and a chain link
that an edit of the database behind the tool's back cannot fake."""

from __future__ import annotations

import datetime as dt

import pytest
from console_support import PASSWORD, make_user
from registers_support import dump_rows
from sqlalchemy import inspect, select, text

from sikro_docs import accounts, chain, clock, db
from sikro_docs.accounts import audit
from sikro_docs.accounts.errors import (
    AccountTampered,
    BadUsername,
    LastAdmin,
    LoginFailed,
    LoginLocked,
    LoginThrottled,
    NoRoles,
    PasswordLikeUsername,
    PasswordTooPlain,
    PasswordTooShort,
    UnknownRole,
    UserExists,
    WrongPassword,
)
from sikro_docs.accounts.seal import secret_digest
from sikro_docs.errors import SikroError
from sikro_docs.models import Event
from sikro_docs.workflow import load_sop

AT = dt.datetime(2027, 8, 2, 1, 0, tzinfo=dt.UTC)


def _policy(ws):
    return accounts.AccountPolicy.from_profile(ws.profile)


def _events(ws, action: str) -> list[Event]:
    with db.session(ws) as session:
        return list(session.scalars(select(Event).where(Event.action == action).order_by(Event.id)))


# --------------------------------------------------------------------------- roles are data


def test_the_roles_are_the_sop_lanes_and_the_office_roles(workspace):
    book = accounts.role_book(workspace)
    assert list(book.roles) == ["front_office", "ksb_umum", "back_office", "tim_teknis", "kabid", "sekretaris",
                                "kadis", "arsiparis", "admin"]
    assert "pemohon" not in book.roles  # the applicant has no account
    assert book.roles["back_office"].name == "Backoffice / Ka Seksi Pelayanan II"
    assert book.resolve("Kabid. Pelayanan") == "kabid" and book.resolve(" ARSIPARIS ") == "arsiparis"
    with pytest.raises(UnknownRole) as refused:
        book.resolve("lurah")
    assert refused.value.code == "account.unknown-role" and refused.value.values["role"] == "lurah"


def test_which_role_records_a_step_comes_from_the_sop_data(workspace):
    sop, book = load_sop(), accounts.role_book(workspace)
    for step in sop.steps.values():
        recorder = step.recorded_by or step.role
        assert book.may_record([recorder], step.number)
        assert not any(book.may_record([other], step.number) for other in book.roles if other != recorder)
    # the applicant's steps are recorded at the counter, as the SOP data says (recorded_by)
    assert [s.number for s in book.steps_of(["front_office"])] == [1, 2, 3, 4, 14, 15, 22, 23]
    assert [s.number for s in book.steps_of(["kabid", "sekretaris"])] == [10, 11, 18, 19]
    assert book.steps_of(["admin", "arsiparis"]) == []
    assert book.may(["arsiparis"], accounts.SEE_BOXES) and book.may(["admin"], accounts.SEE_BOXES)
    assert not book.may(["kadis"], accounts.SEE_BOXES)
    assert book.may(["admin"], accounts.MANAGE_USERS) and not book.may(["kadis", "arsiparis"], accounts.MANAGE_USERS)
    assert book.may(["tim_teknis"], accounts.VIEW_APPLICATIONS) and not book.may(["admin"], accounts.VIEW_APPLICATIONS)


def test_an_office_moves_a_step_to_another_role_in_its_sop_toml(workspace):
    (workspace.root / "sop.toml").write_text('[steps.5]\nrole = "kabid"\n\n[steps.1]\nrecorded_by = "back_office"\n')
    book = accounts.role_book(workspace)
    assert book.may_record(["kabid"], 5) and not book.may_record(["back_office"], 5)
    assert book.may_record(["back_office"], 1) and not book.may_record(["front_office"], 1)


@pytest.mark.parametrize("override, message", [
    ('[steps.5]\nrole = "pemohon"\n', "has no accounts"),
    ('[steps.1]\nrecorded_by = "lurah"\n', "unknown recorded_by 'lurah'"),
    ('[steps.5]\ntask = "sign"\n', "may only change role, time, recorded_by"),
])
def test_a_step_nobody_could_record_is_refused_in_one_line(workspace, override, message):
    (workspace.root / "sop.toml").write_text(override)
    with pytest.raises(SikroError, match=message):
        accounts.role_book(workspace)


# --------------------------------------------------------------------------- users


def test_a_user_is_added_with_an_argon2_hash_and_several_roles(workspace):
    view = accounts.add_user(workspace, "  Rina.S ", "Rina  Sitanggang", ["front_office", "Kabid. Pelayanan"],
                             PASSWORD, actor="admin-os")
    assert (view.username, view.display_name, view.roles) == ("rina.s", "Rina Sitanggang", ("front_office", "kabid"))
    assert view.must_change_password  # a password set by someone else is a temporary one
    with db.session(workspace) as session:
        stored = session.scalar(text("SELECT password_hash FROM users"))
    dump = dump_rows(workspace)
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert PASSWORD not in dump  # the password is nowhere in the database, events and chain included
    created = _events(workspace, "account.created")
    assert [(e.actor, e.details["user"], e.details["roles"], e.application_id) for e in created] == [
        ("admin-os", "rina.s", ["front_office", "kabid"], None)]
    with pytest.raises(UserExists):
        accounts.add_user(workspace, "RINA.S", "Another", ["kadis"], PASSWORD, actor="x")


@pytest.mark.parametrize("username, roles, password, error", [
    ("ab", ["kadis"], PASSWORD, BadUsername),
    ("1rina", ["kadis"], PASSWORD, BadUsername),
    ("rina sitanggang", ["kadis"], PASSWORD, BadUsername),
    ("rina", [], PASSWORD, NoRoles),
    ("rina", ["lurah"], PASSWORD, UnknownRole),
    ("rina", ["kadis"], "short1", PasswordTooShort),
    ("rina", ["kadis"], "xx-RINA-2027-xx", PasswordLikeUsername),
    ("rina", ["kadis"], "aaaabbbbaaaabbbb", PasswordTooPlain),
])
def test_a_bad_user_is_refused_and_nothing_is_written(workspace, username, roles, password, error):
    with pytest.raises(error) as refused:
        accounts.add_user(workspace, username, "Rina", roles, password, actor="x")
    assert refused.value.code and str(refused.value)
    assert accounts.list_users(workspace) == [] and _events(workspace, "account.created") == []


def test_roles_change_and_the_last_admin_stays(workspace):
    make_user(workspace, "admin1", "admin")
    make_user(workspace, "rina", "front_office")
    view = accounts.change_roles(workspace, "rina", actor="admin1", add=["arsiparis", "kadis"], remove=["front_office"])
    assert view.roles == ("arsiparis", "kadis")
    assert accounts.change_roles(workspace, "rina", actor="admin1", set_to=["Sekretaris"]).roles == ("sekretaris",)
    with pytest.raises(NoRoles):
        accounts.change_roles(workspace, "rina", actor="admin1", remove=["sekretaris"])
    with pytest.raises(LastAdmin) as last:
        accounts.change_roles(workspace, "admin1", actor="admin1", set_to=["kadis"])
    assert last.value.values == {"username": "admin1", "role": "Admin"}
    with pytest.raises(LastAdmin):
        accounts.disable_user(workspace, "admin1", actor="admin1")
    make_user(workspace, "admin2", "admin")
    accounts.disable_user(workspace, "admin1", actor="admin2")  # another admin is left: allowed
    changes = [(e.actor, e.details["added"], e.details["removed"]) for e in _events(workspace, "account.roles")]
    assert changes == [("admin1", ["arsiparis", "kadis"], ["front_office"]),
                       ("admin1", ["sekretaris"], ["arsiparis", "kadis"])]


# --------------------------------------------------------------------------- signing in


def test_sign_in_gives_a_fresh_session_that_ends_as_it_should(workspace):
    make_user(workspace, "rina", "front_office")
    policy = _policy(workspace)
    with clock.frozen(AT):
        first = accounts.sign_in(workspace, "rina", PASSWORD, "10.0.0.5")
        assert accounts.session_user(workspace, first.token, policy).username == "rina"
        second = accounts.sign_in(workspace, "Rina", PASSWORD, "10.0.0.5", replacing=first.token)
        assert second.token != first.token
        assert accounts.session_user(workspace, first.token, policy) is None  # replaced at sign-in
    with db.session(workspace) as session:
        stored = session.scalars(select(accounts.UserSession.token_hash)).all()
    assert second.token not in stored and secret_digest(second.token) in stored  # only the hash is kept
    # idle too long, then too old
    with clock.frozen(AT + policy.session_idle - dt.timedelta(seconds=1)):
        assert accounts.session_user(workspace, second.token, policy) is not None  # and touched now
    with clock.frozen(AT + 2 * policy.session_idle - dt.timedelta(seconds=2)):
        assert accounts.session_user(workspace, second.token, policy) is not None
    with clock.frozen(AT + 3 * policy.session_idle + dt.timedelta(minutes=1)):
        assert accounts.session_user(workspace, second.token, policy) is None  # idle
    with clock.frozen(AT):
        third = accounts.sign_in(workspace, "rina", PASSWORD, "10.0.0.5")
    for minutes in range(25, 600, 25):  # kept busy, it still ends session_hours after sign-in
        with clock.frozen(AT + dt.timedelta(minutes=minutes)):
            assert accounts.session_user(workspace, third.token, policy) is not None
    with clock.frozen(AT + policy.session_max):
        assert accounts.session_user(workspace, third.token, policy) is None
    logins = _events(workspace, "account.login")
    assert [(e.actor, e.details["client"]) for e in logins] == [("rina", "10.0.0.5")] * 3


def test_a_wrong_password_an_unknown_user_and_a_disabled_one_get_one_answer(workspace):
    make_user(workspace, "rina", "front_office")
    make_user(workspace, "budi", "back_office")
    accounts.disable_user(workspace, "budi", actor="admin")
    answers = []
    for username, password in (("rina", "wrong password 1"), ("nobody", PASSWORD), ("budi", PASSWORD),
                               ("x" * 300, PASSWORD)):
        with pytest.raises(LoginFailed) as refused:
            accounts.sign_in(workspace, username, password, "10.0.0.5")
        answers.append(str(refused.value))
    assert len(set(answers)) == 1


def test_five_wrong_passwords_lock_the_name_for_a_while(workspace):
    make_user(workspace, "rina", "front_office")
    policy = _policy(workspace)
    with clock.frozen(AT):
        for _ in range(policy.lockout_after - 1):
            with pytest.raises(LoginFailed):
                accounts.sign_in(workspace, "rina", "wrong password 1", "10.0.0.5")
        with pytest.raises(LoginLocked) as locked:  # the fifth locks it, and says so
            accounts.sign_in(workspace, "rina", "wrong password 1", "10.0.0.6")
        assert locked.value.values == {"minutes": 15}
        with pytest.raises(LoginLocked):  # now even the right password is not checked
            accounts.sign_in(workspace, "rina", PASSWORD, "10.0.0.7")
        assert accounts.user_view(workspace, "rina").locked
    assert [e.details["client"] for e in _events(workspace, "account.locked")] == ["10.0.0.6"]
    with clock.frozen(AT + policy.lockout + dt.timedelta(seconds=1)):
        assert accounts.sign_in(workspace, "rina", PASSWORD, "10.0.0.5").who.username == "rina"
    with clock.frozen(AT + dt.timedelta(hours=1)):  # a success starts the count again
        with pytest.raises(LoginFailed):
            accounts.sign_in(workspace, "rina", "wrong password 1", "10.0.0.5")
        assert not accounts.user_view(workspace, "rina").locked


def test_an_admin_unlocks_and_an_unknown_name_locks_like_a_known_one(workspace):
    make_user(workspace, "rina", "front_office")
    with clock.frozen(AT):
        for username in ("rina", "ghost"):
            for _ in range(5):
                with pytest.raises((LoginFailed, LoginLocked)):
                    accounts.sign_in(workspace, username, "wrong password 1", "10.0.0.5")
            with pytest.raises(LoginLocked):
                accounts.sign_in(workspace, username, "wrong password 1", "10.0.0.5")
        accounts.unlock_user(workspace, "rina", actor="admin")
        assert accounts.sign_in(workspace, "rina", PASSWORD, "10.0.0.5").who.username == "rina"
    assert [e.actor for e in _events(workspace, "account.unlocked")] == ["admin"]


def test_many_wrong_passwords_from_one_address_throttle_it(workspace):
    make_user(workspace, "rina", "front_office")
    limit = _policy(workspace).address_failures
    with clock.frozen(AT):
        for i in range(limit):  # a different name each time: no name is locked, the address is counted
            with pytest.raises(LoginFailed):
                accounts.sign_in(workspace, f"user{i}", "wrong password 1", "203.0.113.9")
        with pytest.raises(LoginThrottled):
            accounts.sign_in(workspace, "rina", PASSWORD, "203.0.113.9")
        assert accounts.sign_in(workspace, "rina", PASSWORD, "10.0.0.5").who.username == "rina"


def test_disabling_a_user_ends_their_sessions_and_tokens(workspace):
    make_user(workspace, "rina", "front_office")
    policy = _policy(workspace)
    signed = accounts.sign_in(workspace, "rina", PASSWORD, "10.0.0.5")
    _view, token = accounts.create_token(workspace, "rina", "antrian", actor="admin")
    assert accounts.token_user(workspace, token).username == "rina"
    view = accounts.disable_user(workspace, "rina", actor="admin")
    assert view.disabled and view.sessions == 0
    assert accounts.session_user(workspace, signed.token, policy) is None
    assert accounts.token_user(workspace, token) is None
    with db.session(workspace) as session:
        reasons = session.scalars(select(accounts.UserSession.end_reason)).all()
    assert reasons == ["disabled"]
    assert _events(workspace, "account.disabled")[0].details == {"user": "rina", "sessions_ended": 1}
    accounts.enable_user(workspace, "rina", actor="admin")
    assert accounts.session_user(workspace, signed.token, policy) is None  # an ended session stays ended
    assert accounts.token_user(workspace, token).username == "rina"


def test_changing_ones_password_ends_the_other_sessions(workspace):
    make_user(workspace, "rina", "front_office", temporary=True)
    policy = _policy(workspace)
    here = accounts.sign_in(workspace, "rina", PASSWORD, "10.0.0.5")
    there = accounts.sign_in(workspace, "rina", PASSWORD, "10.0.0.6")
    assert here.who.must_change_password
    with pytest.raises(WrongPassword):
        accounts.change_own_password(workspace, here.who.user_id, "not it at all", "Baru-sekali-2027",
                                     "Baru-sekali-2027", keep=here.who.credential)
    accounts.change_own_password(workspace, here.who.user_id, PASSWORD, "Baru-sekali-2027", "Baru-sekali-2027",
                                 keep=here.who.credential)
    assert accounts.session_user(workspace, there.token, policy) is None
    kept = accounts.session_user(workspace, here.token, policy)
    assert kept is not None and not kept.must_change_password
    with pytest.raises(LoginFailed):
        accounts.sign_in(workspace, "rina", PASSWORD, "10.0.0.5")
    assert accounts.sign_in(workspace, "rina", "Baru-sekali-2027", "10.0.0.5")


# --------------------------------------------------------------------------- tokens


def test_api_tokens_are_shown_once_kept_hashed_and_revocable(workspace):
    make_user(workspace, "rina", "front_office")
    with clock.frozen(AT):
        view, token = accounts.create_token(workspace, "rina", "layar antrian", actor="admin", days=30)
    assert token.startswith(f"sikro_{view.prefix}_") and len(token) > 40
    dump = dump_rows(workspace)
    assert token not in dump and secret_digest(token) in dump
    with clock.frozen(AT + dt.timedelta(days=29)):
        assert accounts.token_user(workspace, token).via == "token"
    with clock.frozen(AT + dt.timedelta(days=30)):
        assert accounts.token_user(workspace, token) is None  # expired
    accounts.revoke_token(workspace, view.id, actor="admin")
    with clock.frozen(AT + dt.timedelta(days=1)):
        assert accounts.token_user(workspace, token) is None
    assert accounts.token_user(workspace, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert [v.revoked for v in accounts.list_tokens(workspace, "rina")] == [True]
    assert [e.action for e in _events(workspace, "account.token-created")] == ["account.token-created"]


# --------------------------------------------------------------------------- evidence


def test_every_account_change_is_chained_and_verifies(workspace):
    make_user(workspace, "admin1", "admin")
    make_user(workspace, "rina", "front_office")
    accounts.change_roles(workspace, "rina", actor="admin1", add=["kadis"])
    accounts.set_password(workspace, "rina", "Kata-sandi-baru-1", actor="admin1")
    accounts.disable_user(workspace, "rina", actor="admin1")
    with db.session(workspace) as session:
        assert chain.verify(session, workspace) == []
        links = chain.latest(session, audit.ACCOUNT_STREAM)
        rows = session.scalars(select(chain.ChainRow).where(chain.ChainRow.stream == audit.ACCOUNT_STREAM)).all()
    assert [r.subject for r in rows] == ["admin1", "rina", "rina", "rina", "rina"]  # nothing adopted: no baseline
    assert links["rina"]["roles"] == ["front_office", "kadis"] and links["rina"]["disabled"] is True
    assert "Kata-sandi-baru-1" not in str(links) and "$argon2" not in str(links)


def test_an_account_edited_in_the_database_is_reported_and_cannot_sign_in(workspace):
    make_user(workspace, "rina", "front_office")
    make_user(workspace, "budi", "back_office")
    accounts.sign_in(workspace, "rina", PASSWORD, "10.0.0.5")
    budi = accounts.sign_in(workspace, "budi", PASSWORD, "10.0.0.5")
    with db.session(workspace, write=True) as session:  # an insider gives herself the admin role
        session.execute(text("INSERT INTO user_roles (user_id, role) SELECT id, 'admin' FROM users WHERE username='rina'"))
        # ... and gives budi's account her own password hash
        session.execute(text("UPDATE users SET password_hash = (SELECT password_hash FROM users WHERE username='rina') "
                             "WHERE username='budi'"))
    with db.session(workspace) as session:
        problems = chain.verify(session, workspace)
    assert any(p.startswith("account rina: roles in database") for p in problems), problems
    assert any(p.startswith("account budi: password in database") for p in problems), problems
    with pytest.raises(AccountTampered) as refused:
        accounts.sign_in(workspace, "rina", PASSWORD, "10.0.0.5")
    assert refused.value.code == "account.tampered"
    assert accounts.session_user(workspace, budi.token, _policy(workspace)) is None  # her session stops too
    assert accounts.token_user(workspace, None) is None
    assert _events(workspace, "account.login-refused")[0].details["user"] == "rina"


def test_a_session_or_token_inserted_by_hand_is_not_accepted(workspace):
    make_user(workspace, "rina", "kadis")
    with db.session(workspace, write=True) as session:
        session.execute(text(
            "INSERT INTO user_sessions (token_hash, user_id, created_at, last_seen_at, expires_at, client, seal) "
            "SELECT :h, id, :now, :now, :later, 'x', :seal FROM users"),
            {"h": secret_digest("forged-session"), "now": clock.utcnow(), "seal": "0" * 64,
             "later": clock.utcnow() + dt.timedelta(hours=1)})
        session.execute(text(
            "INSERT INTO api_tokens (user_id, name, prefix, token_hash, created_at, seal) "
            "SELECT id, 'x', 'abcd', :h, :now, :seal FROM users"),
            {"h": secret_digest("sikro_abcd_forged"), "now": clock.utcnow(), "seal": "0" * 64})
    assert accounts.session_user(workspace, "forged-session", _policy(workspace)) is None
    assert accounts.token_user(workspace, "sikro_abcd_forged") is None


def test_the_migration_goes_down_and_up_again(workspace):
    from alembic import command

    from sikro_docs.db import _alembic_config

    make_user(workspace, "rina", "kadis")
    config = _alembic_config(workspace)
    command.downgrade(config, "0008_permit_types")
    with db.engine_for(workspace).connect() as conn:
        tables = set(inspect(conn).get_table_names())
    assert not tables & {"users", "user_roles", "user_sessions", "api_tokens", "login_failures"}
    assert "chain_log" in tables and "events" in tables  # the evidence stays
    command.upgrade(config, "head")
    assert accounts.list_users(workspace) == []
    with db.session(workspace) as session:  # the chain remembers the account the downgrade dropped
        assert chain.verify(session, workspace) == ["account rina: in the chain but missing from the database (deleted)"]
