"""Two-person pemusnahan: one person proposes the disposal of berkas, another approves it.

    pid = propose(ws, ["REG/..."], "retensi habis sesuai JRA", decision_number=None, by="arsip.rina")
    approve(ws, pid, by="kadis.budi", decision_number="045/BA-MUS/2026")  -> [disposal.Outcome]
    reject(ws, pid, by="kadis.budi", reason="berkas masih diperlukan")
    open_proposals(ws) -> [Proposal];  proposal(ws, pid) -> Proposal

The evidence rule: a disposal needs a second person. So `propose` checks the
berkas as the disposal itself would (retention due, final fate Musnah, not
closed; `force` overrides as in disposal.py) and records the proposal; only
`approve` by someone other than the proposer carries it out, through
disposal.carry_out, with the proposal, its proposer and its approver in every
PREMIS event of the berkas and in the office's event log. A berkas is in at
most one open proposal. Proposals, their berkas and their one decision are
append-only rows (migration 0012).

Approving records the decision first, then carries the disposal out: a crash
in between leaves an approved proposal whose `approve` can simply be run
again (disposal.carry_out reports what it already did and finishes the rest).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from .. import db
from ..errors import CodedError
from ..models import Base, Event, utcnow
from ..timestamps import UtcDateTime
from ..workspace import Workspace
from . import disposal
from .tables import Berkas

APPROVED, REJECTED, OPEN = "approved", "rejected", "open"
UNDECIDED = "(usul)"  # the decision number a proposal is checked under when it has none yet


class DisposalProposal(Base):
    __tablename__ = "disposal_proposals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposed_by: Mapped[str] = mapped_column(String(100))
    proposed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    reason: Mapped[str] = mapped_column(Text)
    decision_number: Mapped[str | None] = mapped_column(String(120))
    delete_files: Mapped[bool] = mapped_column(Boolean, default=False)
    force: Mapped[str | None] = mapped_column(Text)


class DisposalItem(Base):
    __tablename__ = "disposal_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("disposal_proposals.id"))
    berkas_number: Mapped[str] = mapped_column(String(120))
    registration_number: Mapped[str] = mapped_column(String(64))


class DisposalDecision(Base):
    __tablename__ = "disposal_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("disposal_proposals.id"), unique=True)
    verdict: Mapped[str] = mapped_column(String(20))
    by: Mapped[str] = mapped_column(String(100))
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    reason: Mapped[str | None] = mapped_column(Text)
    decision_number: Mapped[str | None] = mapped_column(String(120))


# --------------------------------------------------------------------------- errors


class ReasonRequired(CodedError):
    code = "disposal-reason-required"
    message = "{what}: give the reason (--reason), e.g. \"retensi habis sesuai JRA\""


class NothingProposed(CodedError):
    code = "disposal-nothing-proposed"
    message = "name at least one berkas to propose for disposal"


class NotDisposable(CodedError):
    code = "disposal-refused"
    message = "not proposed: {detail}"


class AlreadyProposed(CodedError):
    code = "disposal-already-proposed"
    message = "{berkas} is already in open disposal proposal {proposal}"


class ProposalNotFound(CodedError):
    code = "disposal-proposal-not-found"
    message = "no disposal proposal {proposal}"


class ProposalClosed(CodedError):
    code = "disposal-proposal-closed"
    message = "disposal proposal {proposal} was already {verdict} by {by}"


class SelfApproval(CodedError):
    code = "disposal-self-approval"
    message = ("{by} proposed disposal proposal {proposal}: pemusnahan needs a second person's approval; "
               "another person must approve it")


class DecisionNumberRequired(CodedError):
    code = "disposal-decision-number-required"
    message = ("disposal proposal {proposal} has no decision number: give it (--decision-number), the nomor of "
               "the berita acara or of the approval")


class DecisionNumberDiffers(CodedError):
    code = "disposal-decision-number-differs"
    message = "disposal proposal {proposal} was made under decision {decision_number}, not {given}"


class NameRequired(CodedError):
    code = "disposal-name-required"
    message = "say who {what} (--by)"


class NotCarriedOut(CodedError):
    code = "disposal-not-carried-out"
    message = "disposal proposal {proposal} cannot be carried out now: {detail}; nothing was written"


# --------------------------------------------------------------------------- reading


@dataclass
class Proposal:
    id: int
    proposed_by: str
    proposed_at: dt.datetime
    reason: str
    decision_number: str | None  # the proposal's, else (once approved) the approval's
    delete_files: bool
    force: str | None
    berkas: list[dict] = field(default_factory=list)  # {"berkas_number", "registration_number", "id"}
    status: str = OPEN
    decided_by: str | None = None
    decided_at: dt.datetime | None = None
    decision_reason: str | None = None

    def as_json(self) -> dict:
        return {"id": self.id, "proposed_by": self.proposed_by, "proposed_at": self.proposed_at.isoformat(),
                "reason": self.reason, "decision_number": self.decision_number, "delete_files": self.delete_files,
                "force": self.force, "berkas": self.berkas, "status": self.status, "decided_by": self.decided_by,
                "decided_at": self.decided_at.isoformat() if self.decided_at else None,
                "decision_reason": self.decision_reason}


def _proposals(session, where=None) -> list[Proposal]:
    query = select(DisposalProposal).order_by(DisposalProposal.id)
    if where is not None:
        query = query.where(where)
    rows = session.scalars(query).all()
    if not rows:
        return []
    ids = [r.id for r in rows]
    items = session.execute(select(DisposalItem.proposal_id, DisposalItem.berkas_number,
                                   DisposalItem.registration_number, Berkas.id)
                            .outerjoin(Berkas, Berkas.berkas_number == DisposalItem.berkas_number)
                            .where(DisposalItem.proposal_id.in_(ids)).order_by(DisposalItem.id)).all()
    decisions = {d.proposal_id: d for d in session.scalars(
        select(DisposalDecision).where(DisposalDecision.proposal_id.in_(ids)))}
    found = []
    for row in rows:
        decision = decisions.get(row.id)
        found.append(Proposal(
            row.id, row.proposed_by, row.proposed_at, row.reason,
            row.decision_number or (decision.decision_number if decision else None), row.delete_files, row.force,
            [{"berkas_number": b, "registration_number": r, "id": i} for p, b, r, i in items if p == row.id],
            decision.verdict if decision else OPEN, decision.by if decision else None,
            decision.at if decision else None, decision.reason if decision else None))
    return found


MAX_ID = 2**62  # beyond what the database holds: no row (and no overflow asking for it)


def proposal(ws: Workspace, proposal_id: int) -> Proposal:
    if not 0 < int(proposal_id) <= MAX_ID:
        raise ProposalNotFound(proposal=proposal_id)
    with db.session(ws) as session:
        found = _proposals(session, DisposalProposal.id == int(proposal_id))
    if not found:
        raise ProposalNotFound(proposal=proposal_id)
    return found[0]


def list_proposals(ws: Workspace, *, only_open: bool = False) -> list[Proposal]:
    with db.session(ws) as session:
        found = _proposals(session)
    return [p for p in found if p.status == OPEN] if only_open else found


def open_proposals(ws: Workspace) -> list[Proposal]:
    return list_proposals(ws, only_open=True)


def _open_item(session, berkas_numbers: list[str]) -> tuple[str, int] | None:
    """(berkas number, proposal id) of the first of `berkas_numbers` already in an open proposal."""
    decided = select(DisposalDecision.proposal_id)
    row = session.execute(select(DisposalItem.berkas_number, DisposalItem.proposal_id)
                          .where(DisposalItem.berkas_number.in_(berkas_numbers),
                                 DisposalItem.proposal_id.not_in(decided))
                          .order_by(DisposalItem.id)).first()
    return (row[0], row[1]) if row else None


# --------------------------------------------------------------------------- proposing


def _name(text: str | None) -> str:
    return " ".join(str(text or "").split())


def same_person(a: str, b: str) -> bool:
    return _name(a).casefold() == _name(b).casefold()


def _refusals(outcomes: list[disposal.Outcome]) -> str:
    return "; ".join(f"{o.label}: {o.message}" for o in outcomes if o.status == disposal.REFUSED)


def propose(ws: Workspace, berkas_refs: list[str], reason: str, decision_number: str | None = None, *,
            by: str, delete_files: bool = False, force: str | None = None) -> int:
    """Record a proposal to dispose of the berkas REFS name; its id. Refused (nothing written) when a
    berkas is not due for disposal (unless `force`, a reason), already closed, or in an open proposal."""
    reason, by, decision_number = _name(reason), _name(by), _name(decision_number) or None
    if not reason:
        raise ReasonRequired(what="propose a disposal")
    if not by:
        raise NameRequired(what="proposes the disposal")
    refs = [r for r in (str(x).strip() for x in berkas_refs) if r]
    if not refs:
        raise NothingProposed()
    outcomes = disposal.carry_out(ws, disposal.DISPOSE, refs, decision_number=decision_number or UNDECIDED,
                                  reason=reason, agent=by, force=force, delete_files=delete_files, dry_run=True)
    if any(o.status == disposal.REFUSED for o in outcomes):
        raise NotDisposable(detail=_refusals(outcomes))
    nothing = [o for o in outcomes if o.status != disposal.WOULD]
    if nothing:  # already disposed under this decision, and no electronic copy left to delete
        raise NotDisposable(detail="; ".join(f"{o.label}: {o.message}" for o in nothing))
    numbers = [o.berkas for o in outcomes]
    with db.session(ws, write=True) as session:
        taken = _open_item(session, numbers)
        if taken:
            raise AlreadyProposed(berkas=taken[0], proposal=taken[1])
        row = DisposalProposal(proposed_by=by, proposed_at=utcnow(), reason=reason, decision_number=decision_number,
                               delete_files=bool(delete_files), force=_name(force) or None if force else None)
        session.add(row)
        session.flush()
        for outcome in outcomes:
            session.add(DisposalItem(proposal_id=row.id, berkas_number=outcome.berkas,
                                     registration_number=outcome.registration_number))
        _log(session, numbers, by, "archive.disposal.proposed", proposal=row.id, reason=reason,
             decision_number=decision_number, delete_files=bool(delete_files), force=row.force)
        return row.id


def _log(session, berkas_numbers: list[str], actor: str, action: str, **details) -> None:
    """One row of the office's event log per berkas (with its application, when it has one)."""
    apps = dict(session.execute(select(Berkas.berkas_number, Berkas.application_id)
                                .where(Berkas.berkas_number.in_(berkas_numbers))).all())
    for number in berkas_numbers:
        session.add(Event(application_id=apps.get(number), actor=actor, action=action,
                          details={"berkas": number, **details}))


# --------------------------------------------------------------------------- deciding


def _decide(session, found: Proposal, verdict: str, by: str, *, reason: str | None = None,
            decision_number: str | None = None) -> None:
    session.add(DisposalDecision(proposal_id=found.id, verdict=verdict, by=by, at=utcnow(), reason=reason,
                                 decision_number=decision_number))
    try:
        session.flush()
    except IntegrityError:  # another person decided it a moment ago
        raise ProposalClosed(proposal=found.id, verdict="decided", by="another person") from None


def approve(ws: Workspace, proposal_id: int, *, by: str, decision_number: str | None = None,
            on: dt.date | None = None) -> list[disposal.Outcome]:
    """Approve proposal `proposal_id` and carry the disposal out; `by` must not be its proposer.

    The decision number is the proposal's, or `decision_number` when the proposal had none.
    Approving an approved proposal again finishes what an interrupted run left (same approver
    recorded); a rejected one is closed.
    """
    by, given = _name(by), _name(decision_number) or None
    if not by:
        raise NameRequired(what="approves the disposal")
    found = proposal(ws, proposal_id)
    if found.status == REJECTED:
        raise ProposalClosed(proposal=found.id, verdict=found.status, by=found.decided_by)
    if same_person(by, found.proposed_by):
        raise SelfApproval(by=found.proposed_by, proposal=found.id)
    if found.decision_number and given and given != found.decision_number:
        raise DecisionNumberDiffers(proposal=found.id, decision_number=found.decision_number, given=given)
    refs = [b["berkas_number"] for b in found.berkas]
    if found.status == APPROVED:
        approver, number = found.decided_by, _approved_number(ws, found)
    else:
        approver, number = by, found.decision_number or given
        if not number:
            raise DecisionNumberRequired(proposal=found.id)
        check = disposal.carry_out(ws, disposal.DISPOSE, refs, decision_number=number, reason=found.reason,
                                   agent=by, force=found.force, delete_files=found.delete_files, dry_run=True, on=on)
        if any(o.status == disposal.REFUSED for o in check):
            raise NotCarriedOut(proposal=found.id, detail=_refusals(check))
        with db.session(ws, write=True) as session:
            earlier = _decision_row(session, found.id)  # decided since it was read
            if earlier is not None:
                raise ProposalClosed(proposal=found.id, verdict=earlier.verdict, by=earlier.by)
            _decide(session, found, APPROVED, by, decision_number=number)
            _log(session, refs, by, "archive.disposal.approved", proposal=found.id, proposed_by=found.proposed_by,
                 approved_by=by, decision_number=number, reason=found.reason)
    record = {"proposal": found.id, "proposed_by": found.proposed_by, "approved_by": approver}
    return disposal.carry_out(ws, disposal.DISPOSE, refs, decision_number=number, reason=found.reason,
                              agent=approver, force=found.force, delete_files=found.delete_files, on=on,
                              record=record)


def _decision_row(session, proposal_id: int) -> DisposalDecision | None:
    return session.scalars(select(DisposalDecision).where(DisposalDecision.proposal_id == proposal_id)).first()


def _approved_number(ws: Workspace, found: Proposal) -> str:
    with db.session(ws) as session:
        return _decision_row(session, found.id).decision_number


def reject(ws: Workspace, proposal_id: int, *, by: str, reason: str) -> Proposal:
    """Reject an open proposal (its berkas may be proposed again); the reason is required.
    The proposer may withdraw their own proposal this way."""
    by, reason = _name(by), _name(reason)
    if not by:
        raise NameRequired(what="rejects the proposal")
    if not reason:
        raise ReasonRequired(what="reject a disposal proposal")
    found = proposal(ws, proposal_id)
    if found.status != OPEN:
        raise ProposalClosed(proposal=found.id, verdict=found.status, by=found.decided_by)
    with db.session(ws, write=True) as session:
        _decide(session, found, REJECTED, by, reason=reason)
        _log(session, [b["berkas_number"] for b in found.berkas], by, "archive.disposal.rejected",
             proposal=found.id, proposed_by=found.proposed_by, rejected_by=by, reason=reason)
    return proposal(ws, found.id)
