"""The staff console: a separate application and listener from the public verification site.

    create_app(ws) -> ASGI app        (see app.py for its routes; `sikro console` serves it)
"""

from .app import create_app

__all__ = ["create_app"]
