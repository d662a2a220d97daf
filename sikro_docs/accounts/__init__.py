"""Accounts of the staff console: users, their roles, passwords, sessions and API tokens.

Public API:
    role_book(ws) -> RoleBook                      the roles (the SOP's staff lanes + data/roles.toml) and
                                                   what each may do; which steps a role records: the SOP's
    add_user(ws, username, name, roles, password, actor=, temporary=True) -> UserView
    list_users(ws) / user_view(ws, username)
    change_roles(ws, username, actor=, add=, remove=, set_to=)
    disable_user / enable_user / unlock_user(ws, username, actor=)
    set_password(ws, username, password, actor=, temporary=True)
    change_own_password(ws, user_id, current, new, repeated, keep=)
    sign_in(ws, username, password, client, replacing=) -> Signed(who, token)
    session_user(ws, token, policy) -> SignedIn | None
    end_session(ws, token, reason) / rotate_session(ws, token, client, policy)
    create_token / list_tokens / revoke_token / token_user
    AccountPolicy.from_profile(profile)            [limits.console]: sessions, lockout, passwords
    one_time_password()                            a password to hand over once

Every change is an event with its actor and a link of the evidence chain's
`account` stream (audit.py); errors are AccountError (a code and its values).
"""

from .audit import ACCOUNT_STREAM, account_state, state_is_chained
from .errors import AccountError
from .models import ApiToken, LoginFailure, User, UserRole, UserSession
from .passwords import one_time_password
from .policy import AccountPolicy
from .roles import MANAGE_USERS, SEE_BOXES, VIEW_APPLICATIONS, RoleBook, StaffRole, role_book
from .sessions import SignedIn, end_session, rotate_session, session_user
from .signin import Signed, sign_in
from .tokens import TokenView, create_token, list_tokens, revoke_token, token_user
from .users import (
    UserView,
    add_user,
    any_users,
    change_own_password,
    change_roles,
    disable_user,
    enable_user,
    end_all_sessions,
    list_users,
    set_password,
    unlock_user,
    user_view,
)

__all__ = [
    "ACCOUNT_STREAM", "MANAGE_USERS", "SEE_BOXES", "VIEW_APPLICATIONS",
    "AccountError", "AccountPolicy", "ApiToken", "LoginFailure", "RoleBook", "Signed", "SignedIn", "StaffRole",
    "TokenView", "User", "UserRole", "UserSession", "UserView",
    "account_state", "add_user", "any_users", "change_own_password", "change_roles", "create_token",
    "disable_user", "enable_user", "end_all_sessions", "end_session", "list_tokens", "list_users",
    "one_time_password", "revoke_token", "role_book", "rotate_session", "session_user", "set_password",
    "sign_in", "state_is_chained", "token_user", "unlock_user", "user_view",
]
