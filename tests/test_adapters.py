"""Adapters on small made-up files with exact answers, through the real ingest path."""

from __future__ import annotations

import duckdb
import pytest

from observatory.build.errors import IngestError
from observatory.build.readers import normalise, refuse_personal_data
from observatory.build.warehouse import ingest
from tests.conftest import FIXTURES, needs_mirror

FILES = FIXTURES / "files"


def query(settings, sql: str, **params):
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


@needs_mirror
def test_sidpol_pads_codes_and_takes_the_department_from_the_ubigeo(live):
    result = ingest(
        live,
        "pe_sidpol_vcm",
        FILES / "sidpol_ok.csv",
        release="2024-03",
        allow_older=True,
        log=lambda _: None,
    )
    assert (result.rows_read, result.rows_accepted) == (6, 6)
    rows = query(
        live,
        "SELECT territory_code, strftime(period, '%Y-%m'), value, provisional FROM observations "
        "WHERE indicator_id = 'pe_denuncias_vcm' ORDER BY 2, 1",
    )
    assert rows == [
        ("010101", "2024-01", 12.0, False),
        ("150101", "2024-01", 340.0, False),
        ("070101", "2024-02", 55.0, False),
        ("150101", "2024-02", 310.0, False),
        ("150201", "2024-02", 9.0, False),
        ("050116", "2024-03", 4.0, True),
    ]
    departments = dict(
        query(
            live,
            "SELECT territory_code, sum(value) FROM rollup WHERE indicator_id = 'pe_denuncias_vcm' AND level = 'department' GROUP BY 1",
        )
    )
    assert departments == {"01": 12.0, "15": 659.0, "07": 55.0, "05": 4.0}
    revised = query(
        live,
        "SELECT year, total_before, total_after FROM revisions WHERE new_release = '2024-03' ORDER BY year",
    )
    assert revised[0][0] == 2018 and revised[0][2] is None  # years the new release drops are recorded too
    assert (2024, 243_952.0, 730.0) in revised


@needs_mirror
def test_sidpol_reads_renamed_and_reordered_columns(live):
    ingest(live, "pe_sidpol_vcm", FILES / "sidpol_renamed_columns.csv", release="r", log=lambda _: None)
    rows = query(
        live,
        "SELECT territory_code, strftime(period, '%Y-%m'), value FROM observations WHERE indicator_id = 'pe_denuncias_vcm' ORDER BY 2",
    )
    assert rows == [("010101", "2024-01", 12.0), ("150101", "2024-02", 310.0)]


@needs_mirror
def test_generic_csv_with_replace_replaces_only_its_indicator(cem_takes_generic):
    live = cem_takes_generic
    before = query(live, "SELECT count(*) FROM observations WHERE indicator_id <> 'pe_cem_casos'")
    ingest(
        live,
        "generic",
        FILES / "generic_ok.csv",
        release="2025",
        country="PE",
        replace=True,
        log=lambda _: None,
    )
    rows = query(
        live,
        "SELECT territory_code, year(period), risk_level, value FROM observations WHERE indicator_id = 'pe_cem_casos' ORDER BY 1, 3",
    )
    assert rows == [("01", 2023, "leve", 10.0), ("01", 2023, "severo", 2.0), ("15", 2023, "leve", 100.0)]
    totals = dict(
        query(
            live,
            "SELECT territory_code, value FROM rollup WHERE indicator_id = 'pe_cem_casos' AND risk_level = 'total'",
        )
    )
    assert totals == {"01": 12.0, "15": 100.0, "PE": 112.0}
    assert query(live, "SELECT count(*) FROM observations WHERE indicator_id <> 'pe_cem_casos'") == before


@needs_mirror
def test_generic_csv_with_a_column_mapping_file(cem_takes_generic):
    live = cem_takes_generic
    ingest(
        live,
        "generic",
        FILES / "generic_mapped.csv",
        country="PE",
        mapping=FILES / "generic_mapped.toml",
        replace=True,
        log=lambda _: None,
    )
    rows = query(
        live,
        "SELECT territory_code, year(period), value FROM observations WHERE indicator_id = 'pe_cem_casos' ORDER BY 1",
    )
    assert rows == [("01", 2022, 11.0), ("15", 2022, 120.0)]


def test_headers_are_compared_without_accents_case_or_bom():
    assert normalise("\ufeffAño ") == "ANO"
    assert normalise("Número de femicidios o feminicidios") == "NUMERO_DE_FEMICIDIOS_O_FEMINICIDIOS"


@pytest.mark.parametrize(
    ("header", "refused"),
    [
        (["UBIGEO", "NOMBRE_VICTIMA"], "NOMBRE_VICTIMA"),
        (["UBIGEO", "Nro. Documento"], "Nro. Documento"),
        (["Dirección", "CANTIDAD"], "Dirección"),
        (["UBIGEO", "Teléfono"], "Teléfono"),
        (["UBIGEO", "celular_contacto"], "celular_contacto"),
        (["UBIGEO", "email"], "email"),
    ],
)
def test_columns_that_look_like_personal_data_are_refused(header, refused):
    with pytest.raises(IngestError) as info:
        refuse_personal_data("cases.csv", header)
    assert f"column {refused!r}" in str(info.value)
    assert "aggregates only" in str(info.value)


@pytest.mark.parametrize(
    "header",
    [["NOMBRE_DEPARTAMENTO", "CANTIDAD"], ["DPTO_HECHO", "DIST_HECHO", "CANTIDAD"], ["DPTO_DOMICILIO"]],
)
def test_territorial_names_are_not_personal_data(header):
    assert refuse_personal_data("ok.csv", header) is None


@needs_mirror
def test_a_file_without_the_breakdown_is_not_counted_twice(cem_takes_generic, tmp_path):
    """pe_cem_casos declares risk_level; a file that does not give it holds the totals only."""
    live = cem_takes_generic
    path = tmp_path / "cem_totals.csv"
    path.write_text("territory_code,period,indicator,value\n01,2023,pe_cem_casos,5\n15,2023,pe_cem_casos,7\n")
    ingest(live, "generic", path, country="PE", replace=True, log=lambda _: None)
    rows = query(
        live, "SELECT territory_code, value FROM rollup WHERE indicator_id = 'pe_cem_casos' ORDER BY 1"
    )
    assert rows == [("01", 5.0), ("15", 7.0), ("PE", 12.0)]


@needs_mirror
def test_a_file_mixing_rows_with_and_without_the_breakdown_is_refused(cem_takes_generic, tmp_path):
    from observatory.build.warehouse import CheckError

    live = cem_takes_generic
    path = tmp_path / "cem_mixed.csv"
    path.write_text(
        "territory_code,period,indicator,risk_level,value\n01,2023,pe_cem_casos,leve,5\n01,2023,pe_cem_casos,,7\n"
    )
    with pytest.raises(CheckError) as info:
        ingest(live, "generic", path, country="PE", log=lambda _: None)
    assert "appears twice in the roll-up" in str(info.value)


@needs_mirror
def test_a_recoded_district_joins_its_current_code_and_a_split_one_keeps_its_own(live, tmp_path):
    """data/crosswalks/pe_district_changes.csv: 160114 became 160803; 160109 was split."""
    path = tmp_path / "old_codes.csv"
    path.write_text("AÑO,MES,UBIGEO_HECHO,CANTIDAD\n2013,5,160114,4\n2013,5,160109,6\n", encoding="utf-8")
    ingest(live, "pe_sidpol_vcm", path, release="2013", allow_older=True, log=lambda _: None)
    rows = query(
        live,
        "SELECT territory_code, value FROM observations WHERE indicator_id = 'pe_denuncias_vcm' ORDER BY 1",
    )
    assert rows == [("160109", 6.0), ("160803", 4.0)]
    provinces = dict(
        query(
            live,
            "SELECT territory_code, value FROM rollup WHERE indicator_id = 'pe_denuncias_vcm' AND level = 'province'",
        )
    )
    assert provinces == {"1601": 6.0, "1608": 4.0}
    note = query(live, "SELECT note FROM territory_changes WHERE former_code = '160109'")[0][0]
    assert "se dividió" in note
