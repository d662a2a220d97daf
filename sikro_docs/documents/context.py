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
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

from .. import clock
from ..errors import SikroError
from ..workspace import Workspace, default_profile_text
from . import formatting as fmt

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


KINDS_FILE = "document_kinds.toml"  # one table per kind: numbering facts and template facts


def _kinds_data() -> dict:
    text = resources.files("sikro_docs.data").joinpath(KINDS_FILE).read_text("utf-8")
    return tomllib.loads(text)


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

@lru_cache(maxsize=1)
def _default_profile() -> dict:
    return tomllib.loads(default_profile_text())


def profile_section(ws: Workspace, name: str) -> dict:
    """A profile section; a workspace made before the section existed gets the built-in one."""
    value = ws.profile.get(name)
    if value is None:
        value = _default_profile().get(name, {})
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
    class _Keep(dict):
        def __missing__(self, key):
            return "{" + key + "}"
    return template.format_map(_Keep(values))


def _boxes(labels, chosen) -> list[dict]:
    chosen = {c.strip().lower() for c in chosen}
    return [{"label": label, "tanda": CHECKED if label.strip().lower() in chosen else UNCHECKED}
            for label in labels]


def _checklist(application: dict) -> list[dict]:
    from ..intake import CHECKLIST

    given = application.get("checklist") or {}
    rows = []
    for no, item in enumerate(CHECKLIST, 1):
        ada = bool(given.get(item.name, False))
        rows.append({"no": no, "nama": item.header, "ada": ada, "tanda": "Ada" if ada else "Tidak ada"})
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


def permit_valid_until(ws: Workspace, issued: dt.date, application: dict) -> dt.date:
    """The office's rule for a permit issued on `issued` to `application` (a describe() dict)."""
    return permit_validity(ws.profile, issued, fmt.as_date(application.get("str_valid_until")))


def permit_validity(profile: dict, issued: dt.date, str_valid_until: dt.date | None) -> dt.date:
    """`[permit] validity_years` from the issue date (its last day: the day before the
    anniversary), never past the STR's validity when `limit_to_str` is set.

    The one rule for paper and QR token alike (verification signs this date).
    """
    settings = profile.get("permit", {})
    years = int(settings.get("validity_years", 5))
    try:
        until = issued.replace(year=issued.year + years)
    except ValueError:  # 29 February
        until = issued.replace(year=issued.year + years, day=28)
    until -= dt.timedelta(days=1)
    if settings.get("limit_to_str", True) and str_valid_until is not None:
        until = min(until, str_valid_until)
    return until


def _check_required(spec: KindSpec, application: dict, draft: bool) -> None:
    missing = [label for name, label in spec.requires.items() if not application.get(name)]
    if missing and not draft:
        raise SikroError(f"{spec.kind}: {application.get('registration_number')} has no "
                         f"{' and no '.join(missing)}; fill it in the workbook and import it again")


def build_context(ws: Workspace, kind: str, application: dict, document: dict) -> dict:
    """The template context of one document of `kind`.

    `application` is what `sikro_docs.registry.describe` returns; `document`
    holds number, date, uid, short_code, qr_png, draft, valid_until and the
    facts of the kind (reason, team, findings, inspection_date, clerk, time ...).
    """
    spec = get_kind(kind)
    office = profile_section(ws, "office")
    settings = profile_section(ws, "documents")
    day = fmt.as_date(document.get("date")) or clock.today(ws.profile)
    draft = bool(document.get("draft", False))
    city = office.get("city", "")
    app = application
    registration = _text(app.get("registration_number"))

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

    words = {"nama": _text(app.get("name")), "registrasi": registration,
             "tempat_kerja": _text(app.get("workplace_name")), "alamat": _text(app.get("address")),
             "kota": city}
    birth = fmt.tanggal(app.get("birth_date"))
    str_until = app.get("str_valid_until")
    pemohon = {
        "nama": words["nama"],
        "nik": _text(app.get("nik")),
        "nik_tersamar": mask_nik(app.get("nik")),
        "tempat_lahir": _text(app.get("birth_place")),
        "tanggal_lahir": birth,
        "tempat_tanggal_lahir": ", ".join(p for p in (_text(app.get("birth_place")), birth) if p),
        "jenis_kelamin": {"L": "Laki-laki", "P": "Perempuan"}.get(_text(app.get("sex")), _text(app.get("sex"))),
        "alamat": words["alamat"],
        "telepon": _text(app.get("phone")),
        "email": _text(app.get("email")),
        "pendidikan": _text(app.get("education")),
        "nomor_str": _text(app.get("str_number")),
        "str_berlaku": fmt.tanggal(str_until) if str_until else "Seumur hidup",
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
    context = {
        "judul": spec.title,
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
        "tempat_kerja": {"nama": words["tempat_kerja"], "alamat": _text(app.get("workplace_address"))},
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
    context.update(_kind_facts(ws, spec, app, document, day, words))
    return context


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


def _kind_facts(ws, spec: KindSpec, app: dict, document: dict, day: dt.date, words: dict) -> dict:
    kind = spec.kind
    if kind in ("receipt", "checklist-return"):
        facts = {"berkas": _checklist(app), "catatan": _text(document.get("note"))}
        if kind == "receipt":
            moment = document.get("time")
            if isinstance(moment, str):
                moment = dt.datetime.fromisoformat(moment)
            facts["waktu_terima"] = fmt.tanggal_jam(moment, _tz(ws)) if moment else fmt.tanggal(day)
        else:
            missing = document.get("missing") or app.get("missing")
            if missing is None:
                missing = [row["nama"] for row in facts["berkas"] if not row["ada"]]
            facts["kekurangan"] = list(missing)
        return facts
    if kind == "disposition":
        f = spec.facts
        sifat = (document.get("sifat") or f.get("sifat", "biasa")).strip().lower()
        if sifat not in SIFAT_CHOICES:
            raise SikroError(f"disposition: sifat must be one of {', '.join(SIFAT_CHOICES)}, not {sifat!r}")
        received = fmt.tanggal(document.get("received_date") or app.get("application_date") or day)
        return {"disposisi": {
            "surat_dari": words["nama"],
            "nomor_surat": _text(document.get("letter_number")) or "-",
            "tanggal_surat": fmt.tanggal(app.get("application_date")) or "-",
            "diterima_tanggal": received,
            "nomor_agenda": words["registrasi"],
            "perihal": _fill(spec.hal, words),
            "sifat": _boxes([s.title() for s in SIFAT_CHOICES], [sifat]),
            "diteruskan": _boxes(f.get("diteruskan", []),
                                 document.get("forward_to") or f.get("diteruskan_pilih", [])),
            "instruksi": _boxes(f.get("instruksi", []),
                                document.get("instructions") or f.get("instruksi_pilih", [])),
            "catatan": _text(document.get("note")),
        }}
    if kind == "task-order":
        legal = list(profile_section(ws, "permit").get("legal_basis", []))
        dasar = legal + [
            f"Surat Permohonan Surat Izin Kerja Refraksionis Optisien a.n. {words['nama']} "
            f"tanggal {fmt.tanggal(app.get('application_date')) or DOTS} "
            f"Nomor Registrasi {words['registrasi']}"
        ]
        return {"dasar": list(document.get("basis") or dasar), "tim": _team(ws, document),
                "peninjauan": _inspection(app, document, day)}
    if kind == "inspection-report":
        aspects = document.get("findings")
        if aspects is None:
            aspects = [{"aspek": a} for a in spec.facts.get("aspek", [])]
        temuan = [{"no": i, "aspek": _text(a.get("aspect") or a.get("aspek")),
                   "hasil": _text(a.get("result") or a.get("hasil")),
                   "keterangan": _text(a.get("note") or a.get("keterangan"))}
                  for i, a in enumerate(aspects, 1)]
        conclusion = document.get("conclusion")
        if conclusion is None:
            decision = app.get("decision")
            conclusion = {"Disetujui": "Memenuhi persyaratan; direkomendasikan untuk diberikan izin.",
                          "Ditolak": "Tidak memenuhi persyaratan; tidak direkomendasikan."}.get(decision, DOTS)
        peninjauan = _inspection(app, document, day)
        peninjauan["tanggal_kata"] = fmt.tanggal_kata(fmt.as_date(document.get("inspection_date")) or day)
        peninjauan["nomor_surat_tugas"] = _text(document.get("task_order_number")) or DOTS
        peninjauan["tanggal_surat_tugas"] = fmt.tanggal(document.get("task_order_date")) or DOTS
        return {"tim": _team(ws, document), "peninjauan": peninjauan, "temuan": temuan,
                "kesimpulan": conclusion}
    if kind == "rejection":
        reason = document.get("reason") or app.get("rejection_reason")
        if not reason:
            raise SikroError("rejection: no reason (alasan penolakan) given for "
                             f"{words['registrasi'] or words['nama']}")
        return {"alasan": str(reason)}
    if kind == "permit":
        permit = profile_section(ws, "permit")
        until = fmt.as_date(document.get("valid_until")) or permit_valid_until(ws, day, app)
        return {"judul": permit.get("title", spec.title),
                "izin": {"judul": permit.get("title", spec.title),
                         "singkatan": permit.get("short_title", "SIKRO"),
                         "berlaku_sampai": fmt.tanggal(until),
                         "masa_berlaku": fmt.masa_berlaku(int(permit.get("validity_years", 5)))},
                "dasar_hukum": list(permit.get("legal_basis", []))}
    return {}


def _inspection(app: dict, document: dict, day: dt.date) -> dict:
    when = fmt.as_date(document.get("inspection_date")) or day
    place = ", ".join(p for p in (_text(app.get("workplace_name")), _text(app.get("workplace_address"))) if p)
    return {"tanggal": fmt.tanggal(when), "hari_tanggal": fmt.hari_tanggal(when), "tempat": place}


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
