"""Reading a url-encoded form within bounds (the public site's short-code form, the console's forms).

The body's size is bounded before this by the Guard (security.py: 413); the
number of fields here (400 beyond). No multipart: neither site takes a file
this way.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.exceptions import HTTPException
from starlette.requests import Request

FORM_TYPE = "application/x-www-form-urlencoded"


async def form_fields(request: Request, max_fields: int) -> dict[str, list[str]]:
    """Every field of a url-encoded form with all its values ({} for another content type);
    HTTPException(400) beyond `max_fields`."""
    body = b""
    async for chunk in request.stream():
        body += chunk
    if not request.headers.get("content-type", "").startswith(FORM_TYPE):
        return {}
    try:
        return parse_qs(body.decode("utf-8", "replace"), max_num_fields=max_fields, keep_blank_values=True)
    except ValueError:  # more fields than max_fields: not our form
        raise HTTPException(400) from None
