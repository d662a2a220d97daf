"""Why a file handed in cannot be used at all: each reason a stable code and its values.

The CLI prints the English words below; the staff console words the same code in Bahasa
Indonesia from the same values (console/i18n.py, `intake.*`). A reason's words never name a
CLI flag: what to do is said in terms of Excel, which a clerk at the counter knows.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import CodedError, UnusableInput

# reason -> English words, formatted with the refusal's values (the path is put before them).
REASONS: dict[str, str] = {
    "empty": "the file is empty",
    "no-such-file": "no such file",
    "a-directory": "is a directory, not a file",
    "unreadable": "cannot be read ({reason})",
    "excel-2003-xml": ("an Excel 2003 XML spreadsheet, not an Excel workbook; open it in Excel and save it as "
                       "Excel Workbook (.xlsx)"),
    "web-page": ("a web page (HTML) saved under a spreadsheet name, not an Excel workbook; open it in Excel and "
                 "save it as Excel Workbook (.xlsx)"),
    "mhtml": ("a single-file web page (MHTML) saved under a spreadsheet name, not an Excel workbook; open it in "
              "Excel and save it as Excel Workbook (.xlsx)"),
    "csv": "a CSV/text file is not accepted; open it in Excel and save it as .xlsx",
    "unknown-format": "not an Excel workbook (.xlsx) or JSON file",
    "password-protected": ("the workbook is password-protected; remove the password in Excel "
                           "(File > Info > Protect Workbook) and save it again"),
    "xls": "a legacy Excel 97-2003 (.xls) file is not accepted; save it as .xlsx",
    "not-a-zip": "the workbook is corrupt or truncated (not a readable zip archive)",
    "xlsb": "an Excel binary workbook (.xlsb) is not accepted; save it as .xlsx",
    "ods": "an OpenDocument file (.ods), not an Excel workbook; open it in LibreOffice or Excel and save it as .xlsx",
    "word-document": "a Word document, not an Excel workbook (.xlsx)",
    "zip-archive": "a zip archive, not an Excel workbook (.xlsx)",
    "no-sheets": "the workbook has no sheets",
    "chart-sheet": 'sheet "{sheet}" is a chart, not a table',
    "no-header": ('sheet "{sheet}" has no recognisable header row (expected headers such as Nama, NIK, '
                  "Tanggal Lahir in the first {rows} rows){elsewhere}"),
    "column-clash": 'columns "{first}" and "{second}" both mean "{field}"; keep only one',
    "damaged-row": "the workbook is damaged near row {row} ({detail}); save it again from Excel",
    "damaged": "the workbook cannot be read ({detail})",
    "strange-part": "{detail}; save the workbook again from Excel",
    "json-invalid": "invalid JSON at line {line} column {column}: {detail}",
    "json-not-a-list": "the JSON must be a list of objects (one per applicant), not {found}",
    "json-item-not-an-object": "the JSON must be a list of objects; item {position} is {found}",
    "json-not-utf8": "the JSON file is not UTF-8 text",
    "reading-stopped": "reading stopped before the end of the file (the reader process ended); nothing was imported",
}


class FileRefused(CodedError, UnusableInput):
    """A file handed in that cannot be used at all: code `intake.<reason>`, values `path` and the
    reason's own. `str()` is "<path>: <the English words>"."""

    message = "{path}: {english}"

    def __init__(self, path: Path | str, reason: str, **values):
        self.code, self.reason, self.given = f"intake.{reason}", reason, values
        self.path = Path(path)
        super().__init__(path=str(path), english=english(reason, values), **values)

    def __reduce__(self):  # it travels from the read-ahead reader process as itself
        return _rebuild, (str(self.path), self.reason, dict(self.given))


def _rebuild(path: str, reason: str, values: dict) -> FileRefused:
    return FileRefused(path, reason, **values)


def english(reason: str, values: dict) -> str:
    """A reason's English words: from REASONS, or from a function of the values for the reasons
    whose words are built from lists (the missing columns)."""
    if reason == "missing-columns":
        return missing_columns_english(**values)
    return REASONS[reason].format(**values)


def missing_columns_english(sheet: str, header_row: int, missing: tuple, of_type: str | None = None,
                            row: int | None = None, fits: tuple = (), fit_code: str | None = None) -> str:
    """`missing`: (header, the unknown header it is probably misspelt as, or None) pairs; `of_type`
    and `row`: the type (described) whose row needs them, in a file of several types; `fits`: the
    other types (described) whose columns the file has, `fit_code` the first one's code."""
    parts = [f'"{header}"' + (f' (did you mean "{guess}"?)' if guess else "") for header, guess in missing]
    where = f" of {of_type} for row {row}" if of_type else ""
    text = f'sheet "{sheet}" header row {header_row} lacks required column(s){where}: ' + ", ".join(parts)
    if fits:
        text += f" (the columns are those of {' or '.join(fits)}: give --type {fit_code}, or add a Jenis Izin column)"
    return text


def refused(path: Path | str, reason: str, **values) -> FileRefused:
    return FileRefused(path, reason, **values)
