"""The public verification web page (`sikro serve`): see `app` for its routes."""

from .app import create_app

__all__ = ["create_app"]
