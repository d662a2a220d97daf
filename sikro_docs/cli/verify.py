"""Commands of verification: `sikro verify`, `sikro revoke`, `sikro keys rotate|export`.

`verify` exits 0 only for a valid document, 1 for every other verdict,
2 when the input cannot be read (no QR code, corrupt file).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .. import clock, db
from .. import key_status as ks
from ..errors import EXIT_OK, EXIT_PROBLEMS
from ..fsutil import atomic_write_bytes
from ..verification import (
    Verdict,
    export_public_keys,
    load_keys_file,
    load_public_keys,
    revoke,
    verify_input,
)
from ..workspace import open_workspace
from . import print_json, workspace_option

HEADLINES = {
    "valid": "VALID", "revoked": "REVOKED (DICABUT)", "expired": "EXPIRED", "void": "VOID",
    "replaced": "DIGANTI",
    "invalid": "INVALID", "unknown-key": "NOT GENUINE (unknown key)", "not-found": "NOT FOUND",
}


@click.command("verify")
@click.argument("input_", metavar="INPUT")
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as JSON.")
@click.option("--offline", is_flag=True, help="Check the signature only, not the current status in the registry.")
@click.option("--keys", "keys_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Public keys from `sikro keys export` (offline verifier; no workspace needed).")
@click.option("--trust", "trust", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CA certificate (PEM) trusted for PDF signatures (repeatable; adds to the profile's).")
@click.option("--workspace", "workspace_dir", metavar="DIR",
              help="Workspace folder (default: $SIKRO_WORKSPACE, else the current folder).")
def verify_cmd(input_, as_json, offline, keys_file, trust, workspace_dir):
    """Check a document: INPUT is its QR text or URL, its short code, an image or a PDF (a scan will do).

    A signed PDF's electronic signature (PAdES) is checked too, and online a
    PDF must be the very file the office issued (its SHA-256 is in the
    registry) with, when it was issued signed, its signature intact and
    trusted; a scan or photo is judged by its code alone.
    Exit 0 valid; 1 revoked, expired, void, not found, forged or altered
    (also: a signature that is not intact, a PDF that is not the issued
    file, a key that was revoked); 2 the input cannot be read.
    """
    keys = load_keys_file(keys_file) if keys_file else None
    ws = None if keys is not None else open_workspace(workspace_dir)
    verdict = verify_input(ws, input_, online=not offline, keys=keys)
    signature = _pdf_signature(ws, input_, trust)
    intact = signature is None or signature["intact"]
    file_check = _issued_file_check(ws, input_, verdict, signature) if ws is not None and not offline else None
    if file_check is not None and not file_check.ok and verdict.valid:
        verdict.status, verdict.reason = "invalid", file_check.message  # the code is genuine, the file is not
    extra = {**({"signature": signature} if signature else {}),
             **({"file": file_check.as_json()} if file_check else {})}
    if as_json:
        print_json({**_json(verdict), **extra})
    else:
        for line in describe(verdict) + _signature_lines(signature) + _file_lines(file_check):
            click.echo(line)
    sys.exit(EXIT_OK if verdict.valid and intact else EXIT_PROBLEMS)


def _issued_file_check(ws, input_: str, verdict: Verdict, signature: dict | None):
    """For a PDF: is it the file the registry issued (and signed, when it was issued signed)?"""
    path = Path(input_)
    if path.suffix.lower() != ".pdf" or not path.is_file() or not verdict.checked_online:
        return None
    from ..issued_files import check_file

    with db.session(ws) as session:
        return check_file(session, ws, verdict.document_uid, path, signature)


def _file_lines(file_check) -> list[str]:
    if file_check is None:
        return []
    return [f"  File:        {'' if file_check.ok else 'NOT VALID — '}{file_check.message}"]


def _pdf_signature(ws, input_: str, trust: tuple[Path, ...]) -> dict | None:
    """The PAdES signature report of a PDF input; None for anything else or an unsigned PDF."""
    path = Path(input_)
    if path.suffix.lower() != ".pdf" or not path.is_file():
        return None
    from ..signing import signature_summary, workspace_trust_roots

    roots = [*(workspace_trust_roots(ws) if ws else []), *trust]
    return signature_summary(path, roots)


def _signature_lines(signature: dict | None) -> list[str]:
    if signature is None:
        return []
    if not signature["intact"]:
        return [f"  Signature:   BROKEN — the file was changed after it was signed ({signature['message']})"]
    trusted = "trusted" if signature["trusted"] else "NOT trusted (unknown certificate authority; see --trust)"
    return [f"  Signature:   intact, {trusted}; signed by {signature['signer']} at {signature['signed_at']}"]


def _json(verdict: Verdict) -> dict:
    """The documented keys first, then the details."""
    data = verdict.as_json()
    first = ("status", "kind", "number", "holder", "valid_until", "reason", "checked_online")
    return {**{k: data[k] for k in first}, **{k: v for k, v in data.items() if k not in first}}


def headline(verdict: Verdict) -> str:
    what = " ".join(x for x in (verdict.kind_title, verdict.number) if x)
    label = HEADLINES.get(verdict.status, verdict.status.upper())
    if verdict.valid and not verdict.checked_online:
        label = "VALID SIGNATURE (current status not checked: offline)"
    parts = [f"{label} — {what or 'verification code'}"]
    if verdict.holder:
        parts.append(f"holder {verdict.holder}")
    if verdict.status == "revoked":
        when = f" on {verdict.revoked_at.date().isoformat()}" if verdict.revoked_at else ""
        parts.append(f"revoked{when}: {verdict.reason or 'no reason recorded'}")
    elif verdict.status == "replaced":
        parts.append(f"diganti dengan izin Nomor {verdict.replaced_by or '-'}")
    elif verdict.valid_until:
        parts.append(f"valid until {verdict.valid_until.isoformat()}")
    return ", ".join(parts)


def describe(verdict: Verdict) -> list[str]:
    lines = [headline(verdict)]
    details = (
        ("Document", verdict.kind_title),
        ("Permit type", None if verdict.permit_type_title == verdict.kind_title else verdict.permit_type_title),
        ("Number", verdict.number), ("Holder", verdict.holder),
        *verdict.fields.items(),
        ("Issued", verdict.issued and verdict.issued.isoformat()),
        ("Valid until", verdict.valid_until and verdict.valid_until.isoformat()),
        ("Revoked", verdict.revoked_at and verdict.revoked_at.isoformat()),
        ("Replaced by", verdict.replaced_by),
        ("Replaced", verdict.replaced_at and verdict.replaced_at.isoformat()),
        ("Reason", verdict.reason), ("Signing key", verdict.key_id),
    )
    width = max(13, *(len(label) + 2 for label, value in details if value))
    lines += [f"  {label + ':':<{width}}{value}" for label, value in details if value]
    if verdict.status not in ("invalid", "unknown-key"):
        lines.append("  Status:      " + ("checked online against the office's registry" if verdict.checked_online
                                         else "NOT checked (offline: signature only; it may have been revoked)"))
    return lines


@click.command("revoke")
@click.argument("number")
@click.option("--reason", required=True, help="Why the document is revoked (shown in every later verification).")
@click.option("--by", "actor", default="sikro", show_default=True, help="Who revokes it (for the event log).")
@workspace_option
def revoke_cmd(number, reason, actor, ws):
    """Revoke the issued document (a permit) numbered NUMBER."""
    with db.session(ws, write=True) as session:
        document = revoke(session, number, reason, actor=actor)
    click.echo(f"revoked {document.number}: {document.reason}")


@click.group("keys")
def keys_group():
    """Signing keys of the verification QR codes."""


@keys_group.command("rotate")
@click.option("--by", "actor", default="sikro", show_default=True, help="Who rotates it (for the key status log).")
@workspace_option
def rotate_cmd(actor, ws):
    """Start a new signing key; the earlier ones are retired: they verify only what they signed before now."""
    with db.session(ws, write=True) as session:
        kid, retired = ks.rotate(session, ws, actor=actor)
    click.echo(f"new signing key {kid} is active")
    if retired:
        click.echo(f"documents signed with {', '.join(retired)} before now still verify; "
                   "give offline verifiers the new key file (sikro keys export)")


@keys_group.command("revoke")
@click.argument("kid", metavar="KID")
@click.option("--reason", required=True, help="Why the key is no longer trusted (e.g. the key file leaked).")
@click.option("--by", "actor", default="sikro", show_default=True, help="Who revokes it (for the key status log).")
@workspace_option
def revoke_key_cmd(kid, reason, actor, ws):
    """Distrust the signing key KID: everything it signed verifies as TIDAK SAH from now on.

    Lists the documents it signed (kind, number, holder) so the office can
    re-issue them; a compromised active key is replaced by a new one.
    """
    with db.session(ws, write=True) as session:
        outcome = ks.compromise(session, ws, kid.strip().upper(), reason, actor=actor)
    click.echo(f"key {outcome.kid} revoked: {outcome.reason}")
    if outcome.new_kid:
        click.echo(f"new signing key {outcome.new_kid} is active")
    if not outcome.documents:
        click.echo("no issued document was signed with it")
    else:
        click.echo(f"{len(outcome.documents)} document(s) signed with it now verify as TIDAK SAH; re-issue them:")
    for kind, number, holder in outcome.documents:
        click.echo(f"  {kind}\t{number}\t{holder}")
    click.echo("give offline verifiers the new key file (sikro keys export)")


@keys_group.command("list")
@workspace_option
def list_keys_cmd(ws):
    """The signing keys and their status; exit 1 when the key status was edited behind the tool's back."""
    with db.session(ws) as session:
        states, problems = ks.load_states(ws, session), ks.check(ws, session)
    for kid in sorted(load_public_keys(ws)):
        state = states.get(kid, ks.KeyState(kid))
        since = state.compromised_at or state.retired_at
        extra = f" since {clock.local(since, ws.profile).replace(microsecond=0).isoformat()}" if since else ""
        reason = f": {state.reason}" if state.reason else ""
        click.echo(f"{kid}  {state.status}{extra}{reason}")
    for problem in problems:
        click.echo(f"warning: {problem}", err=True)
    if problems:
        sys.exit(EXIT_PROBLEMS)


@keys_group.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the JSON here (default: print it).")
@workspace_option
def export_cmd(output, ws):
    """Write the public keys as JSON, for offline verifiers (`sikro verify --keys FILE`)."""
    data = export_public_keys(ws)
    if output is None:
        print_json(data)
        return
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    atomic_write_bytes(output, text.encode("utf-8"))
    click.echo(f"Wrote {len(data['keys'])} public key(s) to {output}")


COMMANDS = [verify_cmd, revoke_cmd, keys_group]
