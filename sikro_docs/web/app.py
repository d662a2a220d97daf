"""The public verification page: what a citizen's phone opens from a document's QR code.

    create_app(ws, rate_limit=...) -> ASGI app

Routes (paths of the QR codes accepted in any case: the QR holds `HTTPS://HOST/V/<BASE32>`):

    GET  /                       landing page with the short-code form
    GET  /V/{token}  /v/{token}  the verdict of a document's signed code
    GET  /P/{token}  /p/{token}  the progress of the application a receipt belongs to
    GET  /kode[?k=CODE]          the short-code form, or the verdict of a typed short code
    POST /kode                   the same, from the form (field `k`)
    GET  /api/v1/verify/{token}  the verdict as JSON (Verdict.as_json; never a NIK)
    GET  /.well-known/sikro-keys.json   the office's public keys (offline verifiers)
    GET  /healthz                JSON {"status": "ok"} when the database answers

Every page takes `?lang=en` (default Bahasa Indonesia). Nothing lists or
counts documents: a document is reached only by its signed code or its
80-bit random short code.

The workspace is loaded once, at start; each request opens a read-only
session (`db.session` without write: a deferred BEGIN that only ever
reads, so it never takes SQLite's write lock) in a worker thread, so a
slow database never stalls the event loop.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import jinja2
from babel import Locale
from babel.dates import format_date, format_datetime
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .. import db
from ..errors import SikroError
from ..numbering import office_timezone
from ..verification import Verdict, export_public_keys, short_code, uid_from_short_code, verify_token, verify_uid
from ..verification.token import PROGRESS_KINDS
from ..workspace import Workspace, open_workspace
from . import i18n
from .progress import SopGuide, progress_of
from .security import Guard, RateLimit, TokenBucketLimiter, log

HERE = Path(__file__).parent
DEFAULT_RATE_LIMIT = "30/10s"
RATE_LIMIT_ENV = "SIKRO_WEB_RATE_LIMIT"  # set by `sikro serve --rate-limit` for its worker processes
# Longer than any token we sign (QR version 13 holds < 400 characters): not worth decoding.
MAX_TOKEN_CHARS = 1000
MAX_FORM_BYTES = 2048
# Verdicts a genuine, registered document can have; everything else is answered as "not genuine".
SHOWN_STATUSES = ("valid", "revoked", "expired", "void")
# One answer for every code that is not a genuine, registered document of this office: malformed,
# unknown key, altered, forged or unregistered all look exactly alike, so probing the page learns nothing.
NOT_GENUINE = Verdict("invalid", reason="not a genuine code of a document registered by this office",
                      checked_online=True)
_UNSET = object()


# --------------------------------------------------------------------------- page data


@dataclass(frozen=True)
class Office:
    name: str
    regency: str
    timezone: object
    zone_name: str

    @classmethod
    def from_profile(cls, profile: dict) -> "Office":
        office = profile.get("office", {})
        tz = office_timezone(profile)
        return cls(name=office.get("short_name", ""), regency=office.get("regency", ""), timezone=tz,
                   zone_name=i18n.ZONE_NAMES.get(str(tz), ""))


class Pages:
    """Jinja2 templates (autoescaped, strict) and the formatting every page shares."""

    def __init__(self, ws: Workspace, office: Office):
        # An office may restyle a page by putting a template of the same name in <workspace>/web/templates.
        loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(ws.root / "web" / "templates")),
                                      jinja2.FileSystemLoader(str(HERE / "templates"))])
        self.env = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined)
        self.office = office
        self.locales = {lang: Locale.parse(lang) for lang in i18n.WORDS}

    def date(self, day: dt.date | None, lang: str) -> str | None:
        return format_date(day, i18n.DATE_PATTERN, locale=self.locales[lang]) if day else None

    def moment(self, when: dt.datetime, lang: str) -> str:
        local = when.astimezone(self.office.timezone)
        shown = format_datetime(local, i18n.DATETIME_PATTERN[lang], tzinfo=self.office.timezone,
                                locale=self.locales[lang])
        return f"{shown} {self.office.zone_name}".strip()

    def render(self, name: str, lang: str, switch_query: dict | None = None, **context) -> str:
        """The page in `lang`; the language link keeps `switch_query` (never the token: it is in the path)."""
        words = i18n.words(lang)
        switch = urlencode({**(switch_query or {}), "lang": words["switch_lang"]})
        return self.env.get_template(name).render(
            t=words, lang=lang, switch_href=f"?{switch}", office=self.office, **context)


def _language(request: Request) -> str:
    return i18n.language(request.query_params.get("lang"))


def _html(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status)


# --------------------------------------------------------------------------- verdicts


def public_verdict(verdict: Verdict) -> Verdict:
    """What the public may see of a verdict of a QR code: a registered document's, or NOT_GENUINE."""
    return verdict if verdict.status in SHOWN_STATUSES else NOT_GENUINE


def verdict_rows(pages: Pages, verdict: Verdict, lang: str) -> list[tuple[str, str]]:
    """(label, value) of the document's details; never a NIK (a Verdict has none to give)."""
    t = i18n.words(lang)
    rows = [
        (t["field_kind"], i18n.kind_name(verdict.kind, verdict.kind_title, lang)),
        (t["field_number"], verdict.number),
        (t["field_holder"], verdict.holder),
        (t["field_str_number"], verdict.str_number),
        (t["field_workplace"], verdict.workplace),
        (t["field_issued"], pages.date(verdict.issued, lang)),
        (t["field_valid_until"], pages.date(verdict.valid_until, lang)),
        (t["field_issuer"], pages.office.name),
    ]
    if verdict.status == "revoked":
        rows.append((t["field_revoked_at"], pages.date(verdict.revoked_at.date() if verdict.revoked_at else None, lang)))
        rows.append((t["field_revoked_reason"], verdict.reason))
    return [(label, value) for label, value in rows if value]


def render_verdict(pages: Pages, verdict: Verdict, lang: str, *, by_code: str | None = None) -> str:
    """The verdict page; `by_code` (a typed short code) when no signature was checked."""
    t = i18n.words(lang)
    shown = verdict.status if verdict.status in SHOWN_STATUSES else "invalid"
    if shown == "invalid":
        reason = t["reason_not_registered"] if by_code else t["reason_not_genuine"]
        note, rows = None, []
    else:
        reason = None
        rows = verdict_rows(pages, verdict, lang)
        note = t["note_registry"] if by_code else t["note_signature"].format(key_id=verdict.key_id or "")
    return pages.render(
        "verdict.html", lang, switch_query={"k": by_code} if by_code else None,
        status=shown, headline=t[f"verdict_{shown}"], sentence=t[f"sentence_{shown}"], reason=reason,
        rows=rows, note=note, checked_at=pages.moment(dt.datetime.now(dt.timezone.utc), lang))


# --------------------------------------------------------------------------- progress


def standard_time_words(step, lang: str) -> str | None:
    if not step.standard_text:
        return None
    if lang == "id":
        return step.standard_text
    t = i18n.words(lang)
    if step.standard_days:
        return f"{step.standard_days:g} {t['unit_hari']}"
    if step.standard_minutes % 60 == 0:
        return f"{step.standard_minutes / 60:g} {t['unit_jam']}"
    return f"{step.standard_minutes:g} {t['unit_menit']}"


def step_words(step, lang: str) -> str:
    t = i18n.words(lang)
    if step.number is None:
        return t["step_not_started"]
    label = t["step_unknown"].format(number=step.number)
    return f"{label}: {step.activity}" if step.activity else label


def render_progress(pages: Pages, progress, lang: str) -> str:
    t = i18n.words(lang)
    step = progress.step
    role = step.role_english if lang == "en" and step.role_english else step.role_name
    rows = [
        (t["field_registration"], progress.registration_number),
        (t["field_applicant"], progress.name),
        (t["field_application_date"], pages.date(progress.application_date, lang)),
        (t["field_status"], t.get(f"status_{progress.status}", t["status_unknown"])),
        (t["field_step"], step_words(step, lang)),
        (t["field_role"], role),
        (t["field_standard_time"], standard_time_words(step, lang)),
    ]
    return pages.render("progress.html", lang, rows=[(k, v) for k, v in rows if v],
                        checked_at=pages.moment(dt.datetime.now(dt.timezone.utc), lang))


# --------------------------------------------------------------------------- the application


class VerificationSite:
    """The routes' handlers around one workspace, loaded once."""

    def __init__(self, ws: Workspace):
        self.ws = ws
        self.pages = Pages(ws, Office.from_profile(ws.profile))
        self.sop = SopGuide(ws)
        db.migrate_once(ws)  # at start: no request ever runs a migration
        self.inline = inline_database(ws)

    async def blocking(self, func, *args):
        """Run database work: inline for SQLite, else in a worker thread (see inline_database)."""
        if self.inline:
            return func(*args)
        return await run_in_threadpool(func, *args)

    # --- database work (each call one read-only session; see `blocking` for where it runs)

    def _judge_token(self, token: str) -> Verdict:
        if len(token) > MAX_TOKEN_CHARS:
            return NOT_GENUINE
        with db.session(self.ws) as session:
            return public_verdict(verify_token(self.ws, token, online=True, session=session))

    def _judge_receipt(self, token: str):
        """(verdict, progress): progress only for a genuine receipt in force."""
        if len(token) > MAX_TOKEN_CHARS:
            return NOT_GENUINE, None
        with db.session(self.ws) as session:
            verdict = public_verdict(verify_token(self.ws, token, online=True, session=session))
            if verdict.status != "valid" or verdict.kind not in PROGRESS_KINDS:
                return verdict, None
            return verdict, progress_of(session, self.sop, verdict.document_uid)

    def _judge_uid(self, uid: str) -> Verdict:
        with db.session(self.ws) as session:
            return verify_uid(self.ws, uid, session=session)

    def _database_answers(self) -> bool:
        try:
            with db.session(self.ws) as session:
                session.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 — any failure means: not healthy; the details go to the log only
            log.warning("health check: the database does not answer", exc_info=True)
            return False

    # --- routes

    async def landing(self, request: Request) -> Response:
        lang = _language(request)
        return _html(self.pages.render("index.html", lang, code="", error=None))

    async def verify_page(self, request: Request) -> Response:
        verdict = await self.blocking(self._judge_token, request.path_params["token"])
        return _html(render_verdict(self.pages, verdict, _language(request)))

    async def progress_page(self, request: Request) -> Response:
        token = request.path_params["token"]
        verdict, progress = await self.blocking(self._judge_receipt, token)
        lang = _language(request)
        if verdict.status == "valid" and verdict.kind not in PROGRESS_KINDS:
            # a document's code opened as a receipt's: its own page says what it is
            return RedirectResponse(f"/V/{token.upper()}?lang={lang}", status_code=303)
        if progress is None:
            return _html(render_verdict(self.pages, verdict, lang))
        return _html(render_progress(self.pages, progress, lang))

    async def code_page(self, request: Request) -> Response:
        lang = _language(request)
        typed = request.query_params.get("k")
        if request.method == "POST":
            form = await _small_form(request)
            typed, lang = form.get("k", ""), i18n.language(form.get("lang"))
        if typed is None:
            return _html(self.pages.render("kode.html", lang, code="", error=None))
        uid = uid_from_short_code(typed)
        if uid is None:
            error = i18n.words(lang)["code_malformed"]
            return _html(self.pages.render("kode.html", lang, code=typed[:40], error=error), status=400)
        verdict = await self.blocking(self._judge_uid, uid)
        return _html(render_verdict(self.pages, verdict, lang, by_code=short_code(uid)))

    async def verify_api(self, request: Request) -> Response:
        verdict = await self.blocking(self._judge_token, request.path_params["token"])
        return JSONResponse(verdict.as_json(), headers={"access-control-allow-origin": "*"})

    async def keys(self, request: Request) -> Response:
        try:
            data = await run_in_threadpool(export_public_keys, self.ws)
        except SikroError:
            return JSONResponse({"status": "unavailable"}, status_code=503)
        # Offline verifiers fetch this now and then; a rotation is picked up within the hour.
        return JSONResponse(data, headers={"cache-control": "public, max-age=3600",
                                           "access-control-allow-origin": "*"})

    async def healthz(self, request: Request) -> Response:
        ok = await self.blocking(self._database_answers)
        return JSONResponse({"status": "ok" if ok else "error"}, status_code=200 if ok else 503)

    # --- errors

    async def http_error(self, request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"status": "error", "code": exc.status_code}, status_code=exc.status_code)
        lang = _language(request)
        message = i18n.words(lang).get(f"error_{exc.status_code}", i18n.words(lang)["error_other"])
        body = self.pages.render("error.html", lang, messages=[message])
        return _html(body, status=exc.status_code)

    def bilingual_error(self, status: int) -> bytes:
        """The page of an error answered before any language is known (429, 500): both languages."""
        messages = [i18n.words(lang)[f"error_{status}"] for lang in i18n.WORDS]
        return self.pages.render("error.html", i18n.DEFAULT_LANGUAGE, messages=messages).encode("utf-8")

    def routes(self) -> list:
        routes = [Route("/", self.landing), Route("/healthz", self.healthz),
                  Route("/kode", self.code_page, methods=["GET", "POST"]),
                  Route("/api/v1/verify/{token}", self.verify_api),
                  Route("/.well-known/sikro-keys.json", self.keys),
                  Mount("/static", StaticFiles(directory=HERE / "static"), name="static")]
        for prefix in ("V", "v"):
            routes.append(Route(f"/{prefix}/{{token}}", self.verify_page))
        for prefix in ("P", "p"):
            routes.append(Route(f"/{prefix}/{{token}}", self.progress_page))
        return routes


def inline_database(ws: Workspace) -> bool:
    """True for SQLite in WAL mode: a read there is a local file read of well under a millisecond
    that never waits for a writer, so the thread hop would cost more than it saves. A server
    database (PostgreSQL) answers over the network: its queries run in worker threads.
    $SIKRO_WEB_THREADS=1 forces threads (the benchmark compares both)."""
    if os.environ.get("SIKRO_WEB_THREADS") == "1":
        return False
    return db.engine_for(ws).dialect.name == "sqlite"


async def _small_form(request: Request) -> dict[str, str]:
    """The fields of a url-encoded form of at most MAX_FORM_BYTES (413 beyond)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise HTTPException(413)
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return {}
    fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=10)
    return {name: values[0] for name, values in fields.items()}


def rate_limit_setting(ws: Workspace, explicit=_UNSET) -> RateLimit | None:
    """The explicit setting ("30/10s", "off", a RateLimit or None), else $SIKRO_WEB_RATE_LIMIT,
    else the profile's `[web] rate_limit`, else 30 per 10 s. Only "off"/None disables it."""
    if explicit is _UNSET:
        explicit = os.environ.get(RATE_LIMIT_ENV) or ws.profile.get("web", {}).get("rate_limit") or DEFAULT_RATE_LIMIT
    if explicit is None or isinstance(explicit, RateLimit):
        return explicit
    try:
        return RateLimit.parse(str(explicit))
    except ValueError as exc:
        raise SikroError(f"[web] rate_limit: {exc}") from None


def create_app(ws: Workspace, *, rate_limit=_UNSET):
    """The verification site of `ws` as an ASGI app (see the module docstring for its routes)."""
    site = VerificationSite(ws)
    server_error = site.bilingual_error(500)

    async def on_crash(request: Request, exc: Exception) -> Response:
        return Response(server_error, status_code=500, media_type="text/html; charset=utf-8")

    app = Starlette(routes=site.routes(),
                    exception_handlers={HTTPException: site.http_error, Exception: on_crash})
    limit = rate_limit_setting(ws, rate_limit)
    too_many_json = json.dumps({"status": "error", "code": 429}).encode()
    return Guard(app, limiter=TokenBucketLimiter(limit) if limit else None,
                 too_many_html=site.bilingual_error(429), too_many_json=too_many_json,
                 server_error_html=server_error)


def app_from_environment():
    """The app factory uvicorn's worker processes call (`sikro serve` sets $SIKRO_WORKSPACE)."""
    return create_app(open_workspace(None))
