"""uvicorn's fast HTTP parser (httptools) with a bound on the request line and headers.

uvicorn bounds them only for its h11 parser (`h11_max_incomplete_event_size`);
with httptools a client could send headers without end and the worker would
keep them all in memory. This protocol counts what the parser hands over and
gives up past the same setting: the parser error makes uvicorn answer
400 "Invalid HTTP request received." (one warning line) and close the
connection. `sikro serve` passes it to uvicorn as `http=` when httptools is
installed; the figures of bench/verify_bench.py are why httptools is kept.
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# Bytes a header line costs beyond its name and value (": " and CRLF).
HEADER_OVERHEAD = 4


class HeadersTooLarge(Exception):
    """Raised inside a parser callback: httptools turns it into HttpParserCallbackError."""


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, config, *args, **kwargs):
        super().__init__(config, *args, **kwargs)
        self.max_header_bytes = config.h11_max_incomplete_event_size
        self.header_bytes = 0

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
