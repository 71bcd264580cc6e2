"""How a file's bytes become cells: encodings, separators and counts (observatory.build.readers)."""

from __future__ import annotations

import pandas as pd
import pytest

from observatory.build.errors import IngestError
from observatory.build.readers import CountError, decode, read_count, read_counts, read_table, separator

TEXT = "AÑO,MES,UBIGEO,CANTIDAD\n2024,1,150101,12\n2024,2,150101,7\n"
COLUMNS = {"year": ["AÑO"], "month": ["MES"], "ubigeo": ["UBIGEO"], "count": ["CANTIDAD"]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12", 12), ("0", 0), (" 7 ", 7), ("1,234,567", 1234567), ("1.234.567", 1234567), ("1 234", 1234)],
)
def test_counts_written_one_way_are_read(text, expected):
    assert read_count(text) == expected


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("12,0", "decimal"),
        ("1,5", "decimal"),
        ("1.5", "decimal"),
        ("12.0", "decimal"),
        ("1,234.5", "decimal"),
        ("1,234", "ambiguous"),
        ("1.234", "ambiguous"),
        ("-3", "negative"),
        ("", "empty"),
        ("doce", "not a whole number"),
    ],
)
def test_counts_that_could_be_misread_are_refused(text, why):
    with pytest.raises(CountError, match=why):
        read_count(text)


def test_a_declared_thousands_separator_reads_one_group():
    assert read_count("1,234", thousands=",") == 1234
    with pytest.raises(CountError, match="ambiguous"):
        read_count("1.234", thousands=",")


def test_read_counts_names_file_row_column_and_value():
    frame = pd.DataFrame({"count": ["3", "12,0", "1,5", "4"], "_row": [2, 3, 4, 5]})
    with pytest.raises(IngestError) as err:
        read_counts(frame, "count", "casos.csv", label="CANTIDAD")
    text = str(err.value)
    assert text.startswith("casos.csv: non-numeric values in CANTIDAD")
    assert "row 3, column 'count': a decimal number" in text and "'12,0'" in text
    assert "row 4, column 'count'" in text and "'1,5'" in text
    assert err.value.rows_rejected == 2
    ok = pd.DataFrame({"count": ["3", "1,234,567"], "_row": [2, 3]})
    assert read_counts(ok, "count", "x.csv").tolist() == [3, 1234567]


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16", b""), ("utf-16-le", b""), ("cp1252", b"")],
)
@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_encodings_and_separators_are_detected(tmp_path, encoding, bom, sep):
    path = tmp_path / "denuncias.csv"
    path.write_bytes(bom + TEXT.replace(",", sep).encode(encoding))
    table = read_table(path, COLUMNS)
    assert table[["year", "month", "ubigeo", "count"]].values.tolist() == [
        ["2024", "1", "150101", "12"],
        ["2024", "2", "150101", "7"],
    ]
    assert table["_row"].tolist() == [2, 3]


def test_windows_1252_is_told_from_utf8():
    raw = "DEPARTAMENTO;CASOS\nÁNCASH – “norte”;3\n".encode("cp1252")
    text, used = decode(raw, "x.csv")
    assert (text.splitlines()[1], used) == ("ÁNCASH – “norte”;3", "cp1252")
    assert decode("AÑO\n".encode(), "x.csv") == ("AÑO\n", "utf-8")


def test_a_named_encoding_is_used_strictly_and_names_the_row():
    with pytest.raises(IngestError, match=r"not utf-8 encoded \(byte 0xd1 at row 2\)"):
        decode(b"A,B\nNU\xd1OA,1\n", "x.csv", "utf-8")


def test_binary_files_are_refused(tmp_path):
    png = tmp_path / "datos.csv"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01")
    with pytest.raises(IngestError, match="binary file"):
        read_table(png, COLUMNS)


def test_separator_is_read_from_the_header_outside_quotes():
    assert separator("a;b;c\n1;2;3\n") == ";"
    assert separator("a\tb\n1\t2\n") == "\t"
    assert separator('"a;b",c\n') == ","
    assert separator("solo\n1\n") == ","
