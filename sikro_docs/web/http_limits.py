"""uvicorn's fast HTTP parser (httptools) with bounds on the request line, headers and time.

uvicorn bounds the headers only for its h11 parser (`h11_max_incomplete_event_size`),
and it gives a connection no deadline until its first answer: with httptools a
client could send headers without end and the worker would keep them all in
memory, or hold connections open by sending a byte now and then. This
protocol:

- counts what the parser hands over (request line, header names and values)
  and gives up past `h11_max_incomplete_event_size`: the parser error makes
  uvicorn answer 400 "Invalid HTTP request received." (one warning line)
  and close the connection;
- closes a connection whose request has not fully arrived within
  $SIKRO_WEB_REQUEST_SECONDS (set by `sikro serve` from `[limits.web]
  request_seconds`), counted from the connection or the last answer.

`sikro serve` passes it to uvicorn as `http=` when httptools is installed;
the figures of bench/verify_bench.py are why httptools is kept over h11.
"""

from __future__ import annotations

import os

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .settings import DEFAULT_WEB_LIMITS, REQUEST_SECONDS_ENV

# Bytes a header line costs beyond its name and value (": " and CRLF).
HEADER_OVERHEAD = 4


class HeadersTooLarge(Exception):
    """Raised inside a parser callback: httptools turns it into HttpParserCallbackError."""


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, config, *args, **kwargs):
        super().__init__(config, *args, **kwargs)
        self.max_header_bytes = config.h11_max_incomplete_event_size
        self.request_seconds = float(os.environ.get(REQUEST_SECONDS_ENV) or DEFAULT_WEB_LIMITS["request_seconds"])
        self.header_bytes = 0
        self.deadline = None

    # --- the time a request may take to arrive

    def _arm_deadline(self) -> None:
        self._cancel_deadline()
        self.deadline = self.loop.call_later(self.request_seconds, self._too_slow)

    def _cancel_deadline(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def _too_slow(self) -> None:
        self.deadline = None
        if not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._arm_deadline()

    def connection_lost(self, exc) -> None:
        self._cancel_deadline()
        super().connection_lost(exc)

    def on_message_complete(self) -> None:
        self._cancel_deadline()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_deadline()  # the next request on this connection has the same time

    # --- the size of the request line and headers

    def on_message_begin(self) -> None:
        self.header_bytes = 0
        super().on_message_begin()

    def _count(self, size: int) -> None:
        self.header_bytes += size
        if self.max_header_bytes is not None and self.header_bytes > self.max_header_bytes:
            raise HeadersTooLarge(f"request line and headers over {self.max_header_bytes} bytes")

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + HEADER_OVERHEAD)
        super().on_header(name, value)
