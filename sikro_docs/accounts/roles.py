"""The roles an account may hold, and what each may do: one loader for `data/roles.toml`.

The roles are the SOP's staff lanes (data/sop.toml `[roles]`, all but the
applicant's) and the office's roles beyond the SOP (`data/roles.toml`:
Arsiparis, Admin). Which steps a role may record comes from the SOP data
alone (`Step.recorder`); what else it may do in the console comes from the
permissions of `data/roles.toml`. Nothing here names a step or a role.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from ..errors import SikroError
from ..workflow.sop import Sop, Step, sop_for
from .errors import UnknownRole

ROLES_FILE = "roles.toml"

# The permissions the console asks for (data/roles.toml must define each one).
VIEW_APPLICATIONS = "applications.view"
MANAGE_USERS = "users.manage"
SEE_BOXES = "archive.boxes"
UPLOAD_APPLICATIONS = "intake.upload"
MAKE_DOCUMENTS = "documents.make"
SIGN_DOCUMENTS = "documents.sign"
VIEW_REGISTERS = "registers.view"
VOID_NUMBERS = "registers.void"
RECORD_DISPATCH = "registers.dispatch"
MANAGE_ARCHIVE = "archive.manage"
APPROVE_RETENTION = "archive.approve"
VIEW_DASHBOARD = "dashboard.view"
API_TOKENS = "api.tokens"
PERMISSIONS = (VIEW_APPLICATIONS, MANAGE_USERS, SEE_BOXES, UPLOAD_APPLICATIONS, MAKE_DOCUMENTS, SIGN_DOCUMENTS,
               VIEW_REGISTERS, VOID_NUMBERS, RECORD_DISPATCH, MANAGE_ARCHIVE, APPROVE_RETENTION, VIEW_DASHBOARD,
               API_TOKENS)


@dataclass(frozen=True)
class StaffRole:
    key: str
    name: str  # as the SOP (or roles.toml) names it, in Bahasa Indonesia
    english: str
    in_sop: bool  # a lane of the SOP: it records the SOP's steps


@dataclass(frozen=True)
class RoleBook:
    """The roles of one workspace (its SOP's lanes with the office's roles) and their permissions."""

    sop: Sop
    roles: dict[str, StaffRole]
    permissions: dict[str, frozenset[str]]

    def resolve(self, text: str) -> str:
        """A role's key from its key or its name (any case); UnknownRole otherwise."""
        wanted = " ".join(str(text).split()).casefold()
        for role in self.roles.values():
            if wanted in (role.key.casefold(), role.name.casefold()):
                return role.key
        raise UnknownRole(role=text, known=", ".join(self.roles))

    def name(self, key: str, lang: str = "id") -> str:
        role = self.roles.get(key)
        if role is None:
            return key
        return role.english if lang == "en" and role.english else role.name

    def steps_of(self, roles) -> list[Step]:
        """The SOP steps any of `roles` records, in the SOP's order."""
        return self.sop.steps_recorded_by(roles)

    def may_record(self, roles, step_number: int) -> bool:
        step = self.sop.steps.get(step_number)
        return step is not None and step.recorder in set(roles)

    def may(self, roles, permission: str) -> bool:
        return bool(self.permissions[permission] & set(roles))

    def holders_of(self, permission: str) -> frozenset[str]:
        return self.permissions[permission]


@lru_cache(maxsize=1)
def _builtin() -> dict:
    text = resources.files("sikro_docs.data").joinpath(ROLES_FILE).read_text("utf-8")
    return tomllib.loads(text)


def role_book(ws) -> RoleBook:
    """The roles of `ws` (its SOP's lanes, with the workspace's sop.toml overrides) and permissions."""
    sop = sop_for(ws)
    cached = _BOOKS.get(id(sop))
    if cached is None or cached.sop is not sop:  # load_sop caches each SOP: one book per SOP object
        if len(_BOOKS) > 16:
            _BOOKS.clear()
        cached = _BOOKS[id(sop)] = _book(sop)
    return cached


_BOOKS: dict[int, RoleBook] = {}


def _book(sop: Sop) -> RoleBook:
    data = _builtin()
    roles = {key: StaffRole(key, lane.name, lane.english, True) for key, lane in sop.staff_roles().items()}
    for key, spec in data.get("roles", {}).items():
        if key in sop.roles:
            raise SikroError(f"{ROLES_FILE}: role {key!r} is already a lane of the SOP")
        roles[key] = StaffRole(key, spec["name"], spec.get("english", ""), False)
    lanes = frozenset(k for k, r in roles.items() if r.in_sop)
    permissions = {}
    for name, spec in data.get("permissions", {}).items():
        unknown = [r for r in spec.get("roles", ()) if r not in roles]
        if unknown:
            raise SikroError(f"{ROLES_FILE}: permission {name!r} names unknown roles {', '.join(unknown)}")
        permissions[name] = frozenset(spec.get("roles", ())) | (lanes if spec.get("sop_lanes") else frozenset())
    missing = [p for p in PERMISSIONS if p not in permissions]
    if missing:
        raise SikroError(f"{ROLES_FILE}: the permissions {', '.join(missing)} are not defined")
    return RoleBook(sop, roles, permissions)
