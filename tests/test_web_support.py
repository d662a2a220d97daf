"""Helpers of the web tests (no tests here): documents in every state, tokens that are not ours, the server.

The server is `sikro serve` as a real process on a free loopback port;
documents are made in the registry as in the verification tests.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from test_verification_support import Issued, make_document

from sikro_docs import db, numbering
from sikro_docs.models import Application
from sikro_docs.verification import revoke
from sikro_docs.workspace import open_workspace

HOLDER = "Rosmawati Br. Sitanggang"
SIKRO = ["-m", "sikro_docs"]  # `sikro` as a real process
SIXTEEN_DIGITS = re.compile(r"\d{16}")
# The "checked at" time changes from minute to minute; two answers are compared without it.
CHECK_TIME = re.compile(r"<strong>[^<]*(WIB|WITA|WIT)</strong>")


@dataclass
class Papers:
    """One workspace's documents in every state a citizen may meet, and codes that are not ours."""

    root: Path
    valid: Issued
    revoked: Issued
    expired: Issued
    void: Issued
    receipt: Issued
    tampered: str
    unknown_key: str
    malformed: str = "THISISNOTATOKEN"


def tamper(token: str) -> str:
    """The token with one character of its signature changed (still well-formed Base32)."""
    at = len(token) - 20
    return token[:at] + ("A" if token[at] != "A" else "B") + token[at + 1:]


def make_papers(root: Path, new_workspace) -> Papers:
    """`new_workspace`: the conftest fixture, so that in the PostgreSQL pass the papers are on the server."""
    ws = new_workspace(root / "ws")
    valid = make_document(ws, name=HOLDER)
    revoked = make_document(ws, name="Revoked Holder")
    expired = make_document(ws, name="Expired Holder", on=dt.date(2019, 1, 10), valid_until=dt.date(2024, 1, 9))
    void = make_document(ws, name="Void Holder")
    receipt = make_document(ws, kind="receipt", numbered="none", name="Receipt Holder")
    with db.session(ws, write=True) as session:
        revoke(session, revoked.number, "Izin dicabut atas permintaan pemegang")
        numbering.void_document(session, ws, session.get(numbering.Document, void.document_id), "salah cetak")
        application = session.get(Application, session.get(numbering.Document, receipt.document_id).application_id)
        application.current_step, application.status = 6, "open"  # done: step 6; in hand: step 7
    other = new_workspace(root / "other")  # another office's key signs a code of its own
    stranger = make_document(other, name=HOLDER)
    return Papers(root=ws.root, valid=valid, revoked=revoked, expired=expired, void=void, receipt=receipt,
                  tampered=tamper(valid.token.token), unknown_key=stranger.token.token)


def all_niks(ws_root: Path) -> list[str]:
    """Every NIK in the registry: none of them may ever appear on a page."""
    with db.session(open_workspace(ws_root)) as session:
        return [nik for (nik,) in session.query(Application.nik).all()]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`sikro serve` on a free loopback port, until stop()."""

    def __init__(self, ws_root: Path, *extra: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ}
        env.pop("SIKRO_WEB_RATE_LIMIT", None)
        self.proc = subprocess.Popen(
            [sys.executable, *SIKRO, "serve", "--workspace", str(ws_root), "--port", str(self.port), *extra],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sikro serve exited: {self.proc.stderr.read()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("sikro serve did not answer /healthz in time")

    def stop(self) -> tuple[str, str]:
        """Stop the server; its stdout and stderr."""
        self.proc.terminate()
        try:
            out, err = self.proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
        return out, err


@dataclass
class TypePapers:
    """Permits of a type other than the default one: in force, DIGANTI by a renewal, DICABUT by a decree."""

    root: Path
    type_code: str
    valid: Issued
    replaced: Issued
    successor_number: str
    revoked: Issued
    revoked_reason: str


def make_type_papers(root: Path, new_workspace, type_code: str = "sipb") -> TypePapers:
    from test_verification_types import application_of, example_facts, issue_permit_of, renewal

    from sikro_docs import application_kinds, permit_types

    ws = new_workspace(root / "ws")
    # A registration-number example may hold 16 digits in a row: the page's NIK check would take it for one.
    facts = {key: re.sub(r"(\d{4})(?=\d)", r"\1.", value) if isinstance(value, str) and SIXTEEN_DIGITS.search(value)
             else value for key, value in example_facts(permit_types.get(ws, type_code)).items()}
    on = dt.date(2026, 3, 7)
    valid = make_document(ws, permit_type=type_code, facts=facts, on=on, name=HOLDER)
    replaced = make_document(ws, permit_type=type_code, facts=facts, on=on, name="Replaced Holder")
    successor = issue_permit_of(ws, application_of(ws, renewal(ws, replaced.document_id).document_id))
    revoked = make_document(ws, permit_type=type_code, facts=facts, on=on, name="Revoked Holder")
    request = renewal(ws, revoked.document_id, "pencabutan")
    reason = "pemegang izin pindah domisili ke luar daerah"
    with db.session(ws, write=True) as session:
        application = session.get(Application, session.get(numbering.Document, request.document_id).application_id)
        application.rejection_reason = reason
        decree = numbering.Document(uid=numbering.new_uid(), application_id=application.id,
                                    kind="revocation-decree", date=on, status="issued", files=[],
                                    number="TEST/SK/0001/2026")
        session.add(decree)
        session.flush()
        application_kinds.on_issued(session, decree)
    return TypePapers(ws.root, type_code, valid, replaced, successor.number, revoked, reason)
