"""The accounts' errors: each a stable code and its values (the console words them in Bahasa
Indonesia from the code, the CLI prints the English message)."""

from __future__ import annotations

from ..errors import EXIT_UNUSABLE, CodedError


class AccountError(CodedError):
    """A problem with an account, a password, a session or a token."""

    code = "account"


class BadUsername(AccountError):
    exit_code = EXIT_UNUSABLE
    code = "account.bad-username"
    message = ('"{username}" cannot be a user name: {minimum}-{maximum} characters, lower-case letters, '
               "digits, '.', '_' or '-', starting with a letter")


class UserExists(AccountError):
    code = "account.exists"
    message = 'a user "{username}" already exists'


class UnknownUser(AccountError):
    exit_code = EXIT_UNUSABLE
    code = "account.unknown"
    message = 'no user "{username}" (see `sikro users list`)'


class UnknownRole(AccountError):
    exit_code = EXIT_UNUSABLE
    code = "account.unknown-role"
    message = 'no role "{role}"; the roles are {known}'


class NoRoles(AccountError):
    exit_code = EXIT_UNUSABLE
    code = "account.no-roles"
    message = 'a user needs at least one role (the roles are {known})'


class LastAdmin(AccountError):
    code = "account.last-admin"
    message = '"{username}" is the last enabled user with the role {role}: give it to another user first'


class DisplayNameInvalid(AccountError):
    exit_code = EXIT_UNUSABLE
    code = "account.bad-name"
    message = "a user's name is 1-{maximum} printable characters"


class PasswordTooShort(AccountError):
    exit_code = EXIT_UNUSABLE
    code = "password.too-short"
    message = "a password needs at least {minimum} characters"


class PasswordTooLong(AccountError):
    exit_code = EXIT_UNUSABLE
    code = "password.too-long"
    message = "a password may have at most {maximum} characters"


class PasswordLikeUsername(AccountError):
    exit_code = EXIT_UNUSABLE
    code = "password.like-username"
    message = "a password must not contain the user name"


class PasswordTooPlain(AccountError):
    exit_code = EXIT_UNUSABLE
    code = "password.too-plain"
    message = "a password needs at least {minimum} different characters"


class PasswordsDiffer(AccountError):
    exit_code = EXIT_UNUSABLE
    code = "password.mismatch"
    message = "the two passwords typed differ"


class PasswordUnchanged(AccountError):
    exit_code = EXIT_UNUSABLE
    code = "password.unchanged"
    message = "the new password must differ from the current one"


class WrongPassword(AccountError):
    code = "password.wrong"
    message = "the current password is not right"


class LoginFailed(AccountError):
    """Unknown user, wrong password or disabled account: one answer for all three, so that
    nobody learns from it which user names exist."""

    code = "login.failed"
    message = "wrong user name or password"


class LoginLocked(AccountError):
    code = "login.locked"
    message = "too many wrong passwords for this user: try again in {minutes} minutes, or ask an admin to unlock it"


class LoginThrottled(AccountError):
    code = "login.throttled"
    message = "too many wrong passwords from this address: try again in {minutes} minutes"


class AccountTampered(AccountError):
    """The account's row differs from its chained state: changed behind the tool's back."""

    code = "account.tampered"
    message = ('the account "{username}" differs from its record in the evidence chain (changed outside sikro); '
               "it cannot sign in until an admin checks it (`sikro register verify`)")


class UnknownToken(AccountError):
    exit_code = EXIT_UNUSABLE
    code = "token.unknown"
    message = "no API token {token_id} (see `sikro users token list`)"
