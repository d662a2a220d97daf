"""Two-person pemusnahan: propose, approve (never by the proposer), reject; and `sikro archive dispose
propose|approve|reject|list` in-process.

Berkas are real bags (a note filed into the berkas of an issued permit, as `sikro archive add`
files it); the office's clock is frozen so that retention is due (or not) whatever the host says.
After a disposal the bags, the archive's audit and the registers' verification still hold.
"""

from __future__ import annotations

import datetime as dt

import pytest
from archive_support import assert_all_bags_valid, assert_index_matches_bags, make_permit, run_here
from registers_support import database_errors, sql
from sqlalchemy import select

from sikro_docs import clock, db, numbering
from sikro_docs.archive import audit, file_by_ref, proposals
from sikro_docs.archive.tables import ArchiveEvent
from sikro_docs.errors import SikroError
from sikro_docs.models import Event
from sikro_docs.workspace import open_workspace

NOW = "2026-06-15T10:00:00+07:00"
MUSNAH = "000.5.2"  # JRA: 2 + 3 years, final fate Musnah


def musnah_workspace(ws):
    """The workspace, reopened with new berkas filed under a classification whose final fate is Musnah."""
    lines = ws.profile_path.read_text("utf-8").splitlines()
    if "[archive]" not in lines:
        lines += ["", "[archive]"]
    lines.insert(lines.index("[archive]") + 1, f'classification = "{MUSNAH}"')
    ws.profile_path.write_text("\n".join(lines) + "\n", "utf-8")
    return open_workspace(ws.root)


def berkas(ws, tmp_path, *, on: dt.date, name: str) -> str:
    """A berkas holding one note dated `on`; its registration number."""
    permit = make_permit(ws, name=name, workplace=f"Optik {name[:5]}", on=on)
    note = tmp_path / f"catatan-{permit.registration_number.replace('/', '-')}.txt"
    note.write_text(f"Catatan berkas {name}\n", "utf-8")
    assert file_by_ref(ws, note, permit.registration_number, kind="catatan").ok
    return permit.registration_number


@pytest.fixture
def due(workspace, tmp_path):
    """Two berkas due for disposal (2019) and one not yet due (this year)."""
    workspace = musnah_workspace(workspace)
    with clock.frozen(NOW):
        regs = {"a": berkas(workspace, tmp_path, on=dt.date(2019, 3, 7), name="Dewi Lubis"),
                "b": berkas(workspace, tmp_path, on=dt.date(2019, 4, 1), name="Hotman Simanjuntak"),
                "young": berkas(workspace, tmp_path, on=dt.date(2026, 6, 1), name="Sondang Hutapea")}
    with clock.frozen(NOW):
        yield workspace, regs


def _stage(ws, registration: str) -> str:
    [(stage,)] = sql(ws, "select stage from archive_berkas where registration_number = ?", (registration,))
    return stage


def _deaccessions(ws) -> list[ArchiveEvent]:
    with db.session(ws) as session:
        return list(session.scalars(select(ArchiveEvent).where(ArchiveEvent.type == "deaccession")))


def _log(ws, action: str) -> list[Event]:
    with db.session(ws) as session:
        return list(session.scalars(select(Event).where(Event.action == action).order_by(Event.id)))


def test_propose_then_another_person_approves_and_the_disposal_is_carried_out(due):
    ws, regs = due
    pid = proposals.propose(ws, [regs["a"], regs["b"]], "retensi habis sesuai JRA", by="arsip.rina")
    found = proposals.proposal(ws, pid)
    assert found.status == proposals.OPEN and [b["registration_number"] for b in found.berkas] == [regs["a"], regs["b"]]
    assert _stage(ws, regs["a"]) == "aktif" and not _deaccessions(ws)  # a proposal disposes of nothing
    assert [p.id for p in proposals.open_proposals(ws)] == [pid]

    outcomes = proposals.approve(ws, pid, by="kadis.budi", decision_number="045/BA-MUS/2026")
    assert [o.status for o in outcomes] == ["done", "done"]
    assert _stage(ws, regs["a"]) == _stage(ws, regs["b"]) == "musnah"
    events = _deaccessions(ws)
    assert {e.agent for e in events} == {"kadis.budi"}
    assert all((e.detail["proposed_by"], e.detail["approved_by"], e.detail["proposal"])
               == ("arsip.rina", "kadis.budi", pid) for e in events)
    assert all(e.detail["decision_number"] == "045/BA-MUS/2026" for e in events)
    # the office's event log: who proposed, who approved, per berkas (with its application)
    proposed, approved = _log(ws, "archive.disposal.proposed"), _log(ws, "archive.disposal.approved")
    assert [e.actor for e in proposed] == ["arsip.rina"] * 2 and [e.actor for e in approved] == ["kadis.budi"] * 2
    assert all(e.details["proposed_by"] == "arsip.rina" and e.details["approved_by"] == "kadis.budi"
               for e in approved)
    assert all(e.application_id is not None for e in proposed + approved)
    decided = proposals.proposal(ws, pid)
    assert (decided.status, decided.decided_by) == (proposals.APPROVED, "kadis.budi")
    assert proposals.open_proposals(ws) == []

    # the evidence still holds: the bags, the index, the archive's audit, the registers
    assert_all_bags_valid(ws)
    assert_index_matches_bags(ws)
    assert audit(ws).intact
    with db.session(ws, write=True) as session:
        assert numbering.verify_registers(session, ws) == []


def test_the_proposer_cannot_approve_their_own_proposal(due):
    ws, regs = due
    pid = proposals.propose(ws, [regs["a"]], "retensi habis", "045/BA-MUS/2026", by="arsip.rina")
    for same in ("arsip.rina", "  Arsip.Rina "):
        with pytest.raises(proposals.SelfApproval) as refused:
            proposals.approve(ws, pid, by=same)
        assert refused.value.code == "disposal-self-approval" and refused.value.values["by"] == "arsip.rina"
    assert _stage(ws, regs["a"]) == "aktif" and not _deaccessions(ws)
    assert proposals.proposal(ws, pid).status == proposals.OPEN and not _log(ws, "archive.disposal.approved")


def test_only_berkas_due_for_disposal_may_be_proposed_and_the_reason_is_required(due):
    ws, regs = due
    with pytest.raises(proposals.NotDisposable) as refused:
        proposals.propose(ws, [regs["a"], regs["young"]], "retensi habis", by="arsip.rina")
    assert refused.value.code == "disposal-refused" and regs["young"] in str(refused.value)
    assert "retention is not yet due" in str(refused.value) and regs["a"] not in str(refused.value)
    with pytest.raises(proposals.NotDisposable):
        proposals.propose(ws, ["REG/99999/SIKRO/2019"], "retensi habis", by="arsip.rina")
    with pytest.raises(proposals.ReasonRequired):
        proposals.propose(ws, [regs["a"]], "   ", by="arsip.rina")
    with pytest.raises(proposals.NothingProposed):
        proposals.propose(ws, [" "], "retensi habis", by="arsip.rina")
    assert proposals.list_proposals(ws) == [] and not _log(ws, "archive.disposal.proposed")
    # the emergency override of disposal.py: with a recorded reason
    pid = proposals.propose(ws, [regs["young"]], "rusak", by="arsip.rina", force="terendam banjir 3/2026")
    proposals.approve(ws, pid, by="kadis.budi", decision_number="7/BA")
    [event] = _deaccessions(ws)
    assert event.detail["forced"]["reason"] == "terendam banjir 3/2026"


def test_a_berkas_is_in_only_one_open_proposal(due):
    ws, regs = due
    first = proposals.propose(ws, [regs["a"]], "retensi habis", by="arsip.rina")
    with pytest.raises(proposals.AlreadyProposed) as refused:
        proposals.propose(ws, [regs["b"], regs["a"]], "retensi habis", by="arsip.tono")
    assert refused.value.values["proposal"] == first and refused.value.code == "disposal-already-proposed"
    assert [p.id for p in proposals.list_proposals(ws)] == [first]
    # once rejected, the berkas may be proposed again
    rejected = proposals.reject(ws, first, by="kadis.budi", reason="masih diperlukan untuk pemeriksaan")
    assert (rejected.status, rejected.decided_by, rejected.decision_reason) == (
        proposals.REJECTED, "kadis.budi", "masih diperlukan untuk pemeriksaan")
    assert [e.actor for e in _log(ws, "archive.disposal.rejected")] == ["kadis.budi"]
    second = proposals.propose(ws, [regs["b"], regs["a"]], "retensi habis", by="arsip.tono")
    assert second != first


def test_reject_and_approve_close_a_proposal_for_good(due):
    ws, regs = due
    pid = proposals.propose(ws, [regs["a"]], "retensi habis", by="arsip.rina")
    with pytest.raises(proposals.ReasonRequired):
        proposals.reject(ws, pid, by="kadis.budi", reason=" ")
    with pytest.raises(proposals.DecisionNumberRequired):
        proposals.approve(ws, pid, by="kadis.budi")  # no number on the proposal, none given
    assert proposals.proposal(ws, pid).status == proposals.OPEN
    proposals.reject(ws, pid, by="kadis.budi", reason="belum ada berita acara")
    with pytest.raises(proposals.ProposalClosed):
        proposals.approve(ws, pid, by="kadis.budi", decision_number="1/BA")
    with pytest.raises(proposals.ProposalClosed):
        proposals.reject(ws, pid, by="kadis.budi", reason="lagi")
    with pytest.raises(proposals.ProposalNotFound):
        proposals.approve(ws, 999, by="kadis.budi")
    assert _stage(ws, regs["a"]) == "aktif"
    # approving again an approved proposal changes nothing more (it finishes what a crash left)
    other = proposals.propose(ws, [regs["b"]], "retensi habis", "2/BA", by="arsip.rina")
    proposals.approve(ws, other, by="kadis.budi")
    again = proposals.approve(ws, other, by="kadis.lain")
    assert [o.status for o in again] == ["already"] and len(_deaccessions(ws)) == 1
    assert _deaccessions(ws)[0].agent == "kadis.budi"
    with pytest.raises(proposals.DecisionNumberDiffers):
        proposals.approve(ws, other, by="kadis.budi", decision_number="3/BA")


def test_the_tables_are_append_only(due):
    ws, regs = due
    pid = proposals.propose(ws, [regs["a"]], "retensi habis", by="arsip.rina")
    proposals.reject(ws, pid, by="kadis.budi", reason="tidak")
    for statement in ("update disposal_proposals set proposed_by = 'x'", "delete from disposal_items",
                      "delete from disposal_decisions", "update disposal_decisions set verdict = 'approved'"):
        with pytest.raises(database_errors(), match="append-only"):
            sql(ws, statement)
    assert proposals.proposal(ws, pid).status == proposals.REJECTED


# --------------------------------------------------------------------------- the CLI, in-process


def sikro(*args):
    return run_here(*args, at=NOW)


def test_the_cli_proposes_lists_refuses_self_approval_and_approves(due, ws_args):
    ws, regs = due
    proposed = sikro("archive", "dispose", "propose", regs["a"], "--reason", "retensi habis sesuai JRA",
                     "--by", "Petugas Arsip", *ws_args)
    assert proposed.code == 0, proposed.err
    assert proposed.out.startswith("proposed disposal 1: 1 berkas, by Petugas Arsip")
    assert "sikro archive dispose approve 1" in proposed.out
    listed = sikro("archive", "dispose", "list", *ws_args)
    assert listed.code == 0 and "open" in listed.out and regs["a"] in listed.out and "Petugas Arsip" in listed.out
    assert sikro("archive", "dispose", "list", "--json", *ws_args).json()["proposals"][0]["id"] == 1
    twice = sikro("archive", "dispose", "propose", regs["a"], "--reason", "x", "--by", "Lain", *ws_args)
    assert twice.code == 1 and "already in open disposal proposal 1" in twice.err
    own = sikro("archive", "dispose", "approve", "1", "--by", "Petugas Arsip", "--decision-number", "9/BA", *ws_args)
    assert own.code == 1 and len(own.err.strip().splitlines()) == 1 and "second person" in own.err
    no_number = sikro("archive", "dispose", "approve", "1", "--by", "Kepala Dinas", *ws_args)
    assert no_number.code == 1 and "--decision-number" in no_number.err
    assert _stage(ws, regs["a"]) == "aktif"
    approved = sikro("archive", "dispose", "approve", "1", "--by", "Kepala Dinas", "--decision-number", "9/BA",
                     *ws_args)
    assert approved.code == 0 and approved.out.startswith("done") and "disposed (musnah) under 9/BA" in approved.out
    assert _stage(ws, regs["a"]) == "musnah"
    [event] = _deaccessions(ws)
    assert (event.agent, event.detail["proposed_by"]) == ("Kepala Dinas", "Petugas Arsip")
    assert sikro("archive", "dispose", "list", *ws_args).out.strip() == "no open disposal proposal"
    everything = sikro("archive", "dispose", "list", "--all", *ws_args)
    assert "approved by Kepala Dinas" in everything.out
    assert sikro("archive", "audit", *ws_args).code == 0
    assert sikro("register", "verify", *ws_args).code == 0


def test_the_cli_rejects_and_defaults_to_the_login_name(due, ws_args):
    ws, regs = due
    from sikro_docs.archive.disposal import default_agent

    proposed = sikro("archive", "dispose", "propose", regs["b"], "--reason", "retensi habis", "--json", *ws_args)
    assert proposed.code == 0 and proposed.json()["proposed_by"] == default_agent()
    own = sikro("archive", "dispose", "approve", "1", "--decision-number", "1/BA", *ws_args)  # the same login
    assert own.code == 1 and "second person" in own.err
    rejected = sikro("archive", "dispose", "reject", "1", "--reason", "belum disetujui", "--by", "Kepala Dinas",
                     *ws_args)
    assert rejected.code == 0 and "rejected disposal proposal 1 by Kepala Dinas" in rejected.out
    gone = sikro("archive", "dispose", "approve", "1", "--by", "Kepala Dinas", *ws_args)
    assert gone.code == 1 and "already rejected" in gone.err
    assert _stage(ws, regs["b"]) == "aktif"
    with pytest.raises(SikroError):
        proposals.approve(ws, 1, by="x", decision_number="1")
