"""One's own API tokens (permission api.tokens): for the office's integrations — a bridge to the
national portal, the queue display at the counter.

    GET  /account/tokens                the user's tokens (name, prefix, created, last used, expiry)
    POST /account/tokens                make one: its text is shown on the answer page once, never again
    POST /account/tokens/{id}/revoke    revoke one of one's own (another user's token is a 404)

A token acts with its user's roles as they are at each call (accounts/tokens.py);
the API it opens is described at /api/v1/openapi.json.
"""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from .. import accounts
from ..accounts.roles import API_TOKENS
from .area import Area, MenuItem

MAX_DAYS = 3650


class TokensArea(Area):
    name = "tokens"
    menu = [MenuItem("nav_tokens", "/account/tokens", API_TOKENS)]
    words = {
        "id": {
            "nav_tokens": "Token API",
            "tokens_heading": "Token API Anda",
            "tokens_intro": "Token API membuka API JSON konsol (dijelaskan di {openapi}) untuk aplikasi kantor, "
                            "dengan peran Anda. Perlakukan seperti kata sandi.",
            "tokens_empty": "Anda belum memiliki token.",
            "token_name": "Nama (untuk apa token ini)", "token_days": "Berlaku (hari; kosong: tanpa batas)",
            "token_make": "Buat token", "token_prefix": "Awalan", "token_created": "Dibuat",
            "token_used": "Terakhir dipakai", "token_expires": "Berakhir", "token_state": "Keadaan",
            "token_revoke": "Cabut", "token_revoked": "Dicabut", "token_active": "Aktif",
            "token_never": "Belum pernah", "token_no_expiry": "Tanpa batas",
            "token_new_heading": "Token baru: {name}",
            "token_new_once": "Salin token ini sekarang. Token tidak akan ditampilkan lagi.",
            "token_bad_days": "Masa berlaku harus bilangan bulat 1 sampai 3650 hari.",
            "token_back": "Kembali ke token Anda",
        },
        "en": {
            "nav_tokens": "API tokens",
            "tokens_heading": "Your API tokens",
            "tokens_intro": "An API token opens the console's JSON API (described at {openapi}) to an office "
                            "application, with your roles. Treat it like a password.",
            "tokens_empty": "You have no tokens yet.",
            "token_name": "Name (what the token is for)", "token_days": "Valid for (days; empty: no limit)",
            "token_make": "Make a token", "token_prefix": "Prefix", "token_created": "Created",
            "token_used": "Last used", "token_expires": "Expires", "token_state": "State",
            "token_revoke": "Revoke", "token_revoked": "Revoked", "token_active": "Active",
            "token_never": "Never", "token_no_expiry": "No limit",
            "token_new_heading": "New token: {name}",
            "token_new_once": "Copy this token now. It will not be shown again.",
            "token_bad_days": "The validity must be a whole number of 1 to 3650 days.",
            "token_back": "Back to your tokens",
        },
    }

    def pages(self):
        return [self.page("/account/tokens", self.index, API_TOKENS, methods=("GET", "POST")),
                self.page("/account/tokens/{token_id:int}/revoke", self.revoke, API_TOKENS, methods=("POST",))]

    def index(self, ctx, *, status: int = 200, error: str | None = None) -> Response:
        if ctx.request.method == "POST" and error is None:
            return self.make(ctx)
        mine = accounts.list_tokens(self.ws, ctx.who.username)
        return self.console.page(ctx, "tokens.html", status, tokens=mine[::-1], error=error,
                                 name=ctx.field("name")[:100])

    def make(self, ctx) -> Response:
        days = ctx.field("days")
        if days and not (days.isdigit() and 1 <= int(days) <= MAX_DAYS):
            from . import i18n

            return self.index(ctx, status=400, error=i18n.words(ctx.lang)["token_bad_days"])
        view, text = accounts.create_token(self.ws, ctx.who.username, ctx.field("name"), actor=ctx.who.username,
                                           days=int(days) if days else None)
        return self.console.page(ctx, "token_new.html", token=view, text=text)

    def revoke(self, ctx) -> Response:
        token_id = ctx.request.path_params["token_id"]
        if not any(t.id == token_id for t in accounts.list_tokens(self.ws, ctx.who.username)):
            return self.console.error_page(ctx, 404)
        accounts.revoke_token(self.ws, token_id, actor=ctx.who.username)
        return RedirectResponse("/account/tokens", status_code=303)
