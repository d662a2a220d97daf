"""`sikro permit-types ...`: the permit types of a workspace, as data.

    sikro permit-types list [--json] [--workspace DIR]
    sikro permit-types show CODE [--json] [--workspace DIR]
    sikro permit-types check DIR
    sikro permit-types new CODE --from CODE [--workspace DIR]

`check` exits 0 printing "ok", 1 naming the file and key of each mistake
(its permit-type.toml, its [documents] and its templates/), 2 when DIR is not
a permit-type folder. `new` refuses a folder that exists (exit 2).
"""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import EXIT_PROBLEMS, NoWorkspace
from ..workspace import open_workspace
from . import print_json, workspace_option


@click.group("permit-types")
def permit_types_group():
    """Permit types (a folder of data each): list, show, check a folder, copy one to edit."""


def _optional_workspace(workspace_dir):
    """--workspace when given (or $SIKRO_WORKSPACE / the current folder when it is one)."""
    try:
        return open_workspace(workspace_dir)
    except NoWorkspace:
        if workspace_dir:
            raise
        return None


def _source(permit_type) -> str:
    from ..permit_types.new import is_override

    if permit_type.builtin:
        return "built-in"
    return "workspace (overrides built-in)" if is_override(permit_type) else "workspace"


@permit_types_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the types as JSON.")
@click.option("--workspace", "workspace_dir", metavar="DIR", help="Workspace folder (adds the office's own types).")
def list_cmd(as_json, workspace_dir):
    """List the permit types: code, short name, title, built-in or the workspace's own."""
    from ..permit_types import catalogue

    rows = [{"code": t.code, "short_name": t.short_name, "title": t.title, "source": _source(t),
             "folder": t.source} for t in catalogue(_optional_workspace(workspace_dir)).types.values()]
    if as_json:
        print_json(rows)
        return
    width = max((len(r["code"]) for r in rows), default=4)
    short = max((len(r["short_name"]) for r in rows), default=4)
    for r in rows:
        click.echo(f"{r['code']:<{width}}  {r['short_name']:<{short}}  {r['title']}  [{r['source']}]")


@permit_types_group.command("show")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True, help="Print the type as JSON.")
@click.option("--workspace", "workspace_dir", metavar="DIR", help="Workspace folder (its own types too).")
def show_cmd(code, as_json, workspace_dir):
    """Show one permit type: fields, checklists, validity, numbering, QR, archive, rules."""
    from ..permit_types import get

    permit_type = get(_optional_workspace(workspace_dir), code)
    data = describe(permit_type)
    if as_json:
        print_json(data)
        return
    for line in show_lines(data):
        click.echo(line)


@permit_types_group.command("check")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--workspace", "workspace_dir", metavar="DIR",
              help="Workspace folder: FOLDER may then be the code of one of its own types.")
def check_cmd(folder, workspace_dir):
    """Check a permit-type folder: every mistake, naming its file and key (exit 1 when any)."""
    from ..permit_types import TYPE_FILE, workspace_root
    from ..permit_types.check import check_folder

    if not folder.exists() and not folder.is_absolute() and len(folder.parts) == 1:
        ws = _optional_workspace(workspace_dir)
        if ws is not None and (workspace_root(ws) / folder).is_dir():
            folder = workspace_root(ws) / folder
    if folder.is_file() and folder.name == TYPE_FILE:  # the file itself given: its folder is meant
        folder = folder.parent
    problems = check_folder(folder)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in {folder}", err=True)
        raise SystemExit(EXIT_PROBLEMS)
    click.echo("ok")


@permit_types_group.command("new")
@click.argument("code")
@click.option("--from", "source", required=True, metavar="CODE", help="The type to copy (code, short name or title).")
@workspace_option
def new_cmd(code, source, ws):
    """Copy a permit type into the workspace's permit-types/CODE/ for the office to edit."""
    from ..permit_types.new import new_type, next_steps

    folder = new_type(ws, code, source)
    click.echo(f"wrote {folder} (a copy of {source})")
    for line in next_steps(folder):
        click.echo(line)


# --------------------------------------------------------------------------- show


def describe(t) -> dict:
    """Everything `show` prints, as plain data (its --json)."""
    return {
        "code": t.code, "short_name": t.short_name, "title": t.title, "profession": t.profession,
        "source": _source(t), "folder": t.source, "legal_basis": list(t.legal_basis), "sop": t.sop,
        "fields": [{"name": f.name, "header": f.header, "kind": f.kind, "required": f.required, "group": f.group,
                    "storage_key": f.storage_key, "label": f.shown_label, "choices": list(f.choices),
                    "minimum": f.minimum, "maximum": f.maximum, "pattern": f.pattern}
                   for f in t.fields],
        "checklists": {kind: [_item(i) for i in items] for kind, items in t.checklists.items()},
        "validity": {"rule": t.validity.rule, "years": t.validity.years, "not_beyond": t.validity.not_beyond},
        "numbering": {"pattern": t.pattern, "register": t.register, "register_title": t.register_title},
        "qr_fields": list(t.qr_fields), "legacy_wire": list(t.legacy_wire),
        "archive": {"classification": t.classification, "retention": t.retention},
        "rules": {"max_places": t.rules.max_places, "nth_field": t.rules.nth_field,
                  "earlier_numbers_field": t.rules.earlier_numbers_field, "place_field": t.rules.place_field},
        "documents": t.documents,
        "permit_rows": [{"label": label, "field": name} for label, name in t.permit_rows],
    }


def _item(item) -> dict:
    return {"item": item.name, "header": item.field.header, "wajib": item.required,
            "when": item.when.text if item.when else None,
            "from": item.applies_from.isoformat() if item.applies_from else None,
            "until": item.applies_until.isoformat() if item.applies_until else None}


def show_lines(d: dict) -> list[str]:
    lines = [f"{d['code']}  {d['short_name']}  {d['title']}  [{d['source']}]", f"folder: {d['folder']}"]
    if d["profession"]:
        lines.append(f"profession: {d['profession']}")
    lines.append("legal basis:")
    lines += [f"  - {text}" for text in d["legal_basis"]] or ["  -"]
    lines.append("fields:")
    for f in d["fields"]:
        extra = f" ({', '.join(f['choices'])})" if f["choices"] else ""
        if f["minimum"] is not None or f["maximum"] is not None:
            extra += f" ({f['minimum']}-{f['maximum']})"
        stored = f" -> {f['storage_key']}" if f["storage_key"] != f["name"] else ""
        need = "required" if f["required"] else "optional"
        lines.append(f"  {f['name']:<32} {f['header']:<34} {f['kind']}{extra}, {need} [{f['group']}]{stored}")
    for kind, items in d["checklists"].items():
        lines.append(f"checklist {kind}:")
        for i in items:
            conditions = [f"when {i['when']}"] if i["when"] else []
            conditions += [f"from {i['from']}"] if i["from"] else []
            conditions += [f"until {i['until']}"] if i["until"] else []
            tail = f"  ({'; '.join(conditions)})" if conditions else ""
            lines.append(f"  {'WAJIB' if i['wajib'] else 'OPSIONAL':<8} {i['header']}{tail}")
    r = d["rules"]
    lines += [
        f"validity: {d['validity']['rule']}",
        f"number: {d['numbering']['pattern']}  register {d['numbering']['register']} "
        f"({d['numbering']['register_title']})",
        f"QR fields: {', '.join(d['qr_fields']) or '-'}"
        + (f"  (wire v1: {', '.join(d['legacy_wire'])})" if d["legacy_wire"] else ""),
        f"archive: classification {d['archive']['classification'] or '-'}, retention {d['archive']['retention'] or '-'}",
        f"SOP: {d['sop']}",
        "rules: " + (", ".join(f"{k} = {v}" for k, v in r.items() if v is not None) or "-"),
    ]
    if d["permit_rows"]:
        lines.append("permit prints: " + "; ".join(f"{r['label']} ({r['field']})" for r in d["permit_rows"]))
    if d["documents"]:
        lines.append("documents: " + "; ".join(
            f"{kind}: " + ", ".join(f"{k} = {v}" for k, v in (spec.items() if isinstance(spec, dict) else ()))
            for kind, spec in d["documents"].items()))
    return lines


COMMANDS = [permit_types_group]
