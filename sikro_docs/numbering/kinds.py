"""Document kinds (data/document_kinds.toml, read once): their titles, registers and placements."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from ..errors import SikroError


@dataclass(frozen=True)
class DocumentKind:
    key: str
    title: str
    register: str | None
    subject: str
    addressee: str
    final: bool
    applies: str = "any"
    # the application kinds (baru, perpanjangan ...) it is made for; empty: every kind
    application_kinds: tuple[str, ...] = ()
    # its number comes from the permit type's register (profile [permit_types] registers)
    type_register: bool = False
    in_place_of: str | None = None  # the kind it stands in for, for its application kinds

    def applies_to_kind(self, application_kind: str | None) -> bool:
        return not self.application_kinds or (application_kind or "baru") in self.application_kinds


KINDS_FILE = "document_kinds.toml"


@lru_cache(maxsize=1)
def document_kinds_data() -> dict:
    """`data/document_kinds.toml` as read: the ONE reading of the document kinds, for the
    numbering side (`document_kinds`) and the template side (`documents.get_kind`) alike."""
    text = resources.files("sikro_docs.data").joinpath(KINDS_FILE).read_text("utf-8")
    return tomllib.loads(text)


@lru_cache(maxsize=1)
def document_kinds() -> dict[str, DocumentKind]:
    """Every kind's numbering facts, from `data/document_kinds.toml`.

    The same table of a kind also holds its template facts (template, step, signer,
    variables ...), which `documents.get_kind` reads; this side ignores them.
    """
    return {
        key: DocumentKind(
            key=key,
            title=spec["title"],
            register=spec.get("register"),
            subject=spec.get("subject", ""),
            addressee=spec.get("addressee", ""),
            final=bool(spec.get("final", False)),
            applies=spec.get("applies", "any"),
            application_kinds=tuple(spec.get("application_kinds", ())),
            type_register=bool(spec.get("type_register", False)),
            in_place_of=spec.get("in_place_of"),
        )
        for key, spec in document_kinds_data()["kinds"].items()
    }


def document_kind(kind: str) -> DocumentKind:
    kinds = document_kinds()
    if kind not in kinds:
        raise SikroError(f"unknown document kind {kind!r}; known kinds: {', '.join(kinds)}")
    return kinds[kind]


def kind_for_application(kind: str, application_kind: str | None) -> str | None:
    """The kind made for an application of `application_kind` where the SOP says `kind`: itself
    when it is made for that kind, else the kind standing in for it (a pencabutan's revocation
    decree for its permit), else None (nothing is made)."""
    spec = document_kind(kind)
    if spec.applies_to_kind(application_kind):
        return kind
    for other in document_kinds().values():
        if other.in_place_of == kind and other.applies_to_kind(application_kind):
            return other.key
    return None


class KindNotForApplication(SikroError):
    """A document kind is not made for this kind of application (no new permit for a pencabutan)."""

    code = "kind_not_for_application"

    def __init__(self, kind: str, application_kind: str, kinds: tuple[str, ...]):
        self.kind, self.application_kind, self.kinds = kind, application_kind, kinds
        super().__init__(f"a {kind} is not made for a {application_kind} application "
                         f"(only for: {', '.join(kinds)})")
