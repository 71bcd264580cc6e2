"""Territorial vintages from the crosswalk of former codes, on hand-made tables."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from observatory.build.territories import change_year, vintages

TERRITORIES = pd.DataFrame(
    {
        "country": ["PE", "PE", "PE", "PE", "SV"],
        "code": ["160114", "160803", "160109", "010101", "0101"],
        "vintage_note": [None, None, "retired code", None, "reform"],
        "valid_from": [None, None, None, None, dt.date(2024, 5, 1)],
    }
)
CHANGES = pd.DataFrame(
    {
        "country": ["PE", "PE"],
        "former_code": ["160114", "160109"],
        "current_code": ["160803", "160801"],  # 160801 is not in this register: skipped
        "kind": ["recoded", "split"],
        "note": ["nueva provincia de Putumayo (2014); mismo distrito", "se dividió (2014) en (160801)"],
    }
)


def dates(frame: pd.DataFrame, column: str) -> dict:
    return {c: (None if pd.isna(v) else v.date()) for c, v in zip(frame["code"], frame[column], strict=True)}


def test_the_year_of_a_change_is_read_from_its_note_only_when_unambiguous():
    assert change_year("al crearse la provincia de Putumayo (2014) en Putumayo (160801)") == 2014
    assert change_year("sin fecha") is None
    assert change_year("(2014) y luego (2016)") is None
    assert change_year(None) is None


def test_former_codes_end_and_current_codes_start_in_the_year_of_the_change():
    out = vintages(TERRITORIES, CHANGES)
    assert dates(out, "valid_to") == {
        "160114": dt.date(2014, 12, 31),
        "160803": None,
        "160109": dt.date(2014, 12, 31),
        "010101": None,
        "0101": None,
    }
    assert dates(out, "valid_from") == {
        "160114": None,
        "160803": dt.date(2014, 1, 1),
        "160109": None,
        "010101": None,
        "0101": dt.date(2024, 5, 1),  # a reform's date is kept
    }
    notes = dict(zip(out["code"], out["vintage_note"], strict=True))
    assert notes["160114"] == "code replaced by 160803 in 2014 (recoded; only the year is known)"
    assert notes["160803"] == "code in use from 2014, after 160114 (recoded; only the year is known)"
    assert notes["160109"] == "retired code; code replaced by 160801 in 2014 (split; only the year is known)"
    assert pd.isna(notes["010101"]) and notes["0101"] == "reform"


def test_without_dated_changes_every_vintage_stays_empty():
    out = vintages(TERRITORIES.drop(columns=["valid_from", "vintage_note"]), CHANGES.assign(note="sin fecha"))
    assert out["valid_from"].isna().all() and out["valid_to"].isna().all()
