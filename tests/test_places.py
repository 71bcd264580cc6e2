"""Place names to codes within their parent (observatory.build.places), on hand-made territories."""

from __future__ import annotations

import pandas as pd
import pytest

from observatory.build.places import Gazetteer, fold, read_crosswalk

TERRITORIES = pd.DataFrame(
    [
        ("PE", "PE", "country", "Perú", None),
        ("PE", "02", "department", "Áncash", "PE"),
        ("PE", "05", "department", "Ayacucho", "PE"),
        ("PE", "15", "department", "Lima", "PE"),
        ("PE", "0201", "province", "Huaraz", "02"),
        ("PE", "0510", "province", "Víctor Fajardo", "05"),
        ("PE", "1501", "province", "Lima", "15"),
        ("PE", "020105", "district", "Independencia", "0201"),
        ("PE", "020101", "district", "Huaraz", "0201"),
        ("PE", "051001", "district", "Huancapi", "0510"),
        ("PE", "150112", "district", "Independencia", "1501"),
        ("PE", "150135", "district", "San Martín de Porres", "1501"),
        ("PE", "150101", "district", "Lima", "1501"),
    ],
    columns=["country", "code", "level", "name", "parent_code"],
)
LEVELS = {"department": "dpto", "province": "prov", "district": "dist"}


def gazetteer(crosswalk=None) -> Gazetteer:
    return Gazetteer("PE", TERRITORIES, crosswalk or {})


def resolve(g: Gazetteer, rows: list[tuple[str, str, str]]):
    frame = pd.DataFrame(rows, columns=["dpto", "prov", "dist"]).assign(_row=range(2, 2 + len(rows)))
    return g.resolve_frame(frame, LEVELS, "_row")


def test_names_are_folded_without_accents_case_punctuation_or_extra_spaces():
    assert fold("  san   martín de  PORRES ") == "SAN MARTIN DE PORRES"
    assert fold("Prov. Const. del Callao") == "PROV CONST DEL CALLAO"
    assert fold("\ufeffÁncash") == "ANCASH"


def test_two_independencias_resolve_within_their_own_province():
    codes, problems = resolve(
        gazetteer(),
        [
            ("ANCASH", "HUARAZ", "INDEPENDENCIA"),
            ("LIMA", "LIMA", "INDEPENDENCIA"),
            ("lima", "Lima", "san martin de porres"),
        ],
    )
    assert list(codes) == ["020105", "150112", "150135"]
    assert problems == []


def test_a_typo_is_reported_with_its_row_and_nearest_names_never_guessed():
    codes, problems = resolve(
        gazetteer(), [("AYACUCHO", "VICTOR FAJARDFO", "HUANCAPI"), ("LIMA", "LIMA", "LIMA")]
    )
    assert list(codes) == [None, "150101"]
    (p,) = problems
    assert (p.row, p.level, p.name, p.parent) == (2, "province", "VICTOR FAJARDFO", "05")
    assert p.candidates == (("Víctor Fajardo", "0510"),)
    assert p.describe() == "row 2: province 'VICTOR FAJARDFO' in 05 not found; nearest: Víctor Fajardo (0510)"


def test_a_confirmed_correction_in_the_crosswalk_resolves_the_typo(tmp_path):
    path = tmp_path / "pe_place_names.csv"
    path.write_text(
        "country,level,parent_code,name,code,note\nPE,province,05,VICTOR FAJARDFO,0510,typo\n"
        "SV,province,05,VICTOR FAJARDFO,9999,another country's line is ignored\n",
        encoding="utf-8",
    )
    codes, problems = resolve(
        gazetteer(read_crosswalk(path, "PE")), [("AYACUCHO", "Victor  Fajardfo", "HUANCAPI")]
    )
    assert list(codes) == ["051001"] and problems == []


def test_a_correction_only_applies_under_its_parent():
    """The crosswalk's INDEPENDENCIA of Huaraz must not capture a homonym elsewhere."""
    crosswalk = {("district", "0201", "INDEPENDENZIA"): "020105"}
    codes, problems = resolve(
        gazetteer(crosswalk), [("LIMA", "LIMA", "INDEPENDENZIA"), ("ANCASH", "HUARAZ", "INDEPENDENZIA")]
    )
    assert list(codes) == [None, "020105"]
    assert problems[0].row == 2 and ("Independencia", "150112") in problems[0].candidates


def test_homonyms_under_one_parent_are_never_picked():
    twins = pd.concat(
        [
            TERRITORIES,
            pd.DataFrame(
                [("PE", "150199", "district", "Independencia", "1501")], columns=TERRITORIES.columns
            ),
        ]
    )
    codes, problems = resolve(Gazetteer("PE", twins), [("LIMA", "LIMA", "INDEPENDENCIA")])
    assert list(codes) == [None]
    assert problems[0].why == "matches several areas"
    assert {c for _, c in problems[0].candidates} == {"150112", "150199"}


def test_an_unresolved_parent_is_reported_once_at_its_own_level():
    codes, problems = resolve(gazetteer(), [("LIMAA", "LIMA", "INDEPENDENCIA")])
    assert list(codes) == [None]
    assert (problems[0].level, problems[0].name, problems[0].parent) == ("department", "LIMAA", "")
    assert ("Lima", "15") in problems[0].candidates


def test_a_crosswalk_line_that_gives_one_name_two_codes_is_refused(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text(
        "country,level,parent_code,name,code,note\nPE,district,1501,INDEP,150112,\nPE,district,1501,Indep.,020105,\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="x.csv: row 3"):
        read_crosswalk(path, "PE")


def test_a_crosswalk_code_outside_the_parent_is_reported_not_used():
    crosswalk = {("district", "1501", "INDEPENDENZIA"): "020105"}  # Huaraz's, not Lima's
    codes, problems = resolve(gazetteer(crosswalk), [("LIMA", "LIMA", "INDEPENDENZIA")])
    assert list(codes) == [None]
    assert problems[0].why == "is given 020105 by the crosswalk, which is no district of 1501"
