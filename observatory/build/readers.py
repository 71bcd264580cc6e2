"""Read a CSV or XLSX file into a table of strings, by header name, with row numbers.

Every adapter goes through ``read_table``, so every file gets the same checks: not empty,
really a CSV or XLSX, its encoding, its separator, the expected columns (under any known alias),
and no column that looks like personal data.

The small public API other modules (adapters, recipes) build on:

``decode(raw, file, encoding=None) -> (text, encoding)``
    The text of a CSV file. ``encoding=None`` (or ``"auto"``) detects it with charset-normalizer
    among UTF-8 (with or without BOM), UTF-16 (with or without BOM) and Windows-1252; a named
    encoding is used strictly. A file that is none of these is refused as binary.
``separator(text) -> str``
    The field separator of a CSV's header line: comma, semicolon or tab.
``read_count(text, thousands=None) -> int``
    One count written one unambiguous way, or ``CountError`` saying why not.
``read_counts(frame, column, file, *, label=None, thousands=None) -> Series[int64]``
    A column of counts, or one ``IngestError`` naming the file and every bad row and column.
"""

from __future__ import annotations

import codecs
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from observatory.build.errors import IngestError, Problem

ROW = "_row"

# Column names that mean a file holds people, not aggregates. Matched on whole words of the
# normalised header, so "NOMBRE_DEPARTAMENTO" is fine but "NOMBRE" or "NOMBRES_VICTIMA" is not.
_PERSONAL = {
    "NOMBRE": "a name",
    "NOMBRES": "a name",
    "APELLIDO": "a name",
    "APELLIDOS": "a name",
    "NAME": "a name",
    "FIRSTNAME": "a name",
    "LASTNAME": "a name",
    "SURNAME": "a name",
    "DNI": "a national ID number (DNI)",
    "DUI": "a national ID number (DUI)",
    "DOCUMENTO": "an identity document number",
    "NRO_DOCUMENTO": "an identity document number",
    "PASAPORTE": "a passport number",
    "DIRECCION": "an address",
    "DOMICILIO_EXACTO": "an address",
    "ADDRESS": "an address",
    "CALLE": "an address",
    "TELEFONO": "a phone number",
    "CELULAR": "a phone number",
    "PHONE": "a phone number",
    "EMAIL": "an e-mail address",
    "CORREO": "an e-mail address",
    # Victim-level records: one row per person, however anonymous the name columns look.
    "ID_VICTIMA": "a victim identifier (victim-level records)",
    "VICTIMA_ID": "a victim identifier (victim-level records)",
    "COD_VICTIMA": "a victim identifier (victim-level records)",
    "CODIGO_VICTIMA": "a victim identifier (victim-level records)",
    "FECHA_NACIMIENTO": "a date of birth",
    "FECHA_DE_NACIMIENTO": "a date of birth",
    "NACIMIENTO": "a date of birth",
}
# Names of places and services are not names of people.
_ALLOWED_WITH_PERSONAL_WORD = re.compile(
    r"^(NOMBRE|NAME)_(DPTO|DEPARTAMENTO|PROV|PROVINCIA|DIST|DISTRITO|MUN|MUNICIPIO|SERVICIO|CENTRO)$"
    r"|^SERVICE_NAME$"
)


def normalise(name: object) -> str:
    """Header name compared without case, accents, BOM or punctuation: 'Año ' -> 'ANO'."""
    text = unicodedata.normalize("NFKD", str(name).replace("\ufeff", "")).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_")


def is_xlsx(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(4) == b"PK\x03\x04"


def read_table(
    path: Path,
    columns: Mapping[str, Iterable[str]],
    *,
    optional: Iterable[str] = (),
    encoding: str | None = None,
    sheet: str | None = None,
    what: str = "file",
    allow: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Return the file's rows as strings, columns renamed to the keys of ``columns``.

    ``columns`` maps each canonical name to the header names it may appear under; names are
    compared with ``normalise``. Columns in ``optional`` may be absent (they come back empty).
    The ``_row`` column holds the row number a person sees in the file (header = 1).
    ``what`` describes the file the adapter expects, for the error message. ``encoding=None``
    detects the encoding of a CSV (see ``decode``). ``allow`` names headers that look personal
    but are not (a service directory's ``nombre`` is a service's name), each with the reason, as
    a reviewed recipe declares them.
    """
    path = Path(path)
    name = path.name
    if not path.exists():
        raise IngestError(name, f"file not found: {path}")
    if path.stat().st_size == 0:
        raise IngestError(
            name, f"the file is empty; expected {what}", [Problem(1, None, None, "no header row")]
        )
    header, rows = _read_xlsx(path, sheet, what) if is_xlsx(path) else _read_csv(path, encoding, what)
    refuse_personal_data(name, header, allow)
    mapping = _match_columns(name, header, columns, set(optional), what)
    if not rows:
        raise IngestError(
            name,
            f"the file has a header but no data rows; expected {what}",
            [Problem(2, None, None, "no data row after the header")],
        )
    if isinstance(rows, _Rows):
        frame = pd.DataFrame({canon: rows.frame.iloc[:, idx].to_numpy() for canon, idx in mapping.items()})
        frame[ROW] = rows.numbers
    else:
        frame = pd.DataFrame(
            {canon: [_cell(r, idx) for _, r in rows] for canon, idx in mapping.items()}, dtype=str
        )
        frame[ROW] = [n for n, _ in rows]
    for canon in columns:
        if canon not in frame:
            frame[canon] = ""
    return frame.reset_index(drop=True)


def read_raw(path: Path, *, encoding: str | None = None, sheet: str | None = None, what: str = "file"):
    """All rows of a file, header rows included, as (row number, [strings]): for irregular layouts."""
    path = Path(path)
    if not path.exists():
        raise IngestError(path.name, f"file not found: {path}")
    if path.stat().st_size == 0:
        raise IngestError(path.name, f"the file is empty; expected {what}")
    header, rows = _read_xlsx(path, sheet, what) if is_xlsx(path) else _read_csv(path, encoding, what)
    if isinstance(rows, _Rows):
        rows = rows.records()
    return [(1, header), *rows]


def refuse_personal_data(file: str, header: list[str], allow: Mapping[str, str] | None = None) -> None:
    """The observatory publishes aggregates only: a column of names, IDs, addresses or phones stops the import."""
    problems = []
    allowed = {normalise(h) for h in (allow or {})}
    for col in header:
        norm = normalise(col)
        if _ALLOWED_WITH_PERSONAL_WORD.match(norm) or norm in allowed:
            continue
        for word in norm.split("_"):
            if word in _PERSONAL or norm in _PERSONAL:
                reason = _PERSONAL.get(norm) or _PERSONAL[word]
                problems.append(Problem(1, str(col), None, f"looks like {reason}"))
                break
    if problems:
        raise IngestError(
            file,
            "refused: the file has columns that look like personal data. The observatory publishes "
            "aggregates only; remove these columns (and any victim-level records) before importing.",
            problems,
        )


class _Rows:
    """CSV body as a DataFrame of strings plus the file line number of each row."""

    def __init__(self, frame: pd.DataFrame, numbers):
        self.frame, self.numbers = frame, list(numbers)

    def __len__(self) -> int:
        return len(self.frame)

    def records(self) -> list[tuple[int, list[str]]]:
        return list(zip(self.numbers, self.frame.values.tolist(), strict=True))


def _cell(row: list, idx: int) -> str:
    return row[idx] if idx < len(row) else ""


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_csv(path: Path, encoding: str | None, what: str) -> tuple[list[str], _Rows]:
    text, _ = decode(path.read_bytes(), path.name, encoding, what=what)
    if not text.strip():
        raise IngestError(
            path.name, f"the file is empty; expected {what}", [Problem(1, None, None, "only blank lines")]
        )
    # pandas' C parser; blank lines kept so that index + 2 is the line a person sees.
    table = pd.read_csv(
        io.StringIO(text),
        sep=separator(text),
        dtype=str,
        keep_default_na=False,
        skip_blank_lines=False,
        header=None,
        skipinitialspace=True,
    )
    header = [str(h).strip() for h in table.iloc[0]] if len(table) else []
    body = table.iloc[1:]
    body = body.apply(lambda col: col.str.strip())
    keep = (body != "").any(axis=1)
    numbers = (body.index + 1)[keep.to_numpy()]
    return header, _Rows(body[keep], numbers)


# --- encodings and separators ---------------------------------------------------------------------

# The encodings official spreadsheets in the region are saved in: Excel's "CSV UTF-8" (with a BOM),
# "Unicode text" (UTF-16 with tabs) and plain "CSV" (Windows-1252). Detection is limited to these so
# that a short Spanish file is never read as, say, Central European cp1250.
ENCODINGS = ("utf_8", "utf_16", "utf_16_le", "utf_16_be", "cp1252")
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}


def decode(
    raw: bytes, file: str, encoding: str | None = None, *, what: str = "a CSV file"
) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read in.

    ``encoding`` None or ``"auto"``: a BOM decides; else strict UTF-8; else charset-normalizer
    among ``ENCODINGS``. A named encoding is used as given (UTF-8 with or without BOM). Raises
    ``IngestError`` for a binary file, or when the named encoding does not fit (with the row).
    """
    if encoding is None or encoding.lower() == "auto":
        return _detect(raw, file, what)
    name = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        text = raw.decode(name)
    except LookupError:
        raise IngestError(file, f"unknown encoding {encoding!r}; leave it out to detect it") from None
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise IngestError(
            file,
            f"the file is not {encoding} encoded (byte {raw[exc.start]:#04x} at row {line}); "
            f"save it as {encoding} or declare its encoding (or leave --encoding out to detect it)",
            [Problem(line, None, None, f"invalid {encoding} byte")],
        ) from None
    _refuse_binary(text, file, what)
    return text, name


def _detect(raw: bytes, file: str, what: str) -> tuple[str, str]:
    for bom, name in _BOMS:
        if raw.startswith(bom):
            text = raw.decode(name, errors="replace")
            _refuse_binary(text, file, what)
            return text, name
    if b"\x00" not in raw:
        try:
            return raw.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw, cp_isolation=list(ENCODINGS)).best()
    if best is None:
        line = raw[: next((i for i, b in enumerate(raw) if b >= 0x80 or b == 0), 0)].count(b"\n") + 1
        raise IngestError(
            file,
            f"this is a binary file, not a CSV or XLSX (nor text in UTF-8, UTF-16 or Windows-1252); expected {what}",
            [Problem(line, None, None, "bytes that are not text")],
        )
    text = str(best)
    _refuse_binary(text, file, what)
    return text, best.encoding


def _refuse_binary(text: str, file: str, what: str) -> None:
    sample = text[:4096]
    control = sum(1 for ch in sample if ch < " " and ch not in "\t\r\n")
    if "\x00" in sample or control > len(sample) // 100:
        line = (
            sample[: next((i for i, ch in enumerate(sample) if ch < " " and ch not in "\t\r\n"), 0)].count(
                "\n"
            )
            + 1
        )
        raise IngestError(
            file,
            f"this is a binary file, not a CSV or XLSX; expected {what}",
            [Problem(line, None, None, "control characters: not text")],
        )


def separator(text: str) -> str:
    """The separator of the header line (the first non-blank line): the most frequent of comma,
    semicolon and tab outside quotes; comma when there is none (a one-column file)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    outside = re.sub(r'"[^"]*"', "", first)
    found = {sep: outside.count(sep) for sep in SEPARATORS}
    best = max(found, key=lambda sep: found[sep])
    return best if found[best] else ","


# --- counts ---------------------------------------------------------------------------------------


class CountError(ValueError):
    """A cell that is not a count written one unambiguous way; the message says why."""


_DIGITS = re.compile(r"\d+")
_GROUPS = {sep: re.compile(rf"\d{{1,3}}(?:{re.escape(sep)}\d{{3}})+") for sep in (",", ".", " ", "\u00a0")}
_ONE_GROUP = re.compile(r"\d{1,3}[.,]\d{3}")
_DECIMAL = re.compile(r"[\d.,]*\d[.,]\d+|\d+[.,]")


def read_count(text: str, thousands: str | None = None) -> int:
    """A whole, non-negative count written one unambiguous way.

    Accepted: plain digits (``1234``); digits grouped by threes with a space, or with two or more
    commas or dots (``1 234``, ``1,234,567``, ``1.234.567``); one group (``1,234``) only when the
    file's ``thousands`` separator is declared as that mark. Refused with the reason: decimals
    (``12,0``, ``1,5``, ``1.5``, ``12.0``), a single group with no declared separator (``1,234`` is
    1234 or 1.234 depending on the country), negatives, empty cells and words.
    """
    value = str(text).strip()
    if _DIGITS.fullmatch(value):
        return int(value)
    if not value:
        raise CountError("empty; write 0 for none")
    if value.startswith("-") and read_count(value[1:], thousands) >= 0:
        raise CountError("a count cannot be negative")
    for sep, pattern in _GROUPS.items():
        if pattern.fullmatch(value):
            groups = value.count(sep)
            if sep in " \u00a0" or groups >= 2 or sep == thousands:
                return int(value.replace(sep, ""))
            raise CountError(
                f"ambiguous: {value} is {value.replace(sep, '')} if {sep!r} groups thousands, or a decimal "
                f"number if it is the decimal mark; write {value.replace(sep, '')}"
            )
    if _DECIMAL.fullmatch(value):
        raise CountError("a decimal number; counts are whole numbers written without decimals")
    raise CountError("not a whole number")


def read_counts(
    frame: pd.DataFrame, column: str, file: str, *, label: str | None = None, thousands: str | None = None
) -> pd.Series:
    """``frame[column]`` read by ``read_count``, as int64; one ``IngestError`` names every bad row
    (from ``frame["_row"]``), the column and the value. Negative counts get their own message."""
    text = frame[column].astype(str).str.strip()
    plain = text.str.fullmatch(r"\d+")
    values = pd.Series(0, index=frame.index, dtype="int64")
    values[plain] = text[plain].astype("int64")
    reasons = {}
    for idx, cell in text[~plain].items():
        try:
            values[idx] = read_count(cell, thousands)
        except CountError as exc:
            reasons[idx] = str(exc)
    if reasons:
        negative = all(r == "a count cannot be negative" for r in reasons.values())
        what = f"{'negative' if negative else 'non-numeric'} values in {label or column}"
        problems = [
            Problem(int(frame.at[idx, ROW]) if ROW in frame else None, column, frame.at[idx, column], why)
            for idx, why in list(reasons.items())[:50]
        ]
        raise IngestError(file, what, problems, total=len(reasons))
    return values


def _read_xlsx(path: Path, sheet: str | None, what: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # a zip that is not a workbook, a damaged file
        raise IngestError(path.name, f"cannot be read as an XLSX workbook ({exc}); expected {what}") from None
    try:
        if sheet is not None and sheet in book.sheetnames:
            ws = book[sheet]
        else:
            ws = book[book.sheetnames[0]]
        it = ws.iter_rows(values_only=True)
        header_row = next(it, None)
        if header_row is None:
            raise IngestError(path.name, f"the workbook is empty; expected {what}")
        header = [_text(h) for h in header_row]
        rows = []
        for number, record in enumerate(it, start=2):
            values = [_text(v) for v in record]
            if any(values):
                rows.append((number, values))
        return header, rows
    finally:
        book.close()


def _match_columns(
    file: str, header: list[str], columns: Mapping[str, Iterable[str]], optional: set[str], what: str
) -> dict[str, int]:
    found = {normalise(h): i for i, h in enumerate(header) if h}
    mapping, missing = {}, []
    for canon, aliases in columns.items():
        names = list(dict.fromkeys([*aliases, canon]))
        for alias in names:
            if normalise(alias) in found:
                mapping[canon] = found[normalise(alias)]
                break
        else:
            if canon not in optional:
                missing.append((canon, names))
    if missing:
        listed = "; ".join(f"{c} (one of {', '.join(n)})" for c, n in missing)
        raise IngestError(
            file,
            f"missing column(s): {listed}. "
            f"This does not look like {what}. Columns found: {', '.join(h for h in header if h) or '(none)'}",
            [Problem(1, n[0], None, "column not found under any known name") for _, n in missing],
        )
    return mapping
