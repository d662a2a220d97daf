"""`sikro permit-types check DIR`: every mistake of a permit-type folder, each naming file and key.

    problems = check_folder(Path("kantor/permit-types/sipp"))   # [] when the folder is sound

The loader (loader.py) finds the mistakes of `permit-type.toml`. This module
adds what only the documents side knows: the document kinds a type names,
and its `templates/*.docx` — their Jinja syntax, what the rendering sandbox
refuses, and every variable a template reads that the type does not provide
(`template_variables` is the one list of what a type's templates may use).
"""

from __future__ import annotations

from pathlib import Path

from ..documents.guard import PartSource
from ..errors import EXIT_UNUSABLE, SikroError, UnusableInput
from . import model as m
from .loader import TYPE_FILE, Problem, read_type_dir

TEMPLATES = "templates"
ANY = "*"  # "izin.*": every attribute of izin (the documents side fills it)


class NotATypeFolder(SikroError):
    exit_code = EXIT_UNUSABLE
    code = "not_a_permit_type_folder"

    def __init__(self, folder: Path):
        self.folder = folder
        super().__init__(f"{folder}: not a permit-type folder (it needs a {TYPE_FILE})")


def template_variables(permit_type: m.PermitType, kind: str | None = None) -> list[str]:
    """What a template of `permit_type` for document `kind` may read, as variable paths.

    The common context of every document kind (document_kinds.toml [common]), the
    kind's own variables, `izin.*` (the type as documents see it), `data.<field>`
    for each of the type's fields, and `rincian` (the rows the permit prints).
    "x.*" means anything under x. Extend it here when the documents' context grows.
    """
    from ..documents.context import common_variables, load_kinds

    names = list(common_variables())
    spec = load_kinds().get(kind) if kind else None
    if spec is not None:
        names += [v for v in spec.own_variables if v not in names]
    names += [f"izin.{ANY}", "data", *(f"data.{f.name}" for f in permit_type.fields),
              f"rincian.{ANY}", f"rincian[].{ANY}"]
    return names


def check_folder(folder: Path) -> list[Problem]:
    """Every mistake of the type in `folder`: its file's, its documents', its templates'."""
    folder = Path(folder)
    if not (folder / TYPE_FILE).is_file():
        raise NotATypeFolder(folder)
    read = read_type_dir(folder)
    problems = list(read.problems)
    if read.permit_type is not None:
        problems += document_problems(read.permit_type, folder)
        problems += template_problems(read.permit_type, folder)
    return problems


# --------------------------------------------------------------------------- documents


def _kinds() -> dict:
    from ..documents.context import load_kinds

    return load_kinds()


# Tables of [documents] that are not a document kind: what every document of the type draws on.
#   variables  old template variable -> the field it reads (an office's templates keep working)
#   tempat     nama, alamat (and label): the fields naming where the holder works
DOCUMENT_SETTINGS = {"variables", "tempat"}


def _setting_problems(permit_type: m.PermitType, file: str, key: str, table) -> list[Problem]:
    if not isinstance(table, dict):
        return [Problem(file, f"documents.{key}", "must be a table")]
    names = {k: v for k, v in table.items() if key == "variables" or k in ("nama", "alamat")}
    return [Problem(file, f"documents.{key}.{k}", f'"{v}" is not a field of this type')
            for k, v in names.items() if v not in permit_type.by_name]


def document_problems(permit_type: m.PermitType, folder: Path) -> list[Problem]:
    """The [documents.KIND] tables: a known kind, and a template the folder has."""
    file = str(folder / TYPE_FILE)
    kinds = _kinds()
    problems = []
    for kind, table in permit_type.documents.items():
        if kind in DOCUMENT_SETTINGS:
            problems.extend(_setting_problems(permit_type, file, kind, table))
            continue
        if kind not in kinds:
            problems.append(Problem(file, f"documents.{kind}",
                                    f'"{kind}" is not a document kind (known: {", ".join(kinds)})'))
            continue
        if not isinstance(table, dict):
            problems.append(Problem(file, f"documents.{kind}", "must be a table (judul, template)"))
            continue
        template = table.get("template")
        if template is not None and not (folder / TEMPLATES / str(template)).is_file():
            problems.append(Problem(file, f"documents.{kind}.template",
                                    f'"{template}" is not in {folder / TEMPLATES}'))
    return problems


def template_kinds(permit_type: m.PermitType) -> dict[str, str]:
    """Template file name -> the document kind it is for (the type's own names first)."""
    by_file = {spec.template: kind for kind, spec in _kinds().items()}
    for kind, table in permit_type.documents.items():
        if isinstance(table, dict) and table.get("template"):
            by_file[str(table["template"])] = kind
    return by_file


# --------------------------------------------------------------------------- templates


def template_problems(permit_type: m.PermitType, folder: Path) -> list[Problem]:
    templates = folder / TEMPLATES
    if not templates.is_dir():
        return []
    kinds = template_kinds(permit_type)
    problems = []
    for path in sorted(templates.iterdir()):
        if path.name.startswith((".", "~$")) or path.is_dir() or path.suffix.lower() != ".docx":
            continue  # editors' lock files, hidden files and pictures (a lambang) are not templates
        kind = kinds.get(path.name)
        if kind is None:
            problems.append(Problem(str(path), "", "is not the template of any document kind "
                                                   f"(known: {', '.join(sorted(kinds))})"))
            continue
        problems += check_template(path, permit_type, kind)
    return problems


def check_template(path: Path, permit_type: m.PermitType, kind: str | None) -> list[Problem]:
    """One template: syntax, what the sandbox refuses, each variable the type does not provide."""
    from ..documents import check as docs

    try:
        found = [Problem(str(path), "", _strip_name(path, text)) for text in docs.sandbox_problems(path, None)]
        parts = docs.template_parts(path)
    except UnusableInput as err:
        return [Problem(str(path), "", _strip_name(path, str(err)))]
    declared, open_prefixes = _declared(template_variables(permit_type, kind))
    env = docs.jinja_env()
    for part, src in parts:
        _problems, ast = docs.syntax_problems(part, src, env)
        if ast is None:
            continue  # reported by sandbox_problems
        source = PartSource(part, src.split("\n"))
        reported: set[str] = set()
        for used, lineno in sorted(docs.referenced_paths_at(ast, env).items(), key=lambda item: item[1]):
            if any(used[:len(p)] == p for p in open_prefixes):
                continue
            form = docs.unknown_form(used, declared)
            if form is None or form in reported:
                continue
            reported.add(form)
            found.append(Problem(str(path), source.where(lineno),
                                 f"unknown variable {form} (permit type {permit_type.code}, document {kind}, "
                                 f"does not provide it) in {source.tag(lineno, form.split('.')[-1])}"))
    return found


def _declared(names: list[str]) -> tuple[set, list[tuple]]:
    from ..documents.check import closure, parse_path_text

    open_prefixes = [parse_path_text(n[: -len(ANY) - 1]) for n in names if n.endswith("." + ANY)]
    plain = [n for n in names if not n.endswith("." + ANY)]
    return closure(plain) | closure(open_prefixes), open_prefixes


def _strip_name(path: Path, text: str) -> str:
    """documents.check names the template by file name (or path) first: the Problem names it already."""
    for prefix in (f"{path}: ", f"{path.name}: "):
        if text.startswith(prefix):
            return text[len(prefix):]
    return text
