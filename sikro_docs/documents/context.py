"""What a template sees: the kinds (as data) and the context built for one document.

The context's names are Indonesian, like the words on the paper: `nomor`,
`tanggal`, `pemohon.nama`, `kantor.nama_baris`, `pejabat.nip`, `alasan` ...
`data/document_kinds.toml` (one table per kind, shared with the numbering
side in `numbering.document_kind`) lists, for each kind, the variables it
provides; `build_context` provides exactly those (a test holds them equal),
and `check_template` holds a customised template to them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from .. import clock
from ..errors import SikroError
from ..workspace import Workspace, default_section
from . import formatting as fmt
from . import typed

DOTS = "…………………………"
SIFAT_CHOICES = ("sangat segera", "segera", "rahasia", "biasa")
CHECKED, UNCHECKED = "☒", "☐"


@dataclass(frozen=True)
class KindSpec:
    kind: str
    template: str
    title: str
    step: int
    signer: str
    paraf: tuple[str, ...]
    letter: bool
    sifat: str
    lampiran: str
    hal: str
    kepada: str
    di: str
    number: str
    qr: bool
    page_numbers: bool
    variables: tuple[str, ...]  # common + the kind's own
    own_variables: tuple[str, ...] = ()
    facts: dict = field(default_factory=dict, hash=False, compare=False)
    # application fields a final document cannot do without -> their column header
    requires: dict = field(default_factory=dict, hash=False, compare=False)

    def as_json(self) -> dict:
        return {
            "kind": self.kind, "template": self.template, "title": self.title, "step": self.step,
            "signer": self.signer, "paraf": list(self.paraf), "letter": self.letter,
            "number": self.number, "qr": self.qr, "page_numbers": self.page_numbers,
            "hal": self.hal, "variables": list(self.variables), "own_variables": list(self.own_variables),
        }


def _kinds_data() -> dict:
    from ..numbering import document_kinds_data  # the ONE reading of data/document_kinds.toml

    return document_kinds_data()


@lru_cache(maxsize=1)
def load_kinds() -> dict[str, KindSpec]:
    """The kinds the tool renders: those of `document_kinds.toml` with a `template`.

    A kind without one (`registration`) is only numbered and recorded. The printed
    title (`judul`) defaults to the kind's `title` in capitals, the printed addressee
    (`kepada`) to its `addressee`.
    """
    data = _kinds_data()
    common = tuple(data.get("common", {}).get("variables", []))
    kinds = {}
    for kind, raw in data["kinds"].items():
        if "template" not in raw:
            continue
        own = tuple(v for v in raw.get("variables", []) if v not in common)
        kinds[kind] = KindSpec(
            kind=kind, template=raw["template"], title=raw.get("judul") or raw["title"].upper(),
            step=int(raw.get("step", 0)), signer=raw.get("signer", ""),
            paraf=tuple(raw.get("paraf", [])), letter=bool(raw.get("letter", False)),
            sifat=raw.get("sifat", "Biasa"), lampiran=raw.get("lampiran", "-"),
            hal=raw.get("hal", ""), kepada=raw.get("kepada", raw.get("addressee", "")),
            di=raw.get("di", ""),
            number=raw.get("number", "optional"), qr=bool(raw.get("qr", True)),
            page_numbers=bool(raw.get("page_numbers", False)), variables=common + own, own_variables=own,
            facts=raw.get("facts", {}),
            requires=raw.get("requires", {}),
        )
    return kinds


def common_variables() -> tuple[str, ...]:
    return tuple(_kinds_data().get("common", {}).get("variables", []))


def get_kind(kind: str) -> KindSpec:
    kinds = load_kinds()
    if kind not in kinds:
        raise SikroError(f"unknown document kind {kind!r} (known: {', '.join(kinds)})")
    return kinds[kind]


# --- the profile ------------------------------------------------------------------------------

def profile_section(ws: Workspace, name: str) -> dict:
    """A profile section; a workspace made before the section existed gets the built-in one."""
    value = ws.profile.get(name)
    if value is None:
        value = default_section(name)
    return value


def official(ws: Workspace, key: str) -> dict:
    officials = profile_section(ws, "officials")
    if key not in officials:
        raise SikroError(f"profile {ws.profile_path}: no [officials.{key}] (who signs or initials)")
    o = officials[key]
    return {"jabatan": o.get("title", ""), "nama": o.get("name", ""),
            "pangkat": o.get("rank", ""), "nip": o.get("nip", "")}


def _tz(ws: Workspace):
    try:
        return ZoneInfo(ws.profile.get("office", {}).get("timezone", "Asia/Jakarta"))
    except Exception:  # noqa: BLE001 - an unknown zone name: print office time as given
        return ZoneInfo("Asia/Jakarta")


def mask_nik(nik: str | None) -> str:
    """A NIK is protected personal data: print its region code and last 4 digits only."""
    if not nik:
        return ""
    nik = str(nik)
    return nik[:6] + "*" * max(len(nik) - 10, 0) + nik[-4:] if len(nik) > 10 else nik


def _text(value) -> str:
    return "" if value is None else str(value)


def _fill(template: str, values: dict) -> str:
    from ..numbering import fill_placeholders

    return fill_placeholders(template, values=values)


def _boxes(labels, chosen) -> list[dict]:
    chosen = {c.strip().lower() for c in chosen}
    return [{"label": label, "tanda": CHECKED if label.strip().lower() in chosen else UNCHECKED}
            for label in labels]


def _checklist(ptype, application: dict) -> list[dict]:
    """The papers of the type's checklist for the application's kind, handed in or not."""
    given = application.get("checklist") or {}
    values = typed.typed_values(ptype, application)
    rows = []
    for no, item in enumerate(ptype.checklist(application.get("application_kind") or "baru"), 1):
        ada = bool(given.get(item.name, False))
        rows.append({"no": no, "nama": item.field.header, "ada": ada, "tanda": "Ada" if ada else "Tidak ada",
                     "wajib": "Wajib" if item.required_for(values) else "Opsional"})
    return rows


def _team(ws: Workspace, document: dict) -> list[dict]:
    members = document.get("team")
    if members is None:
        members = profile_section(ws, "tim_teknis").get("members", [])
    team = []
    for no, m in enumerate(members, 1):
        team.append({"no": no, "nama": _text(m.get("name")), "nip": _text(m.get("nip")),
                     "pangkat": _text(m.get("rank")), "jabatan": _text(m.get("position")),
                     "peran": _text(m.get("role"))})
    return team


def _emblem(ws: Workspace) -> str:
    from .render import builtin_templates_dir

    configured = ws.profile.get("office", {}).get("emblem") or ""
    if configured:
        path = Path(configured).expanduser()
        if not path.is_absolute():
            path = ws.root / path
        if not path.is_file():
            raise SikroError(f"profile [office] emblem: no image at {path}")
        return str(path)
    return str(builtin_templates_dir() / "lambang-placeholder.png")


def permit_valid_until(ws: Workspace, issued: dt.date, application) -> dt.date | None:
    """The permit type's rule for a permit issued on `issued` to `application` (a describe() dict
    or an Application row): `ptype.validity.until`; None: valid for life."""
    if not isinstance(application, dict):
        from ..registry import describe

        application = describe(application, ws)
    ptype = typed.type_of(ws, application)
    return typed.valid_until(ptype, issued, application)


def permit_validity(profile: dict, issued: dt.date, limit: dt.date | None, ptype=None) -> dt.date | None:
    """Compatible form of the rule: `ptype` (default: the profile's default type) with `limit` as the
    value of the field its rule does not go beyond (the STR's expiry). Prefer permit_valid_until."""
    from .. import permit_types

    if ptype is None:
        code = (profile or {}).get("permit_types", {}).get("default")
        ptype = permit_types.get(None, code) if code else permit_types.default(None)
    values = {ptype.validity.not_beyond: limit} if ptype.validity.not_beyond else {}
    return ptype.validity.until(issued, values)


def _check_required(spec: KindSpec, application: dict, draft: bool) -> None:
    missing = [label for name, label in spec.requires.items() if not application.get(name)]
    if missing and not draft:
        raise SikroError(f"{spec.kind}: {application.get('registration_number')} has no "
                         f"{' and no '.join(missing)}; fill it in the workbook and import it again")


def _check_application_kind(kind: str, application: dict) -> None:
    from ..numbering import KindNotForApplication, document_kind

    spec = document_kind(kind)
    if not spec.applies_to_kind(application.get("application_kind")):
        raise KindNotForApplication(kind, application.get("application_kind"), spec.application_kinds)


def variables_for(kind: str, ptype) -> tuple[str, ...]:
    """Every variable a document of `kind` for an application of `ptype` provides."""
    return (*get_kind(kind).variables, *typed.declared_for_type(ptype))


def build_context(ws: Workspace, kind: str, application: dict, document: dict) -> dict:
    """The template context of one document of `kind`.

    `application` is what `sikro_docs.registry.describe` returns; `document`
    holds number, date, uid, short_code, qr_png, draft, valid_until and the
    facts of the kind (reason, team, findings, inspection_date, clerk, time ...).
    """
    spec = get_kind(kind)
    ptype = typed.type_of(ws, application)
    office = profile_section(ws, "office")
    settings = profile_section(ws, "documents")
    day = fmt.as_date(document.get("date")) or clock.today(ws.profile)
    draft = bool(document.get("draft", False))
    city = office.get("city", "")
    app = application
    registration = _text(app.get("registration_number"))

    _check_application_kind(kind, app)
    _check_required(spec, app, draft)
    number = document.get("number")
    if draft:
        nomor = "DRAF"
    elif number:
        nomor = str(number)
    elif spec.number == "registration":
        nomor = registration
    elif spec.number == "register":
        raise SikroError(f"{kind}: a final (non-draft) document needs its number from the register")
    else:
        nomor = DOTS

    data = typed.data_context(ws, ptype, app)
    tempat = typed.place_context(ptype, data)
    words = {"nama": _text(app.get("name")), "registrasi": registration, "izin": ptype.short_name,
             "tempat": tempat["nama"], "alamat": _text(app.get("address")), "kota": city}
    birth = fmt.tanggal(app.get("birth_date"))
    pemohon = {
        "nama": words["nama"],
        "nik": _text(app.get("nik")),
        "nik_tersamar": mask_nik(app.get("nik")),
        "tempat_lahir": _text(app.get("birth_place")),
        "tanggal_lahir": birth,
        "tempat_tanggal_lahir": ", ".join(p for p in (_text(app.get("birth_place")), birth) if p),
        "jenis_kelamin": typed.GENDER.get(_text(app.get("sex")), _text(app.get("sex"))),
        "alamat": words["alamat"],
        "telepon": _text(app.get("phone")),
        "email": _text(app.get("email")),
        "pendidikan": _text(app.get("education")),
        "nomor_registrasi": registration,
        "tanggal_permohonan": fmt.tanggal(app.get("application_date")),
    }

    if spec.signer in ("", "tim_teknis"):
        pejabat = {"jabatan": "", "nama": "", "pangkat": "", "nip": ""}
    elif spec.signer == "petugas":
        clerk = document.get("clerk") or settings.get("petugas_loket", {})
        if isinstance(clerk, str):
            clerk = {"name": clerk}
        pejabat = {"jabatan": clerk.get("title") or "Petugas Penerima Berkas",
                   "nama": _text(clerk.get("name")), "pangkat": _text(clerk.get("rank")),
                   "nip": _text(clerk.get("nip"))}
    else:
        pejabat = official(ws, spec.signer)

    qr_png = document.get("qr_png") if spec.qr else None
    verification = profile_section(ws, "verification")
    judul = ptype.documents.get(kind, {}).get("judul") if isinstance(ptype.documents.get(kind), dict) else None
    context = {
        "judul": judul or spec.title,
        "nomor": nomor,
        "tanggal": fmt.tanggal(day),
        "tempat_tanggal": f"{city}, {fmt.tanggal(day)}" if city else fmt.tanggal(day),
        "kota": city,
        "draf": draft,
        "kertas": _paper(ws),
        "lambang": _emblem(ws),
        "kantor": {
            "pemerintah": office.get("regency", ""),
            "nama": " ".join(office.get("name_lines", [])),
            "nama_baris": list(office.get("name_lines", [])),
            "nama_singkat": office.get("short_name", ""),
            "alamat_baris": list(office.get("address_lines", [])),
            "kota": city,
            "kode_unit": office.get("unit_code", ""),
        },
        "verifikasi": {
            "qr": qr_png,  # PNG bytes; the renderer makes it an image (empty box when None)
            "kode": _text(document.get("short_code")),
            "uid": _text(document.get("uid")),
            "alamat": verification.get("base_url", ""),
            # the site as printed under the QR: no scheme, no trailing slash
            "laman": _site(verification.get("base_url", "")),
        },
        "pemohon": pemohon,
        "izin": typed.permit_context(ptype, app, _permit_title(ptype)),
        "data": data,
        "rincian": typed.rincian(ptype, data),
        "tempat": tempat,
        "rekomendasi": {
            "nomor": _text(document.get("recommendation_number") or app.get("recommendation_number")) or DOTS,
            "tanggal": fmt.tanggal(document.get("recommendation_date") or app.get("recommendation_date")) or DOTS,
        },
        "pejabat": pejabat,
        "paraf": [{"no": i, **{k: v for k, v in official(ws, key).items() if k in ("jabatan", "nama")}}
                  for i, key in enumerate(spec.paraf, 1)],
        "sifat": document.get("sifat") or spec.sifat,
        "lampiran": document.get("lampiran") or spec.lampiran,
        "hal": document.get("hal") or _fill(spec.hal, words),
        "kepada": document.get("kepada") or _fill(spec.kepada, words),
        "di": document.get("di") or _fill(spec.di, words),
    }
    typed.apply_variables(context, ptype, data)
    provider = PROVIDERS.get(kind)
    if provider is not None:
        context.update(provider(Facts(ws, spec, ptype, app, document, day, words, context)))
    return context


def _permit_title(ptype) -> str:
    said = ptype.documents.get("permit")
    return (said.get("judul") if isinstance(said, dict) else None) or ptype.title.upper()


def _site(url: str) -> str:
    """"https://verifikasi.example.go.id/" -> "verifikasi.example.go.id"."""
    url = _text(url).strip()
    for scheme in ("https://", "http://"):
        if url.lower().startswith(scheme):
            url = url[len(scheme):]
    return url.rstrip("/")


def _paper(ws: Workspace) -> str:
    paper = str(ws.profile.get("office", {}).get("paper", "A4")).upper()
    if paper not in ("A4", "F4"):
        raise SikroError(f"profile [office] paper must be A4 or F4, not {paper!r}")
    return paper


# --- per-kind facts: one provider per kind, registered by name ---------------------------------


@dataclass
class Facts:
    """What a provider of a kind's own variables gets."""

    ws: Workspace
    spec: KindSpec
    ptype: object  # the application's PermitType
    app: dict  # registry.describe
    document: dict
    day: dt.date
    words: dict  # the placeholder values
    context: dict  # the common context built so far


PROVIDERS: dict[str, Callable[[Facts], dict]] = {}


def provider(*kinds: str):
    """Register the function making the own variables of `kinds` (data/document_kinds.toml)."""
    def register(fn):
        for kind in kinds:
            PROVIDERS[kind] = fn
        return fn
    return register


@provider("receipt")
def _receipt(f: Facts) -> dict:
    moment = f.document.get("time")
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    return {"berkas": _checklist(f.ptype, f.app), "catatan": _text(f.document.get("note")),
            "waktu_terima": fmt.tanggal_jam(moment, _tz(f.ws)) if moment else fmt.tanggal(f.day)}


@provider("checklist-return")
def _checklist_return(f: Facts) -> dict:
    berkas = _checklist(f.ptype, f.app)
    missing = f.document.get("missing") or f.app.get("missing")
    if missing is None:
        missing = [row["nama"] for row in berkas if not row["ada"]]
    return {"berkas": berkas, "catatan": _text(f.document.get("note")), "kekurangan": list(missing)}


@provider("disposition")
def _disposition(f: Facts) -> dict:
    said = f.spec.facts
    sifat = (f.document.get("sifat") or said.get("sifat", "biasa")).strip().lower()
    if sifat not in SIFAT_CHOICES:
        raise SikroError(f"disposition: sifat must be one of {', '.join(SIFAT_CHOICES)}, not {sifat!r}")
    app, document = f.app, f.document
    received = fmt.tanggal(document.get("received_date") or app.get("application_date") or f.day)
    return {"disposisi": {
        "surat_dari": f.words["nama"],
        "nomor_surat": _text(document.get("letter_number")) or "-",
        "tanggal_surat": fmt.tanggal(app.get("application_date")) or "-",
        "diterima_tanggal": received,
        "nomor_agenda": f.words["registrasi"],
        "perihal": _fill(f.spec.hal, f.words),
        "sifat": _boxes([s.title() for s in SIFAT_CHOICES], [sifat]),
        "diteruskan": _boxes(said.get("diteruskan", []),
                             document.get("forward_to") or said.get("diteruskan_pilih", [])),
        "instruksi": _boxes(said.get("instruksi", []),
                            document.get("instructions") or said.get("instruksi_pilih", [])),
        "catatan": _text(document.get("note")),
    }}


@provider("task-order")
def _task_order(f: Facts) -> dict:
    dasar = list(f.ptype.legal_basis) + [
        f"Surat Permohonan {f.ptype.title} a.n. {f.words['nama']} "
        f"tanggal {fmt.tanggal(f.app.get('application_date')) or DOTS} "
        f"Nomor Registrasi {f.words['registrasi']}"
    ]
    return {"dasar": list(f.document.get("basis") or dasar), "tim": _team(f.ws, f.document),
            "peninjauan": _inspection(f.context, f.document, f.day)}


@provider("inspection-report")
def _inspection_report(f: Facts) -> dict:
    document = f.document
    aspects = document.get("findings")
    if aspects is None:
        own = f.ptype.documents.get("inspection-report")
        said = own.get("aspek") if isinstance(own, dict) else None
        aspects = [{"aspek": a} for a in (said or f.spec.facts.get("aspek", []))]
    temuan = [{"no": i, "aspek": _text(a.get("aspect") or a.get("aspek")),
               "hasil": _text(a.get("result") or a.get("hasil")),
               "keterangan": _text(a.get("note") or a.get("keterangan"))}
              for i, a in enumerate(aspects, 1)]
    conclusion = document.get("conclusion")
    if conclusion is None:
        conclusion = {"Disetujui": "Memenuhi persyaratan; direkomendasikan untuk diberikan izin.",
                      "Ditolak": "Tidak memenuhi persyaratan; tidak direkomendasikan."}.get(f.app.get("decision"), DOTS)
    peninjauan = _inspection(f.context, document, f.day)
    peninjauan["tanggal_kata"] = fmt.tanggal_kata(fmt.as_date(document.get("inspection_date")) or f.day)
    peninjauan["nomor_surat_tugas"] = _text(document.get("task_order_number")) or DOTS
    peninjauan["tanggal_surat_tugas"] = fmt.tanggal(document.get("task_order_date")) or DOTS
    return {"tim": _team(f.ws, document), "peninjauan": peninjauan, "temuan": temuan, "kesimpulan": conclusion}


@provider("rejection")
def _rejection(f: Facts) -> dict:
    reason = f.document.get("reason") or f.app.get("rejection_reason")
    if not reason:
        raise SikroError("rejection: no reason (alasan penolakan) given for "
                         f"{f.words['registrasi'] or f.words['nama']}")
    return {"alasan": str(reason)}


@provider("permit")
def _permit(f: Facts) -> dict:
    given = fmt.as_date(f.document.get("valid_until"))
    until = given or permit_valid_until(f.ws, f.day, f.app)
    izin = dict(f.context["izin"])
    izin["berlaku_sampai"] = fmt.tanggal(until) if until else typed.LIFETIME
    years = f.ptype.validity.years
    izin["masa_berlaku"] = fmt.masa_berlaku(years) if years else typed.LIFETIME.lower()
    return {"judul": izin["judul"], "izin": izin, "dasar_hukum": list(f.ptype.legal_basis)}


REVOKED_BY = {"holder": "atas permohonan pemegang izin", "decision": "berdasarkan keputusan"}


@provider("revocation-decree")
def _revocation_decree(f: Facts) -> dict:
    app = f.app
    previous = _text(app.get("previous_number"))
    if not previous and not f.document.get("draft"):
        raise SikroError(f"revocation-decree: {f.words['registrasi']} names no permit to revoke "
                         "(Nomor Izin Sebelumnya); fill it in the workbook and import it again")
    reason = f.document.get("reason") or app.get("revocation_reason") or app.get("rejection_reason") \
        or "permohonan pencabutan dari pemegang izin"
    return {"dasar_hukum": list(f.ptype.legal_basis), "pencabutan": {
        "nomor_izin": previous or DOTS,
        "tanggal_izin": fmt.tanggal(app.get("previous_date")) or DOTS,
        "alasan": str(reason),
        "atas": REVOKED_BY.get(f.document.get("revoked_by") or "holder", REVOKED_BY["holder"]),
        "berlaku": fmt.tanggal(f.day),
    }}


def _inspection(context: dict, document: dict, day: dt.date) -> dict:
    when = fmt.as_date(document.get("inspection_date")) or day
    return {"tanggal": fmt.tanggal(when), "hari_tanggal": fmt.hari_tanggal(when),
            "tempat": context["tempat"]["lengkap"]}


def declared_paths(context: dict) -> set[str]:
    """The dotted variable names a context provides, in the form of the kinds' `variables`."""
    paths: set[str] = set()

    def walk(prefix: str, value):
        paths.add(prefix)
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}", inner)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for item in value:
                for key in item:
                    paths.add(f"{prefix}[].{key}")

    for key, value in context.items():
        walk(key, value)
    return paths
