"""A workbook's zip, opened so that no part of it can cost more than the limits allow.

An .xlsx is a zip of XML parts, and a few hundred kilobytes of zip can unpack
to gigabytes. openpyxl reads the parts in two ways: sheets and the shared
strings as a stream, row by row (their size matters little), everything else
whole, as one XML tree in memory (a few megabytes of tiny elements already
cost hundreds of megabytes). So:

- the central directory is checked before anything is inflated: how many
  members, how they are compressed, the size each one and all of them declare;
- every member is then read through `MeteredMember`, which counts what really
  comes out (a central directory may lie) and reads in small chunks (zipfile's
  own `read()` inflates up to a gigabyte in one call);
- `XmlScanner` looks at the bytes as they pass, at C speed, and stops a part
  that would make the parser hold too much: a sheet row or shared string
  larger than `part_size` or with too many elements, more shared strings or
  cell formats than allowed, entity declarations, namespace tricks that would
  hide rows from the parser's clean-up.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from ..errors import UnusableInput
from ..limits import LimitReached
from .refusals import refused

SECTION = "workbook"
MAIN_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
CHUNK = 1 << 16
# A row or shared string may hold this many XML tags per cell allowed: rich text runs take a few each.
TAGS_PER_CELL = 16
# A sheet may hold this many elements (not end tags) per cell allowed: <c><is><t> is 3, with the row's.
TAGS_PER_SHEET_CELL = 3.5
_NAME = re.compile(rb"([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
_COMPRESSIONS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
# A directory entry is 46 bytes and the member's name and extras: some 100 bytes in an .xlsx.
DIRECTORY_BYTES_PER_MEMBER = 256


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:,.1f} MB"


class GuardedZip(zipfile.ZipFile):
    """A read-only ZipFile whose members are checked before and while they are inflated."""

    def __init__(self, file, path: Path, bounds: dict[str, int]):
        self.path, self.bounds = Path(path), bounds
        self._check_directory_size(file)
        super().__init__(file)
        self._read_so_far: dict[str, int] = {}
        self._check_directory()

    def limit(self, key: str, what: str) -> LimitReached:
        return LimitReached(self.path, SECTION, key, what)

    def refuse(self, what: str) -> UnusableInput:
        """Not a limit: something no spreadsheet program writes."""
        return refused(self.path, "strange-part", detail=what)

    def _check_directory_size(self, file) -> None:
        """Before zipfile lists the members: a directory of millions of entries costs gigabytes to list."""
        file.seek(0, 2)
        if file.tell() > self.bounds["uncompressed_size"]:
            raise self.limit("uncompressed_size", f"the file is larger than "
                                                  f"{_megabytes(self.bounds['uncompressed_size'])}")
        try:
            end = zipfile._EndRecData(file)  # the end-of-directory record, zip64 or not (stdlib, long stable)
        except (AttributeError, OSError, zipfile.BadZipFile):
            end = None
        file.seek(0)
        if end and end[zipfile._ECD_SIZE] > DIRECTORY_BYTES_PER_MEMBER * self.bounds["members"]:
            raise self.limit("members", f"the workbook holds more than {self.bounds['members']:,} files")

    def _check_directory(self) -> None:
        infos = self.infolist()
        if len(infos) > self.bounds["members"]:
            raise self.limit("members", f"the workbook holds more than {self.bounds['members']:,} files")
        total = 0
        for info in infos:
            if info.flag_bits & 0x1:
                raise self.refuse(f"part {info.filename} is encrypted")
            if info.compress_type not in _COMPRESSIONS:
                raise self.refuse(f"part {info.filename} uses a compression Excel never writes "
                                  f"(method {info.compress_type})")
            if info.file_size > self.bounds["member_size"]:
                raise self.limit("member_size", f"part {info.filename} unpacks to "
                                                f"{_megabytes(info.file_size)}, more than "
                                                f"{_megabytes(self.bounds['member_size'])}")
            total += info.file_size
        if total > self.bounds["uncompressed_size"]:
            raise self.limit("uncompressed_size", f"the workbook unpacks to {_megabytes(total)}, more than "
                                                  f"{_megabytes(self.bounds['uncompressed_size'])}")

    def open(self, name, mode="r", pwd=None, *, force_zip64=False):
        if mode != "r":
            raise ValueError("a GuardedZip is read-only")
        inner = super().open(name, mode, pwd)
        return MeteredMember(self, inner, inner.name)

    def count(self, name: str, size: int) -> None:
        """Record that `size` bytes of member `name` came out; the whole zip must stay in bounds."""
        if size <= self._read_so_far.get(name, 0):
            return
        self._read_so_far[name] = size
        if size > self.bounds["member_size"]:
            raise self.limit("member_size", f"part {name} unpacks to more than "
                                            f"{_megabytes(self.bounds['member_size'])}")
        if sum(self._read_so_far.values()) > self.bounds["uncompressed_size"]:
            raise self.limit("uncompressed_size", f"the workbook unpacks to more than "
                                                  f"{_megabytes(self.bounds['uncompressed_size'])}")


class MeteredMember:
    """A member stream that inflates in chunks, counts and scans what comes out."""

    def __init__(self, archive: GuardedZip, inner, name: str):
        self._archive, self._inner, self.name = archive, inner, name
        self._size = 0
        self._scanner = XmlScanner(archive, name)

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            return self._read_whole()
        data = self._inner.read(min(n, CHUNK) if n else 0)
        self._take(data)
        return data

    def _read_whole(self) -> bytes:
        """The member in one piece, for a parser that builds the whole tree: a small part only."""
        parts = []
        while data := self._inner.read(CHUNK):
            self._take(data)
            if self._size > self._archive.bounds["part_size"]:
                raise self._archive.limit("part_size", f"part {self.name} unpacks to more than "
                                                       f"{_megabytes(self._archive.bounds['part_size'])}")
            parts.append(data)
        return b"".join(parts)

    def _take(self, data: bytes) -> None:
        self._size += len(data)
        self._archive.count(self.name, self._size)
        self._scanner.feed(data)

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._inner.close()

    @property
    def closed(self) -> bool:
        return self._inner.closed

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class XmlScanner:
    """Byte-level checks of one XML part while it streams, cheap enough for every part.

    Sheets and the shared strings are made of records (`<row>`, `<si>`) that the
    parser holds one at a time and then clears; each record must be smaller than
    `part_size` and hold fewer than TAGS_PER_CELL x `columns` tags. Everything
    outside records stays in the parser's tree until the end, so all of it
    together must be smaller than `part_size`; any other part is outside records
    throughout. A namespace declared inside a record could turn it into something
    the parser keeps, so records may not declare one.
    """

    RECORDS = {b"worksheet": b"row", b"sst": b"si"}
    # Root element -> (tag counted, limit, what a clerk calls them).
    COUNTED = {b"styleSheet": (b"xf", "styles", "cell formats"), b"workbook": (b"sheet", "sheets", "sheets")}

    def __init__(self, archive: GuardedZip, name: str):
        self.archive, self.name, self.bounds = archive, name, archive.bounds
        self._carry = b""
        self._root: bytes | None = None
        self._record_tag: re.Pattern | None = None
        self._in_record = False
        self._record_bytes = self._record_tags = self._outside = self._records = 0
        self._tags_in_records = 0
        self._counted = 0
        self._count: tuple[bytes, str, str] | None = None

    def feed(self, data: bytes) -> None:
        buf = self._carry + data
        self._carry = b""
        if self._root is None:
            buf = self._read_root(buf)
            if buf is None:
                return
        # An incomplete tag at the end waits for the next chunk (it is at most part_size long).
        cut = buf.rfind(b"<")
        if cut != -1 and buf.find(b">", cut) == -1:
            buf, self._carry = buf[:cut], buf[cut:]
            if len(self._carry) > self.bounds["part_size"]:
                raise self._limit("part_size", f"part {self.name} has an XML tag longer than "
                                               f"{_megabytes(self.bounds['part_size'])}")
        if b"<!" in buf and (b"<!ENTITY" in buf or b"<!DOCTYPE" in buf):
            raise self.archive.refuse(f"part {self.name} declares XML entities")
        if self._count is not None:
            self._count_tags(buf)
        if self._record_tag is None:
            self._add_outside(len(buf))
        else:
            self._scan_records(buf)

    def _count_tags(self, buf: bytes) -> None:
        tag, key, what = self._count
        self._counted += sum(buf.count(tag + end) for end in (b" ", b"/", b">", b"\t", b"\n", b"\r"))
        if self._counted > self.bounds[key]:
            raise self._limit(key, f"the workbook has more than {self.bounds[key]:,} {what}")

    def _read_root(self, buf: bytes) -> bytes | None:
        """Find the root element; returns the bytes after it, or None when more are needed."""
        found = _find_root(buf)
        if found is None:
            if len(buf) > self.bounds["part_size"]:
                raise self._limit("part_size", f"part {self.name} has no XML element in its first "
                                               f"{_megabytes(self.bounds['part_size'])}")
            self._carry = buf
            return None
        if found == "doctype":
            raise self.archive.refuse(f"part {self.name} declares XML entities")
        end, prefix, name, tag = found
        self._root = name
        record = self.RECORDS.get(name)
        if record is not None:
            if not _binds_main_namespace(tag, prefix):
                raise self.archive.refuse(f"part {self.name} is not a part of an Excel workbook "
                                          "(unexpected XML namespace)")
            self._record_tag = re.compile(rb"<(/?)" + re.escape(prefix + record) + rb"(?=[\s/>])")
        if name in self.COUNTED:
            tag, key, what = self.COUNTED[name]
            self._count = (b"<" + prefix + tag, key, what)
        self._add_outside(end)
        return buf[end:]

    def _scan_records(self, buf: bytes) -> None:
        position = 0
        for match in self._record_tag.finditer(buf):
            closing = match.group(1) == b"/"
            if self._in_record:
                self._add_to_record(buf, position, match.start())
                position = match.start()
                if closing:
                    position = _tag_end(buf, match.end())
                    self._add_to_record(buf, match.start(), position)
                    self._end_record()
                continue
            if closing:
                continue  # a stray end tag: the parser will call it damage
            self._add_outside(match.start() - position)
            position = match.start()
            self._start_record()
            end = _tag_end(buf, match.end())
            if buf[end - 2:end] == b"/>":  # <row r="5"/>: an empty record
                self._add_to_record(buf, position, end)
                self._end_record()
                position = end
        if self._in_record:
            self._add_to_record(buf, position, len(buf))
        else:
            self._add_outside(len(buf) - position)

    def _start_record(self) -> None:
        self._in_record = True
        self._record_bytes = self._record_tags = 0
        self._records += 1
        if self._root == b"sst" and self._records > self.bounds["shared_strings"]:
            raise self._limit("shared_strings", f"the workbook has more than "
                                                f"{self.bounds['shared_strings']:,} shared strings")

    def _end_record(self) -> None:
        self._in_record = False

    def _add_to_record(self, buf: bytes, start: int, end: int) -> None:
        if end <= start:
            return
        self._record_bytes += end - start
        self._record_tags += buf.count(b"<", start, end)
        what = "a row" if self._root == b"worksheet" else "a shared string"
        if self._record_bytes > self.bounds["part_size"]:
            raise self._limit("part_size", f"part {self.name} has {what} larger than "
                                           f"{_megabytes(self.bounds['part_size'])}")
        if self._record_tags > TAGS_PER_CELL * self.bounds["columns"]:
            raise self._limit("columns", f"part {self.name} has {what} of more than "
                                         f"{TAGS_PER_CELL * self.bounds['columns']:,} XML elements")
        # The parser's time goes by elements: a cell is 2 or 3 (<c><v>, <c><is><t>).
        self._tags_in_records += buf.count(b"<", start, end) - buf.count(b"</", start, end)
        if self._root == b"worksheet" and self._tags_in_records > TAGS_PER_SHEET_CELL * self.bounds["cells"]:
            raise self._limit("cells", f"part {self.name} has more than {self.bounds['cells']:,} cells")
        if buf.find(b"xmlns", start, end) != -1:
            raise self.archive.refuse(f"part {self.name} has {what} declaring an XML namespace")

    def _add_outside(self, size: int) -> None:
        self._outside += size
        if self._outside > self.bounds["part_size"]:
            where = "outside its rows" if self._root == b"worksheet" else "in all"
            raise self._limit("part_size", f"part {self.name} holds more than "
                                           f"{_megabytes(self.bounds['part_size'])} of XML {where}")

    def _limit(self, key: str, what: str) -> LimitReached:
        return self.archive.limit(key, what)


def _tag_end(buf: bytes, start: int) -> int:
    end = buf.find(b">", start)
    return len(buf) if end == -1 else end + 1


def _find_root(buf: bytes):
    """(end offset, prefix, name, tag text) of the root element; "doctype"; or None (need more bytes)."""
    position = 0
    while (lt := buf.find(b"<", position)) != -1:
        if buf.startswith(b"<?", lt):
            end, skip = buf.find(b"?>", lt), 2
        elif buf.startswith(b"<!--", lt):
            end, skip = buf.find(b"-->", lt), 3
        elif buf.startswith(b"<!", lt):
            return "doctype"
        else:
            gt = buf.find(b">", lt)
            if gt == -1:
                return None
            tag = buf[lt + 1:gt]
            name = _NAME.match(tag)
            if name is None:
                return gt + 1, b"", b"", tag  # not XML: the parser will say so
            return gt + 1, name.group(1) or b"", name.group(2), tag
        if end == -1:
            return None
        position = end + skip
    return None


def _binds_main_namespace(tag: bytes, prefix: bytes) -> bool:
    """Whether the root tag binds its own prefix (or the default namespace) to SpreadsheetML's."""
    attribute = rb"xmlns" + (b":" + re.escape(prefix[:-1]) if prefix else b"")
    pattern = rb"(?<![\w.:-])" + attribute + rb"\s*=\s*([\"'])" + re.escape(MAIN_NS) + rb"\1"
    return re.search(pattern, tag) is not None
