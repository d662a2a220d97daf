"""The staff console: the office works the SOP in a browser, each person in their roles.

    create_app(ws) -> ASGI app         (`sikro console`; never the public verification site)

Routes (every page but /login, /healthz and /static needs a session; without
one a page redirects to /login, the API answers 401):

    GET  /login, POST /login          sign in (a new session id every time)
    POST /logout                      sign out
    GET  /                            the inbox: applications waiting on a step of the user's roles, tiles
    GET  /applications/{id}           data (NIK masked), checklist, documents, history, the user's steps
    POST /applications/{id}/steps     record a step (403 for a step another role records)
    GET  /applications/{id}/documents/{doc}   a document's PDF
    GET  /account/password, POST      change one's own password (first: a temporary one must be changed)
    GET  /admin/users, POST           the accounts (role with users.manage only), add a user
    GET  /admin/users/{name}, POST /admin/users/{name}/{action}   roles, disable, enable, reset, unlock, end sessions
    GET  /A/BOX/{box}  /a/box/{box}   what an archive box holds (archive.boxes: Arsiparis, Admin)
    GET  /api/v1/me, /api/v1/inbox, /api/v1/users   JSON, `Authorization: Bearer <API token>` only
    GET  /healthz

Every POST needs the form's CSRF token (403 without). What each role may do
comes from the data (accounts.roles): the SOP's steps from data/sop.toml, the
rest from data/roles.toml. Every change is recorded with the signed-in user.
Pages are Bahasa Indonesia, `?lang=en` switches (remembered in a cookie).

Each request's work (the database, Argon2, recording a step) runs in a worker
thread: the event loop only reads requests and writes answers.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .. import accounts, clock, db
from ..accounts import MANAGE_USERS, SEE_BOXES, VIEW_APPLICATIONS, AccountError, AccountPolicy, SignedIn, audit
from ..errors import SikroError
from ..models import Application
from ..procedure import perform_step
from ..web.forms import form_fields
from ..web.rate_table import RateTable
from ..web.security import Answers, Guard
from ..workspace import Workspace, open_workspace
from . import auth, i18n
from .api import api_routes
from .application import application_page, document_pdf
from .area import ApiCall, Area, Endpoint
from .area_applications import ApplicationsArea
from .area_archive import ArchiveArea
from .area_archive_disposal import ArchiveDisposalArea
from .area_archive_scans import ArchiveScansArea
from .area_dashboard import DashboardArea
from .area_documents import DocumentsArea
from .area_intake import IntakeArea
from .area_intake_form import IntakeFormArea
from .area_jobs import JobsArea
from .area_registers import RegistersArea
from .area_tokens import TokensArea
from .boxes import MAX_BOX_CHARS, box_folders, box_view
from .inbox import MAX_PAGE, TILES, inbox_of
from .pages import HERE, Pages
from .settings import console_settings
from .uploads import Upload, received

log = logging.getLogger("sikro.console")
# The console's areas, in the menu's order (area.py): each one module, its pages, API and words.
AREAS: list[type[Area]] = [ApplicationsArea, IntakeArea, IntakeFormArea, DocumentsArea, RegistersArea, ArchiveArea,
                            ArchiveScansArea, ArchiveDisposalArea, DashboardArea, JobsArea, TokensArea]
# The console's own scripts (static/htmx-2.0.11.min.js) and nothing else: no inline script.
CONSOLE_CSP = ("default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; "
               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
HOME, LOGIN, PASSWORD = "/", "/login", "/account/password"
FIELD_CHARS = 2000  # the longest value of a form field (a reason, a note: the textareas' maxlength)
MAX_ID = 2**62  # a row id beyond what the database holds is no row (and never reaches it)


@dataclass
class Ctx:
    """One request as a handler sees it."""

    request: Request
    lang: str
    who: SignedIn | None
    form: dict[str, list[str]]
    upload: Upload | None = None  # the files of a multipart POST to a page that takes files

    def field(self, name: str) -> str:
        return ((self.form.get(name) or [""])[0] or "").strip()

    def fields(self, name: str) -> list[str]:
        return [v.strip() for v in self.form.get(name, []) if v.strip()]


class Console:
    """The routes' handlers around one workspace, loaded once."""

    def __init__(self, ws: Workspace):
        self.ws = ws
        db.migrate_once(ws)  # at start: no request ever runs a migration
        self.book = accounts.role_book(ws)
        self.policy = AccountPolicy.from_profile(ws.profile)
        self.settings = console_settings(ws.profile)
        self.pages = Pages(ws)
        self.areas = [area(self) for area in AREAS]
        for area in self.areas:
            i18n.add_words(area.name, area.words, area.errors)

    # ----------------------------------------------------------------- answering

    def language(self, request: Request) -> str:
        return (i18n.language(request.query_params.get("lang"))
                or i18n.language(auth.cookie(request, auth.LANG_COOKIE)) or i18n.DEFAULT_LANGUAGE)

    def page(self, ctx: Ctx, template: str, http_status: int = 200, /, **context) -> HTMLResponse:
        t = i18n.words(ctx.lang)
        query = {k: v for k, v in ctx.request.query_params.items() if k != "lang"}
        switch = urlencode({**query, "lang": t["switch_lang"]})
        who = ctx.who
        path = context.pop("switch_path", None) or ctx.request.url.path  # a POST's answer switches to its page
        body = self.pages.render(
            template, t=t, lang=ctx.lang, fmt=self.pages.formatter(ctx.lang), who=who, book=self.book,
            switch_href=f"{path}?{switch}",
            csrf=auth.csrf_token(self.ws, who.credential) if who and who.via == "session" else "",
            nav=self.nav(ctx), **context)
        return HTMLResponse(body, status_code=http_status)

    def nav(self, ctx: Ctx) -> list[tuple[str, str, bool]]:
        """(label, href, current) of the menu the signed-in user may use."""
        if ctx.who is None or ctx.who.must_change_password:
            return []
        t, path = i18n.words(ctx.lang), ctx.request.url.path
        items = []
        if self.book.may(ctx.who.roles, VIEW_APPLICATIONS):
            items.append((t["nav_inbox"], HOME, path == HOME))
        if self.book.may(ctx.who.roles, MANAGE_USERS):
            items.append((t["nav_users"], "/admin/users", path.startswith("/admin/")))
        for area in self.areas:
            items += [(t[m.label], m.href, m.current(path)) for m in area.menu
                      if m.permission is None or self.book.may(ctx.who.roles, m.permission)]
        items.append((t["nav_password"], PASSWORD, path == PASSWORD))
        return items

    def error_page(self, ctx: Ctx, status: int, message: str | None = None) -> HTMLResponse:
        t = i18n.words(ctx.lang)
        return self.page(ctx, "error.html", status, messages=[message or t.get(f"error_{status}", t["error_other"])])

    def secure(self, request: Request) -> bool:
        mode = self.settings.secure_cookies
        return mode == "always" or (mode == "auto" and auth.over_https(request, self.settings.proxies))

    def set_cookie(self, response: Response, request: Request, name: str, value: str, max_age: int | None = None):
        response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="lax",
                            secure=self.secure(request))

    def _remember_language(self, request: Request, response: Response) -> Response:
        chosen = i18n.language(request.query_params.get("lang"))
        if chosen and chosen != auth.cookie(request, auth.LANG_COOKIE):
            self.set_cookie(response, request, auth.LANG_COOKIE, chosen, max_age=365 * 24 * 3600)
        return response

    # ----------------------------------------------------------------- the guard of every page

    def guarded(self, handler: Callable[[Ctx], Response], *, permission: str | None = None,
                password_page: bool = False, files: int = 0):
        """An endpoint that signs the request in, asks for `permission`, checks a POST's CSRF token,
        then runs `handler` (in a worker thread). With `files`, a POST may be multipart with up to
        that many files (uploads.py): the handler finds them in `ctx.upload`."""

        async def endpoint(request: Request) -> Response:
            if request.method == "POST" and files and \
                    request.headers.get("content-type", "").startswith("multipart/form-data"):
                async with received(self.ws, request, max_files=files,
                                    max_fields=self.settings.form_fields) as upload:
                    response = await run_in_threadpool(self._answer, request, upload.fields, handler, permission,
                                                       password_page, upload)
            else:
                form = await self.read_form(request) if request.method == "POST" else {}
                response = await run_in_threadpool(self._answer, request, form, handler, permission, password_page)
            return self._remember_language(request, response)

        return endpoint

    def _answer(self, request, form, handler, permission, password_page, upload=None) -> Response:
        lang = self.language(request)
        who = accounts.session_user(self.ws, auth.cookie(request, auth.SESSION_COOKIE), self.policy)
        ctx = Ctx(request, lang, who, form, upload)
        if who is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            where = LOGIN if request.method != "GET" or target == HOME else f"{LOGIN}?{urlencode({'next': target})}"
            response = RedirectResponse(where, status_code=303)
            if auth.cookie(request, auth.SESSION_COOKIE):
                response.delete_cookie(auth.SESSION_COOKIE, path="/")
            return response
        if request.method == "POST" and not (auth.same_origin(request) and
                                             auth.token_matches(auth.csrf_token(self.ws, who.credential), form)):
            return self.error_page(ctx, 403, i18n.words(lang)["error_403_csrf"])
        if who.must_change_password and not password_page:
            return RedirectResponse(PASSWORD, status_code=303)
        if permission and not self.book.may(who.roles, permission):
            return self.error_page(ctx, 403)
        return handler(ctx)

    async def read_form(self, request: Request) -> dict[str, list[str]]:
        """The form's fields; 400 for a value longer than any field of the console takes (a form's
        textarea stops at FIELD_CHARS: a longer one was not typed into it), or holding a NUL (no
        field takes one, and PostgreSQL refuses to store it)."""
        form = await form_fields(request, self.settings.form_fields)
        if any(len(value) > FIELD_CHARS or "\x00" in value for values in form.values() for value in values):
            raise HTTPException(400)
        return form

    # ----------------------------------------------------------------- sign in and out

    async def login(self, request: Request) -> Response:
        form = await self.read_form(request) if request.method == "POST" else {}
        response = await run_in_threadpool(self._login, request, form)
        return self._remember_language(request, response)

    def _login(self, request: Request, form: dict) -> Response:
        lang = self.language(request)
        ctx = Ctx(request, lang, None, form)
        target = auth.safe_next(request.query_params.get("next") or ctx.field("next"))
        if request.method == "GET":  # the form even when a session cookie is there: signing in replaces it
            return self._login_form(ctx, target)
        nonce = auth.cookie(request, auth.LOGIN_COOKIE)
        if not (nonce and auth.same_origin(request) and auth.token_matches(auth.login_token(self.ws, nonce), form)):
            return self.error_page(ctx, 403, i18n.words(lang)["error_403_csrf"])
        try:
            signed = accounts.sign_in(self.ws, ctx.field("username"), (form.get("password") or [""])[0],
                                      auth.client_of(request, self.settings.proxies),
                                      replacing=auth.cookie(request, auth.SESSION_COOKIE))
        except AccountError as err:
            status = 429 if err.code in ("login.locked", "login.throttled") else 401
            return self._login_form(ctx, target, error=i18n.error_words(err, lang), status=status,
                                    username=ctx.field("username")[:64])
        response = RedirectResponse(PASSWORD if signed.who.must_change_password else target, status_code=303)
        self.set_cookie(response, request, auth.SESSION_COOKIE, signed.token)
        response.delete_cookie(auth.LOGIN_COOKIE, path="/")
        return response

    def _login_form(self, ctx: Ctx, target: str, *, error: str | None = None, status: int = 200,
                    username: str = "") -> Response:
        nonce = auth.new_nonce()
        t = i18n.words(ctx.lang)
        notice = t["login_bye"] if ctx.request.query_params.get("bye") else (
            t["login_expired"] if target != HOME else None)
        response = self.page(ctx, "login.html", status, login_csrf=auth.login_token(self.ws, nonce), next=target,
                             error=error, notice=notice, username=username)
        self.set_cookie(response, ctx.request, auth.LOGIN_COOKIE, nonce, max_age=auth.LOGIN_NONCE_SECONDS)
        return response

    def logout(self, ctx: Ctx) -> Response:
        ended = accounts.end_session(self.ws, auth.cookie(ctx.request, auth.SESSION_COOKIE), "logout")
        if ended:
            with db.session(self.ws, write=True) as session:
                user = session.get(accounts.User, ended.user_id)
                audit.record(session, self.ws, user, "logout", user.username, chained=False)
        response = RedirectResponse(f"{LOGIN}?bye=1", status_code=303)
        response.delete_cookie(auth.SESSION_COOKIE, path="/")
        return response

    # ----------------------------------------------------------------- the inbox

    def inbox(self, ctx: Ctx) -> Response:
        tile, page = _inbox_params(ctx.request.query_params)
        box = inbox_of(self.ws, self.book, ctx.who, tile=tile, page=page)
        roles = ", ".join(self.book.name(r, ctx.lang) for r in ctx.who.roles)
        return self.page(ctx, "inbox.html", inbox=box, rows=box.rows, tile=tile, tiles=TILES, roles=roles)

    # ----------------------------------------------------------------- an application

    def application(self, ctx: Ctx, *, status: int = 200, problem: str | None = None) -> Response:
        app_id = ctx.request.path_params["app_id"]
        if app_id > MAX_ID:
            return self.error_page(ctx, 404)
        data = application_page(self.ws, self.book, ctx.who, app_id, self.pages.formatter(ctx.lang))
        if data is None:
            return self.error_page(ctx, 404)
        done = ctx.request.query_params.get("done")
        return self.page(ctx, "application.html", status, **data, problem=problem, events=i18n.EVENTS[ctx.lang],
                         done=done if done and done.isdigit() else None, switch_path=f"/applications/{app_id}")

    def record(self, ctx: Ctx) -> Response:
        """Record a step: only one the user's roles record (else 403), through the workflow library."""
        t = i18n.words(ctx.lang)
        app_id = ctx.request.path_params["app_id"]
        number = ctx.field("step")
        if not number.isdigit() or len(number) > 4:
            return self.error_page(ctx, 400)
        if app_id > MAX_ID:
            return self.error_page(ctx, 404)
        number = int(number)
        if not self.book.may_record(ctx.who.roles, number):
            return self.error_page(ctx, 403)
        step = self.book.sop.step(number)
        decision = ctx.field("decision") or None
        reason = ctx.field("reason") or None
        problem = None
        if step.decision and decision not in ("approve", "reject"):
            problem = t["need_decision"]
        elif decision == "reject" and not reason:
            problem = t["need_reason"]
        elif step.task and ctx.field("confirm") != "yes":
            problem = t["need_confirm"]
        if problem:
            return self.application(ctx, status=400, problem=problem)
        try:
            with db.session(self.ws) as session:
                if session.get(Application, app_id) is None:
                    return self.error_page(ctx, 404)
            perform_step(self.ws, app_id, number, by=ctx.who.username,
                         decision=decision if step.decision else None,
                         reason=reason if step.decision else None, note=ctx.field("note") or None,
                         recommendation=(ctx.field("recommendation") or None) if step.decision else None)
        except SikroError as err:
            return self.application(ctx, status=409, problem=t["step_refused"].format(why=i18n.error_words(err, ctx.lang)))
        return RedirectResponse(f"/applications/{app_id}?done={number}", status_code=303)

    def document(self, ctx: Ctx) -> Response:
        app_id, doc_id = ctx.request.path_params["app_id"], ctx.request.path_params["doc_id"]
        path = document_pdf(self.ws, app_id, doc_id) if max(app_id, doc_id) <= MAX_ID else None
        if path is None:
            return self.error_page(ctx, 404)
        return FileResponse(path, media_type="application/pdf", filename=path.name,
                            content_disposition_type="attachment")

    # ----------------------------------------------------------------- one's own password

    def password(self, ctx: Ctx) -> Response:
        minimum = self.policy.password_min
        if ctx.request.method == "GET":
            return self.page(ctx, "password.html", minimum=minimum, error=None, changed=False)
        token = auth.cookie(ctx.request, auth.SESSION_COOKIE)
        try:
            accounts.change_own_password(self.ws, ctx.who.user_id, (ctx.form.get("current") or [""])[0],
                                         (ctx.form.get("new") or [""])[0], (ctx.form.get("repeat") or [""])[0],
                                         keep=ctx.who.credential)
        except AccountError as err:
            return self.page(ctx, "password.html", 400, minimum=minimum, error=i18n.error_words(err, ctx.lang),
                             changed=False)
        # a new session id after the change, too: the old one ends
        fresh = accounts.rotate_session(self.ws, token, auth.client_of(ctx.request, self.settings.proxies), self.policy)
        who = accounts.session_user(self.ws, fresh, self.policy)
        response = self.page(dataclasses.replace(ctx, who=who), "password.html", minimum=minimum, error=None,
                             changed=True)
        if fresh:
            self.set_cookie(response, ctx.request, auth.SESSION_COOKIE, fresh)
        return response

    # ----------------------------------------------------------------- admin: the accounts

    def users(self, ctx: Ctx, *, status: int = 200, error: str | None = None, values: dict | None = None) -> Response:
        if ctx.request.method == "POST" and error is None:
            return self.add_user(ctx)
        return self.page(ctx, "users.html", status, users=accounts.list_users(self.ws), error=error,
                         values=values or {"username": "", "name": "", "roles": []})

    def add_user(self, ctx: Ctx) -> Response:
        values = {"username": ctx.field("username"), "name": ctx.field("name"), "roles": ctx.fields("roles")}
        password = accounts.one_time_password()
        try:
            made = accounts.add_user(self.ws, values["username"], values["name"], values["roles"], password,
                                     actor=ctx.who.username, temporary=True)
        except AccountError as err:
            return self.users(ctx, status=400, error=i18n.error_words(err, ctx.lang), values=values)
        return self.page(ctx, "one_time.html", user=made, password=password)

    def user(self, ctx: Ctx, *, status: int = 200, message: str | None = None, error: str | None = None) -> Response:
        try:
            view = accounts.user_view(self.ws, ctx.request.path_params["username"])
        except AccountError:
            return self.error_page(ctx, 404)
        steps = self.book.steps_of(view.roles)
        return self.page(ctx, "user.html", status, user=view, steps=steps, message=message, error=error,
                         switch_path=f"/admin/users/{view.username}")

    def user_action(self, ctx: Ctx) -> Response:
        t = i18n.words(ctx.lang)
        username, action = ctx.request.path_params["username"], ctx.request.path_params["action"]
        actor = ctx.who.username
        try:
            if action == "roles":
                accounts.change_roles(self.ws, username, actor=actor, set_to=ctx.fields("roles"))
            elif action == "disable":
                accounts.disable_user(self.ws, username, actor=actor)
            elif action == "enable":
                accounts.enable_user(self.ws, username, actor=actor)
            elif action == "unlock":
                accounts.unlock_user(self.ws, username, actor=actor)
            elif action == "end-sessions":
                ended = accounts.end_all_sessions(self.ws, username, actor=actor)
                return self.user(ctx, message=t["user_sessions_ended"].format(count=ended))
            elif action == "reset":
                password = accounts.one_time_password()
                made = accounts.set_password(self.ws, username, password, actor=actor, temporary=True)
                return self.page(ctx, "one_time.html", user=made, password=password)
            else:
                return self.error_page(ctx, 404)
        except AccountError as err:
            if err.code == "account.unknown":
                return self.error_page(ctx, 404)
            return self.user(ctx, status=400, error=i18n.error_words(err, ctx.lang))
        return self.user(ctx, message=t["user_saved"])

    # ----------------------------------------------------------------- archive boxes

    def box(self, ctx: Ctx) -> Response:
        box = ctx.request.path_params["box"]
        folders = box_folders(self.ws, box)
        t = i18n.words(ctx.lang)
        if not folders:
            return self.error_page(ctx, 404, t["box_not_found"].format(box=box[:MAX_BOX_CHARS]))
        return self.page(ctx, "box.html", **box_view(box, folders, t), checked_at=clock.utcnow())

    # ----------------------------------------------------------------- the JSON API (API tokens only: api.py)

    def api_me(self, call: ApiCall) -> dict:
        who = call.who
        return {"username": who.username, "display_name": who.display_name, "roles": list(who.roles),
                "steps": [s.number for s in self.book.steps_of(who.roles)]}

    def api_inbox(self, call: ApiCall) -> dict:
        tile, page = _inbox_params(call.query)
        box = inbox_of(self.ws, self.book, call.who, tile=tile, page=page)
        rows = [{k: v for k, v in row.items() if k != "tiles"} | {"tiles": sorted(row["tiles"])} for row in box.rows]
        return {"counts": box.counts, "page": box.page, "pages": box.pages, "applications": rows}

    def api_users(self, call: ApiCall) -> list:
        return [u.as_json() for u in accounts.list_users(self.ws)]

    # ----------------------------------------------------------------- the rest

    async def healthz(self, request: Request) -> Response:
        ok = await run_in_threadpool(self._database_answers)
        return JSONResponse({"status": "ok" if ok else "error"}, status_code=200 if ok else 503)

    def _database_answers(self) -> bool:
        try:
            with db.session(self.ws) as session:
                session.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 — any failure means: not healthy; the details go to the log only
            log.warning("health check: the database does not answer", exc_info=True)
            return False

    async def http_error(self, request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"status": "error", "code": exc.status_code}, status_code=exc.status_code)
        ctx = Ctx(request, self.language(request), None, {})
        response = self.error_page(ctx, exc.status_code)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    async def client_gone(self, request: Request, exc: ClientDisconnect) -> Response:
        log.warning("client went away during %s %s", request.method, request.url.path[:40])
        return Response(status_code=400)

    def bilingual_error(self, status: int) -> bytes:
        """The page of an error answered before any language is known (429, 500): both languages."""
        messages = [i18n.words(lang)[f"error_{status}"] for lang in i18n.WORDS]
        return self.pages.render("error.html", t=i18n.words(i18n.DEFAULT_LANGUAGE), lang=i18n.DEFAULT_LANGUAGE,
                                 fmt=self.pages.formatter(i18n.DEFAULT_LANGUAGE), who=None, book=self.book,
                                 switch_href="?lang=en", csrf="", nav=[], messages=messages).encode("utf-8")

    def routes(self) -> list:
        page = self.guarded
        routes = [
            Route(LOGIN, self.login, methods=["GET", "POST"]),
            Route("/logout", page(self.logout, password_page=True), methods=["POST"]),
            Route(HOME, page(self.inbox, permission=VIEW_APPLICATIONS)),
            Route("/applications/{app_id:int}", page(self.application, permission=VIEW_APPLICATIONS)),
            Route("/applications/{app_id:int}/steps", page(self.record, permission=VIEW_APPLICATIONS),
                  methods=["POST"]),
            Route("/applications/{app_id:int}/documents/{doc_id:int}",
                  page(self.document, permission=VIEW_APPLICATIONS)),
            Route(PASSWORD, page(self.password, password_page=True), methods=["GET", "POST"]),
            Route("/admin/users", page(self.users, permission=MANAGE_USERS), methods=["GET", "POST"]),
            Route("/admin/users/{username}", page(self.user, permission=MANAGE_USERS)),
            Route("/admin/users/{username}/{action}", page(self.user_action, permission=MANAGE_USERS),
                  methods=["POST"]),
        ]
        for prefix in ("A/BOX", "a/box"):  # the path a box label's QR holds (archive/labels.py)
            routes.append(Route(f"/{prefix}/{{box:path}}", page(self.box, permission=SEE_BOXES)))
        for area in self.areas:
            routes += area.pages()
        routes += api_routes(self, self.endpoints())
        routes += [Route("/healthz", self.healthz),
                   Mount("/static", StaticFiles(directory=HERE / "static"), name="static")]
        return routes

    def endpoints(self) -> list[Endpoint]:
        """The JSON API: the console's own endpoints and every area's."""
        own = [Endpoint("GET", "/api/v1/me", self.api_me, None, "The signed-in user: roles and the SOP steps"),
               Endpoint("GET", "/api/v1/inbox", self.api_inbox, VIEW_APPLICATIONS,
                        "The applications waiting on a step of the user's roles, with the tiles' counts"),
               Endpoint("GET", "/api/v1/users", self.api_users, MANAGE_USERS, "The accounts")]
        return own + [e for area in self.areas for e in area.endpoints()]


def create_app(ws: Workspace):
    """The staff console of `ws` as an ASGI app (see the module docstring for its routes)."""
    console = Console(ws)
    server_error = console.bilingual_error(500)

    async def on_crash(request: Request, exc: Exception) -> Response:
        log.exception("error answering %s %s", request.method, request.url.path[:60])
        return Response(server_error, status_code=500, media_type="text/html; charset=utf-8")

    app = Starlette(routes=console.routes(),
                    exception_handlers={HTTPException: console.http_error, ClientDisconnect: console.client_gone,
                                        Exception: on_crash})
    limit = console.settings.rate_limit
    answers = Answers(too_many_html=console.bilingual_error(429),
                      too_many_json=json.dumps({"status": "error", "code": 429}).encode(),
                      too_large_html=console.bilingual_error(413), bad_request_html=console.bilingual_error(400),
                      server_error_html=server_error)
    return Guard(app, limiter=RateTable.from_environment(limit) if limit else None,
                 proxies=console.settings.proxies, body_bytes=console.settings.body_bytes, answers=answers,
                 csp=CONSOLE_CSP, upload_paths=tuple(p for area in console.areas for p in area.upload_paths),
                 upload_bytes=console.settings.upload_bytes)


def app_from_environment():
    """The app factory uvicorn's worker processes call (`sikro console` sets $SIKRO_WORKSPACE)."""
    return create_app(open_workspace(None))


def _inbox_params(query) -> tuple[str | None, int]:
    """?tile= (one of TILES; "all" is none) and ?page= of the inbox, anything else ignored."""
    tile = query.get("tile")
    page = query.get("page") or ""
    return (tile if tile in TILES and tile != "all" else None,
            int(page) if page.isdigit() and 0 < len(page) <= 6 and 0 < int(page) <= MAX_PAGE else 1)
