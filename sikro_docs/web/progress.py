"""Where an application stands, for the progress page the receipt's QR code opens.

The SOP comes from `sikro_docs.workflow` (data/sop.toml plus the
workspace's override). If it cannot be loaded the page still answers,
with the bare step number: a citizen checking a receipt must never get an
error because an office setting is broken.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Application
from ..numbering import Document

log = logging.getLogger("sikro.web")


@dataclass(frozen=True)
class StepView:
    number: int | None  # None: not yet at any SOP step
    activity: str | None = None
    role_name: str | None = None
    role_english: str | None = None
    standard_days: float = 0
    standard_minutes: float = 0
    standard_text: str | None = None  # as the SOP writes it: "1 Jam"


@dataclass(frozen=True)
class ProgressView:
    registration_number: str
    name: str
    application_date: object
    status: str
    step: StepView


class SopGuide:
    """The SOP loaded once; `step_view(application)` says which step is in hand and who holds it."""

    def __init__(self, ws):
        self.sop = None
        self._following = None
        try:
            from ..workflow import sop_for
            from ..workflow.steps import following_step

            self.sop, self._following = sop_for(ws), following_step
        except Exception:  # noqa: BLE001 — any failure means: show step numbers only
            log.warning("SOP not available; the progress page shows step numbers only", exc_info=True)

    def step_in_hand(self, current_step: int, status: str) -> int | None:
        """The step the file waits for now: the one after the last step done (None when finished)."""
        if not current_step:
            return self.sop.start.number if self.sop else None
        if self.sop is None:
            return current_step
        try:
            return self._following(self.sop, current_step, status)
        except Exception:  # noqa: BLE001 — a step the SOP no longer has: show the number we know
            return current_step

    def step_view(self, current_step: int, status: str) -> StepView:
        number = self.step_in_hand(current_step, status)
        if number is None:  # finished: show the last step done
            number = current_step
        step = self.sop.steps.get(number) if self.sop and number else None
        if step is None:
            return StepView(number=number or None)
        role = self.sop.roles.get(step.role)
        return StepView(number=number, activity=step.activity, role_name=self.sop.role_name(step.role),
                        role_english=role.english if role else None, standard_days=step.time.days,
                        standard_minutes=step.time.minutes, standard_text=step.time.text)


def progress_of(session: Session, guide: SopGuide, document_uid: str) -> ProgressView | None:
    """The progress of the application a receipt belongs to; only what the page may show (no NIK)."""
    document = session.scalars(select(Document).where(Document.uid == document_uid)).first()
    application = session.get(Application, document.application_id) if document and document.application_id else None
    if application is None:
        return None
    return ProgressView(registration_number=application.registration_number, name=application.name,
                        application_date=application.application_date, status=application.status,
                        step=guide.step_view(application.current_step, application.status))
