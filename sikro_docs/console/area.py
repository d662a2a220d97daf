"""An area of the staff console: its pages, its menu entry, its JSON API and its words.

The console (app.py) is a list of areas (AREAS there); each area is one module
that knows one part of the office's work (intake, documents, registers, the
archive, the dashboard, …) and nothing of the others:

    class Registers(Area):
        name = "registers"
        words = {"id": {...}, "en": {...}}          # merged into i18n.WORDS at start
        menu = [MenuItem("nav_registers", "/registers", VIEW_REGISTERS)]

        def pages(self):                            # Starlette routes, each behind the console's guard
            return [self.page("/registers", self.index, VIEW_REGISTERS)]

        def endpoints(self):                        # the JSON API (tokens), described in /api/v1/openapi.json
            return [Endpoint("GET", "/api/v1/registers", self.api_index, VIEW_REGISTERS, "The registers")]

A page handler takes a Ctx (the request, language, signed-in user, form) and
answers a Response; `self.console.page(ctx, template, **context)` renders a
template with the console's frame. An endpoint's handler takes an ApiCall and
answers JSON-able data, or raises ApiRefusal(status, code) for a 4xx answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.routing import Route

if TYPE_CHECKING:
    from ..accounts import SignedIn
    from .app import Console


@dataclass(frozen=True)
class MenuItem:
    """An entry of the menu: shown to a user whose roles have `permission`; current under `prefix`."""

    label: str  # a key of the console's words
    href: str
    permission: str | None
    prefix: str | None = None  # the paths it is current for (default: href and below)

    def current(self, path: str) -> bool:
        prefix = self.prefix or self.href
        return path == self.href or (prefix != "/" and path.startswith(prefix.rstrip("/") + "/"))


@dataclass
class ApiCall:
    """One call of the JSON API as an endpoint's handler sees it."""

    who: SignedIn
    path: dict[str, Any]
    query: dict[str, str]
    body: Any  # the JSON body of a POST (None for a GET)
    lang: str = "en"


@dataclass(frozen=True)
class ApiAnswer:
    """An endpoint's answer with a status other than 200 (201: something was made)."""

    status: int
    body: Any


class ApiRefusal(Exception):
    """An API answer of 4xx: `{"status": "error", "code": status, "error": code, ...values}`."""

    def __init__(self, status: int, code: str, **values):
        super().__init__(code)
        self.status, self.code, self.values = status, code, values


@dataclass(frozen=True)
class Endpoint:
    method: str  # GET | POST | PATCH (a POST's and a PATCH's body is JSON)
    path: str  # Starlette's path syntax: /api/v1/applications/{app_id:int}
    handler: Callable[[ApiCall], Any]
    permission: str | None
    summary: str  # English: the OpenAPI description's line
    body: dict | None = None  # the JSON Schema of a POST's body, for the description
    returns: str = "object"  # what it answers, in words, for the description
    tags: tuple[str, ...] = field(default=())
    status: int = 200  # the status of its answer (a handler answers ApiAnswer for another than 200)
    refusals: tuple[tuple[int, str], ...] = ()  # (status, what it means) of its own 4xx answers


class Area:
    """The base of an area: no pages, no menu, no API, no words."""

    name = "area"
    words: dict[str, dict[str, str]] = {}
    errors: dict[str, dict[str, str]] = {}  # the words of library error codes, per language
    menu: list[MenuItem] = []
    upload_paths: tuple[str, ...] = ()  # path prefixes whose POSTs take files (up to [limits.console] upload_bytes)

    def __init__(self, console: Console):
        self.console = console
        self.ws = console.ws
        self.book = console.book

    def pages(self) -> list[Route]:
        return []

    def endpoints(self) -> list[Endpoint]:
        return []

    def page(self, path: str, handler, permission: str | None, methods=("GET",), files: int = 0) -> Route:
        """A route to `handler` behind the console's guard (session, CSRF on POST, `permission`);
        `files`: a POST may carry up to that many files (ctx.upload; list the path in upload_paths)."""
        return Route(path, self.console.guarded(handler, permission=permission, files=files), methods=list(methods))
