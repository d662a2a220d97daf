"""What issuing an application's final document does, by its application kind's `effect`.

The kinds (baru, perpanjangan, perubahan, pencabutan) and the effect each has are data
(sikro_docs/data/permit-types/common.toml); the effects are providers registered here by name:

    new      nothing beyond the new permit itself
    replace  the renewal's or change's permit, once issued, makes the previous permit DIGANTI
    revoke   the Surat Keputusan Pencabutan, once issued, makes the previous permit DICABUT

Both are final: a permit replaced or revoked stays so (a second replace is refused).
`on_issued` is called once per issued document, in the transaction that issues it.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import permit_types
from .errors import SikroError
from .models import Application, Event
from .numbering import Document

# The document kinds whose issue carries out an effect.
PERMIT_KIND = "permit"
REVOCATION_KIND = "revocation-decree"

Effect = Callable[[Session, Document, Application, str], None]
EFFECTS: dict[str, Effect] = {}


class UnknownEffect(SikroError):
    """An application kind's data names an effect no provider is registered for."""

    code = "unknown-effect"

    def __init__(self, kind: str, effect_name: str):
        self.kind, self.effect = kind, effect_name
        super().__init__(f'application kind "{kind}" has effect "{effect_name}", which is not one of '
                         f'{", ".join(sorted(EFFECTS))} (data/permit-types/common.toml)')


def effect(name: str) -> Callable[[Effect], Effect]:
    """Register the provider of the effect `name`."""
    def register(provider: Effect) -> Effect:
        EFFECTS[name] = provider
        return provider
    return register


def on_issued(session: Session, document: Document, actor: str = "sikro") -> None:
    """Carry out the effect of the application kind of `document`'s application, if it has one."""
    application = session.get(Application, document.application_id) if document.application_id else None
    if application is None:
        return
    kind = permit_types.application_kind(application.application_kind)
    provider = EFFECTS.get(kind.effect)
    if provider is None:
        raise UnknownEffect(kind.code, kind.effect)
    provider(session, document, application, actor)


def previous_permit(session: Session, application: Application) -> Document | None:
    """The permit the application is about: the registry's document, else the one numbered as typed in."""
    if application.previous_document_id is not None:
        return session.get(Document, application.previous_document_id)
    if not application.previous_number:
        return None
    return session.scalars(select(Document).where(Document.number == application.previous_number,
                                                  Document.kind == PERMIT_KIND)
                           .order_by(Document.id.desc())).first()


def _unknown_previous(session: Session, document: Document, application: Application, actor: str) -> None:
    """A permit issued before the office used the toolkit: nothing to mark, the number is recorded."""
    session.add(Event(application_id=application.id, actor=actor, action="document.previous-unknown",
                      details={"uid": document.uid, "number": document.number,
                               "previous_number": application.previous_number,
                               "previous_date": application.previous_date.isoformat()
                               if application.previous_date else None}))


def _still_issued(session: Session, document: Document, previous: Document, actor: str) -> bool:
    """False, with the refusal logged, when the previous permit is already DIGANTI, DICABUT or void.

    The new document is issued anyway (its number is used, its PDF made): refusing here would
    roll back every document of the batch; such an application is better refused at import.
    """
    if previous.status == "issued":
        return True
    session.add(Event(application_id=document.application_id, actor=actor, action="document.effect-refused",
                      details={"uid": document.uid, "number": document.number, "previous": previous.number,
                               "previous_status": previous.status}))
    return False


@effect("new")
def _new(session: Session, document: Document, application: Application, actor: str) -> None:
    return None


@effect("replace")
def _replace(session: Session, document: Document, application: Application, actor: str) -> None:
    if document.kind != PERMIT_KIND:
        return
    from .verification.verdict import replace

    previous = previous_permit(session, application)
    if previous is None:
        _unknown_previous(session, document, application, actor)
        return
    if not _still_issued(session, document, previous, actor):
        return
    replace(session, previous, document, actor=actor)


@effect("revoke")
def _revoke(session: Session, document: Document, application: Application, actor: str) -> None:
    if document.kind != REVOCATION_KIND:
        return
    from .verification.verdict import revoke_document

    previous = previous_permit(session, application)
    if previous is None:
        _unknown_previous(session, document, application, actor)
        return
    if not _still_issued(session, document, previous, actor):
        return
    reason = (application.rejection_reason or "").strip() or (
        f"dicabut dengan Surat Keputusan Nomor {document.number} atas permohonan {application.registration_number}")
    revoke_document(session, previous, reason, actor=actor, decree=document.number, decree_uid=document.uid)
