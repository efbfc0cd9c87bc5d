"""Decoding text bytes: a byte-order mark, strict UTF-8, else the better of GB18030 and Big5."""
from __future__ import annotations

import codecs
import unicodedata
from functools import lru_cache
from importlib import resources

from corpus.errors import UndecodableFile

TEXT_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
              (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_CJK_LEGACY = ("gb18030", "cp950", "big5hkscs")  # tried in this order; a tie keeps the earlier one


def decode(data: bytes, name: str) -> tuple[str, str]:
    """Decode text bytes: BOM, strict UTF-8, else the better of GB18030 and Big5.

    "Better" is the decoding whose Han characters are more often common ones (the wrong one
    turns text into rare characters). Raises UndecodableFile when none fits.
    """
    for bom, codec in TEXT_BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec), codec.removesuffix("-sig")
            except UnicodeDecodeError as e:
                raise UndecodableFile(f"{name}: starts with a {codec} mark but is not valid {codec}") from e
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best: tuple[float, str, str] | None = None
    for codec in _CJK_LEGACY:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        score = _common_share(text)
        if best is None or score > best[0]:
            best = (score, codec, text)
    if best is None:
        raise UndecodableFile(f"{name}: not valid UTF-8, GB18030 or Big5 text")
    return best[2], best[1]


def _common_share(text: str) -> float:
    han = [c for c in text if unicodedata.category(c) in ("Lo", "Co") and ord(c) >= 0x2E80]
    if not han:
        return 0.0
    common = _common_hanzi()
    return sum(c in common for c in han) / len(han)


@lru_cache(maxsize=1)
def _common_hanzi() -> frozenset[str]:
    lines = resources.files("corpus").joinpath("common_hanzi.txt").read_text(encoding="utf-8").splitlines()
    return frozenset("".join(line for line in lines if not line.startswith("#")))
