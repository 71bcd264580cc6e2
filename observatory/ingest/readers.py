"""Read a CSV or XLSX file into a table of strings, by header name, with row numbers.

Every adapter goes through ``read_table``, so every file gets the same checks: not empty,
really a CSV or XLSX, the declared encoding, the expected columns (under any known alias),
and no column that looks like personal data.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from observatory.ingest.errors import IngestError, Problem

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
    encoding: str = "utf-8",
    sheet: str | None = None,
    what: str = "file",
    allow: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Return the file's rows as strings, columns renamed to the keys of ``columns``.

    ``columns`` maps each canonical name to the header names it may appear under; names are
    compared with ``normalise``. Columns in ``optional`` may be absent (they come back empty).
    The ``_row`` column holds the row number a person sees in the file (header = 1).
    ``what`` describes the file the adapter expects, for the error message. ``allow`` names
    headers that look personal but are not (a service directory's ``nombre`` is a service's
    name), each with the reason, as a reviewed recipe declares them.
    """
    path = Path(path)
    name = path.name
    if not path.exists():
        raise IngestError(name, f"file not found: {path}")
    if path.stat().st_size == 0:
        raise IngestError(name, f"the file is empty; expected {what}")
    header, rows = _read_xlsx(path, sheet, what) if is_xlsx(path) else _read_csv(path, encoding, what)
    refuse_personal_data(name, header, allow)
    mapping = _match_columns(name, header, columns, set(optional), what)
    if not rows:
        raise IngestError(name, f"the file has a header but no data rows; expected {what}")
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


def read_raw(path: Path, *, encoding: str = "utf-8", sheet: str | None = None, what: str = "file"):
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


def _read_csv(path: Path, encoding: str, what: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    raw = path.read_bytes()
    if b"\x00" in raw[:4096]:
        raise IngestError(path.name, f"this is a binary file, not a CSV or XLSX; expected {what}")
    try:
        text = raw.decode(
            "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
        )
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise IngestError(
            path.name,
            f"the file is not {encoding} encoded (byte {raw[exc.start]:#04x} at row {line}); "
            f"save it as {encoding} or declare its encoding",
            [Problem(line, None, None, f"invalid {encoding} byte")],
        ) from None
    if not text.strip():
        raise IngestError(path.name, f"the file is empty; expected {what}")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    # pandas' C parser; blank lines kept so that index + 2 is the line a person sees.
    table = pd.read_csv(
        io.StringIO(text),
        sep=delimiter,
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
