"""The one normaliser of column headers (intake matching, and the loader's check that
no two fields of a type answer to the same header)."""

from __future__ import annotations

import re

# Word spellings that mean the same in a header; applied per word.
_WORD_SYNONYMS = {"tgl": "tanggal", "nomor": "no", "nomer": "no", "nmr": "no", "no.": "no"}
_BRACKETED_HINT = re.compile(r"[\(\[].*?[\)\]]")


def header_key(text: object) -> str:
    """Reduce a header to a key that ignores case, spacing, punctuation and hints.

    "Jenis Kelamin (L/P)" -> "jeniskelamin", "Tgl. Lahir" -> "tanggallahir",
    "Nomor STR" and "No. STR" -> "nostr".
    """
    if text is None:
        return ""
    words = _BRACKETED_HINT.sub(" ", str(text)).lower().replace(".", " ").replace("/", " ").split()
    words = [_WORD_SYNONYMS.get(word, word) for word in words]
    return re.sub(r"[^0-9a-z]", "", "".join(words))
