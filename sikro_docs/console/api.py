"""The console's JSON API: every area's endpoints behind API tokens, and their OpenAPI description.

    GET /api/v1/openapi.json       the description (no token needed: it holds no data)

A call carries `Authorization: Bearer <API token>` (`sikro users token`, or the
console's token page); without a valid one the answer is 401, without the
endpoint's permission 403. A POST's or PATCH's body is JSON (an object), at most the
console's body bound; a library error is answered 409 with its code and values,
in English — the console's pages word the same errors in Bahasa Indonesia.
No CSRF token: a bearer token is not sent by a browser on its own.
"""

from __future__ import annotations

import json
import re

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .. import __version__, accounts
from ..errors import SikroError
from . import auth
from .area import ApiAnswer, ApiCall, ApiRefusal, Endpoint

OPENAPI_PATH = "/api/v1/openapi.json"
BODY_METHODS = ("POST", "PATCH")
_PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")


def refusal(status: int, code: str, **values) -> JSONResponse:
    return JSONResponse({"status": "error", "code": status, "error": code, **values}, status_code=status,
                        headers={"www-authenticate": 'Bearer realm="sikro console"'} if status == 401 else None)


def api_routes(console, endpoints: list[Endpoint]) -> list[Route]:
    by_path: dict[str, dict[str, Endpoint]] = {}
    for endpoint in endpoints:
        by_path.setdefault(endpoint.path, {})[endpoint.method] = endpoint
    routes = [Route(path, _endpoint(console, methods), methods=list(methods)) for path, methods in by_path.items()]
    description = json.dumps(openapi(endpoints), indent=1).encode()

    async def describe(request: Request) -> Response:
        return Response(description, media_type="application/json")

    return [Route(OPENAPI_PATH, describe), *routes]


def _endpoint(console, methods: dict[str, Endpoint]):
    async def answer(request: Request) -> Response:
        endpoint = methods[request.method]
        body = None
        if request.method in BODY_METHODS:
            raw = await request.body()
            try:
                body = json.loads(raw.decode("utf-8")) if raw.strip() else {}
            except (UnicodeDecodeError, ValueError):
                return refusal(400, "body-not-json")
            if not isinstance(body, dict):
                return refusal(400, "body-not-object")
        return await run_in_threadpool(_call, console, request, endpoint, body)

    return answer


def _call(console, request: Request, endpoint: Endpoint, body) -> Response:
    who = accounts.token_user(console.ws, auth.bearer(request))
    if who is None:
        return refusal(401, "unauthorized")
    if endpoint.permission and not console.book.may(who.roles, endpoint.permission):
        return refusal(403, "forbidden")
    call = ApiCall(who, dict(request.path_params), dict(request.query_params), body)
    try:
        answer = endpoint.handler(call)
        if isinstance(answer, ApiAnswer):
            return JSONResponse(answer.body, status_code=answer.status)
        return JSONResponse(answer)
    except ApiRefusal as refused:
        return refusal(refused.status, refused.code, **refused.values)
    except SikroError as err:
        values = {k: v if isinstance(v, (str, int, float, bool, type(None))) else str(v)
                  for k, v in dict(getattr(err, "values", {}) or {}).items()}
        return refusal(409, getattr(err, "code", "error") or "error", message=str(err), values=values)


def openapi(endpoints: list[Endpoint]) -> dict:
    """An OpenAPI 3.1 description of `endpoints`."""
    paths: dict[str, dict] = {}
    for e in endpoints:
        path = _PARAM.sub(lambda m: "{" + m.group(1) + "}", e.path)
        operation = {
            "summary": e.summary,
            "operationId": f"{e.method.lower()}_{path.strip('/').replace('/', '_').replace('{', '').replace('}', '')}",
            "tags": list(e.tags) or [path.split("/")[3] if path.count("/") >= 3 else "console"],
            "parameters": [{"name": name, "in": "path", "required": True,
                            "schema": {"type": "integer" if kind == "int" else "string"}}
                           for name, kind in _PARAM.findall(e.path)],
            "responses": {str(e.status): {"description": e.returns},
                          "401": {"description": "no valid API token"},
                          "403": {"description": "the token's user lacks the permission"
                                  + (f" {e.permission}" if e.permission else "")}},
            "security": [{"token": []}],
        }
        if e.permission:
            operation["x-permission"] = e.permission
        for status, meaning in e.refusals:
            operation["responses"][str(status)] = {"description": meaning}
        if e.method in BODY_METHODS:
            operation["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": e.body or {"type": "object"}}}}
            operation["responses"]["409"] = {"description": "refused by the library: its error code and values"}
        paths.setdefault(path, {})[e.method.lower()] = operation
    return {"openapi": "3.1.0",
            "info": {"title": "sikro console API", "version": __version__,
                     "description": "The staff console's actions for an office's integrations. Every call but "
                                    "this description needs a user's API token."},
            "components": {"securitySchemes": {"token": {"type": "http", "scheme": "bearer"}}},
            "paths": paths}
