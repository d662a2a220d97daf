"""`sikro sign`: a PAdES signature with a visible block on a finished PDF.

The passphrase of the PKCS#12 file is never a command-line argument (it
would show in `ps` and the shell history): --passphrase-file, else
$SIKRO_P12_PASSPHRASE, else a prompt on a terminal, else none.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from ..errors import NoWorkspace
from ..workspace import ENV_VAR, open_workspace
from . import print_json


@click.command("sign")
@click.argument("pdf_in", metavar="FILE.pdf", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--p12", "p12_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The signer's certificate and key (PKCS#12 .p12/.pfx).")
@click.option("--passphrase-file", type=click.Path(dir_okay=False, path_type=Path),
              help="File holding the .p12 passphrase (else $SIKRO_P12_PASSPHRASE, else a prompt).")
@click.option("-o", "--output", "pdf_out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The signed PDF to write (never the input itself).")
@click.option("--reason", help="Reason recorded in the signature (default: [signing] reason).")
@click.option("--location", help="Place of signing (default: [signing] location, else the office city).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--workspace", "workspace_dir", metavar="DIR",
              help="Workspace folder for the [signing] settings (default: $SIKRO_WORKSPACE, else "
                   "the current folder; without one, defaults apply).")
def sign_cmd(pdf_in, p12_path, passphrase_file, pdf_out, reason, location, as_json, workspace_dir):
    """Sign FILE.pdf (a finished permit) and write the signed copy to -o OUT.pdf.

    PAdES B-B, or B-T when [signing] timestamp_url is set. The visible block
    goes above the Kepala Dinas's printed name on page 1. A signed PDF is
    signed again as an incremental update; the input is never changed.
    """
    from ..signing import load_credentials, request_from_profile, resolve_passphrase, sign_pdf

    ws = _workspace(workspace_dir)
    profile = ws.profile if ws is not None else {}
    passphrase = resolve_passphrase(passphrase_file, prompt=_ask_passphrase(p12_path))
    credentials = load_credentials(p12_path, passphrase)
    request = request_from_profile(profile, reason=reason, location=location)
    written = sign_pdf(pdf_in, pdf_out, credentials, request)
    level = "PAdES B-T" if request.timestamp_url else "PAdES B-B"
    document = _record_issued(ws, pdf_in, written)
    if as_json:
        print_json({"output": str(written), "signer": credentials.common_name, "level": level,
                    "document": document})
    else:
        click.echo(f"signed: {written} ({credentials.common_name}, {level})")
        if document:
            click.echo(f"recorded as the issued file of {document}")


def _record_issued(ws, pdf_in: Path, written: Path) -> str | None:
    """When the input is a PDF the registry issued, record the signed copy as that document's file."""
    if ws is None:
        return None
    from .. import db, issued_files

    with db.session(ws, write=True) as session:
        document = issued_files.document_of_file(session, pdf_in)
        if document is None:
            return None
        issued_files.record(session, ws, document, written, signed=True)
        return document.number or document.uid


def _workspace(workspace_dir: str | None):
    """The workspace; a named workspace must exist, the current folder may be none."""
    try:
        return open_workspace(workspace_dir)
    except NoWorkspace:
        if workspace_dir or os.environ.get(ENV_VAR):
            raise
        return None


def _ask_passphrase(p12_path: Path):
    def ask() -> str:
        return click.prompt(f"Passphrase for {p12_path.name}", hide_input=True, default="",
                            show_default=False)
    return ask


COMMANDS = [sign_cmd]
