"""Source recipes on tiny hand-made event-level files, each carrying one drift of real exports:
headers that change between years, mixed date formats, TOTAL footer rows, 8-digit codes whose
first 5 digits are the municipality. Exact answers; plus the recipe checks and `recipe check`."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from observatory.__main__ import main
from observatory.build.adapters import Context
from observatory.build.errors import IngestError
from observatory.build.recipe_runner import run
from observatory.build.recipes import RecipeError, load_recipe
from observatory.build.sources import sha256_of

# A made-up country XX (codes like Colombia's DIVIPOLA): departments of 2 digits, municipalities of
# 5; the police file gives an 8-digit place code whose first 5 digits are the municipality.
TERRITORIES = pd.DataFrame(
    [
        ("XX", "XX", "country", "Equis", None),
        ("XX", "05", "department", "Antioquia", "XX"),
        ("XX", "08", "department", "Atlántico", "XX"),
        ("XX", "05001", "municipality", "Medellín", "05"),
        ("XX", "05002", "municipality", "Abejorral", "05"),
        ("XX", "08001", "municipality", "Barranquilla", "08"),
    ],
    columns=["country", "code", "level", "name", "parent_code"],
)
INDICATOR = {
    "xx_eventos": {
        "granularity": "month",
        "finest_level": "municipality",
        "breakdowns": "violence_type",
        "source": "xx_policia",
    },
    "xx_eventos_dpto_anual": {
        "granularity": "year",
        "finest_level": "department",
        "breakdowns": "",
        "source": "xx_policia",
    },
}


def ctx(tmp_path: Path) -> Context:
    return Context(
        territories=TERRITORIES,
        indicators=INDICATOR,
        crosswalks=tmp_path,
        today=dt.date(2025, 6, 30),
        widths={"XX": {"department": 2, "municipality": 5}},
        levels={"XX": ("country", "department", "municipality")},
    )


EVENTS_RECIPE = """
source = "xx_policia"
description = "a police export of events (date, place code, violence type)"
country = "XX"

[columns]
date = ["FECHA_HECHO", "Fecha del hecho", "FECHA"]
place = ["CODIGO_LUGAR", "Código del lugar", "COD_DANE"]
department = ["DEPARTAMENTO", "DPTO"]
kind = ["TIPO_VIOLENCIA", "Tipo de violencia", "CLASE"]

[[drop]]
column = "date"
matches = "^TOTAL"
reason = "footer total row"

[indicator]
id = "xx_eventos"

[period]
date = "date"
formats = ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"]

[territory]
level = "municipality"
code = "place"
pad = 8
first = 5

[value]
count_rows = true

[breakdowns.violence_type]
column = "kind"
map = { "FISICA" = "fisica", "PSICOLOGICA" = "psicologica", "SEXUAL" = "sexual" }
unmapped = "error"
"""

# 2023: one spelling of the headers; 2024: capitals without accents, trailing spaces, renamed columns.
FILE_2023 = """FECHA_HECHO,CODIGO_LUGAR,DEPARTAMENTO,TIPO_VIOLENCIA
2023-01-05,05001000,ANTIOQUIA,Física
2023-01-20,05001012,ANTIOQUIA,física
15/01/2023,5002000,ANTIOQUIA,Psicológica
03-02-2023,08001000,ATLANTICO,SEXUAL
TOTAL,,,
"""
FILE_2024 = """ Fecha del hecho ,CÓDIGO DEL LUGAR  ,  DPTO,CLASE
31/01/2024,05001001,ANTIOQUIA,FISICA
2024-01-31,05002999,ANTIOQUIA,PSICOLOGICA
01-02-2024,8001005,ATLANTICO,psicologica
Total general,,,
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def cells(outcome) -> set[tuple]:
    c = outcome.report.cells
    return {
        (r.territory_code, r.period.strftime("%Y-%m"), r.violence_type, int(r.value))
        for r in c.itertuples(index=False)
    }


def test_events_with_drifting_headers_mixed_dates_footer_and_long_codes(tmp_path):
    recipe = load_recipe(write(tmp_path, "xx_policia.toml", EVENTS_RECIPE))
    first = run(recipe, write(tmp_path, "2023.csv", FILE_2023), ctx(tmp_path), recipe_name="xx_policia.toml")
    assert cells(first) == {
        ("05001", "2023-01", "fisica", 2),  # two events, two 8-digit places of one municipality
        ("05002", "2023-01", "psicologica", 1),  # 5002000: its lost leading zero restored
        ("08001", "2023-02", "sexual", 1),  # 03-02-2023: day first, third date format
    }
    assert first.report.rows_read == 5
    assert dict(first.report.dropped) == {"footer total row": 1}
    assert first.report.dropped_rows == {"footer total row": [6]}
    assert first.report.kept == 4
    second = run(recipe, write(tmp_path, "2024.csv", FILE_2024), ctx(tmp_path), recipe_name="xx_policia.toml")
    assert cells(second) == {
        ("05001", "2024-01", "fisica", 1),
        ("05002", "2024-01", "psicologica", 1),
        ("08001", "2024-02", "psicologica", 1),
    }
    assert dict(second.report.dropped) == {"footer total row": 1}
    assert second.report.totals() == {"xx_eventos": {2024: 3}}


def test_rows_add_up_to_the_indicators_period_and_territory(tmp_path):
    """The same events, counted for a yearly department indicator: codes cut, dates to years."""
    text = EVENTS_RECIPE.replace('id = "xx_eventos"', 'id = "xx_eventos_dpto_anual"')
    text = text[: text.index("[breakdowns.violence_type]")]
    recipe = load_recipe(write(tmp_path, "r.toml", text))
    out = run(recipe, write(tmp_path, "2023.csv", FILE_2023), ctx(tmp_path))
    assert cells(out) == {("05", "2023-01", "total", 3), ("08", "2023-01", "total", 1)}
    obs = out.batch.observations
    assert list(obs["granularity"].unique()) == ["year"] and obs["value"].sum() == 4


def test_a_date_in_no_declared_format_names_row_and_column(tmp_path):
    recipe = load_recipe(write(tmp_path, "r.toml", EVENTS_RECIPE))
    bad = FILE_2023.replace("15/01/2023", "2023.01.15")
    with pytest.raises(IngestError) as info:
        run(recipe, write(tmp_path, "bad.csv", bad), ctx(tmp_path))
    message = str(info.value)
    assert "bad.csv" in message and "row 4, column 'date'" in message and "'2023.01.15'" in message


def test_a_value_outside_the_breakdown_map_is_refused(tmp_path):
    recipe = load_recipe(write(tmp_path, "r.toml", EVENTS_RECIPE))
    bad = FILE_2023.replace("SEXUAL", "ECONOMICA")
    with pytest.raises(IngestError) as info:
        run(recipe, write(tmp_path, "bad.csv", bad), ctx(tmp_path))
    assert "row 5, column 'kind'" in str(info.value) and "ECONOMICA" in str(info.value)


def test_an_unknown_code_is_refused_with_its_row(tmp_path):
    recipe = load_recipe(write(tmp_path, "r.toml", EVENTS_RECIPE))
    bad = FILE_2023.replace("08001000", "09001000")
    with pytest.raises(IngestError) as info:
        run(recipe, write(tmp_path, "bad.csv", bad), ctx(tmp_path))
    assert "unknown municipality codes in place" in str(info.value)
    assert "row 5, column 'place'" in str(info.value) and "'09001'" in str(info.value)


SUMMED = """
source = "xx_fiscalia"
country = "XX"
[columns]
year = ["anio_denuncia", "año"]
article = ["articulo"]
count = ["cantidad"]
code = ["ubigeo"]
[[keep]]
column = "article"
values = ["108-B"]
reason = "another article"
[indicator]
id = "xx_eventos_dpto_anual"
[period]
year = "year"
[territory]
level = "department"
code = "code"
first = 2
[value]
sum = "count"
"""


def test_sub_rows_of_one_cell_are_summed_and_other_rows_counted_as_dropped(tmp_path):
    path = write(
        tmp_path,
        "mp.csv",
        "\ufeffanio_denuncia;articulo;cantidad;ubigeo\n"
        "2021;108-B;10;05001\n2021;108-B;7;05001\n2021;122-B;900;05001\n2022;108-b;4;05002\n",
    )
    out = run(load_recipe(write(tmp_path, "mp.toml", SUMMED)), path, ctx(tmp_path))
    assert cells(out) == {("05", "2021-01", "total", 17), ("05", "2022-01", "total", 4)}
    assert dict(out.report.dropped) == {"another article": 1}
    assert out.report.dropped_rows["another article"] == [4]


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        (("[value]\nsum", "[value]\nsumm"), ["r.toml: key value.summ: Extra inputs are not permitted"]),
        (('id = "xx_eventos_dpto_anual"\n', ""), ["r.toml: key indicator", "give either id"]),
        (('column = "article"\nvalues', 'column = "articulo"\nvalues'), ["uses column(s) ['articulo']"]),
        (('[period]\nyear = "year"', "[period]\nformats = ['%Y']"), ["key period", "either year"]),
        (('level = "department"', 'level = "barrio"'), ["key territory.level", "'barrio' is not a level"]),
        (('sum = "count"', 'count_rows = true\nsum = "count"'), ["key value", "either count_rows"]),
        (('country = "XX"', 'country = "XX"\nkind = "case_list"'), ["a case list is counted"]),
    ],
)
def test_a_wrong_recipe_names_the_file_and_the_key(tmp_path, change, fragments):
    text = SUMMED.replace(*change)
    assert text != SUMMED
    with pytest.raises(RecipeError) as info:
        load_recipe(write(tmp_path, "r.toml", text))
    for fragment in fragments:
        assert fragment in str(info.value), str(info.value)


def test_a_drop_rule_with_a_broken_regular_expression_is_refused(tmp_path):
    text = EVENTS_RECIPE.replace('matches = "^TOTAL"', 'matches = "^(TOTAL"')
    with pytest.raises(RecipeError) as info:
        load_recipe(write(tmp_path, "r.toml", text))
    assert "r.toml: key drop.0.matches" in str(info.value) and "not a regular expression" in str(info.value)


def test_every_shipped_recipe_is_valid():
    folder = Path(__file__).parent.parent / "data" / "recipes"
    names = sorted(p.name for p in folder.glob("*.toml"))
    assert {"pe_sidpol_vcm.toml", "pe_cem_casos.toml", "cepal_oig_feminicidios.toml"} <= set(names)
    for path in folder.glob("*.toml"):
        assert load_recipe(path).source == path.stem


# --------------------------------------------------------------------------- recipe check (CLI)

PE_EVENTS_RECIPE = """
source = "pe_sidpol_vcm"
description = "an event-level police export"
[columns]
date = ["FECHA_HECHO", "FECHA"]
ubigeo = ["UBIGEO_HECHO", "UBIGEO"]
department = ["DPTO_HECHO", "DEPARTAMENTO"]
[[drop]]
column = "department"
equals = ["TOTAL", "TOTAL GENERAL"]
reason = "footer total row"
[indicator]
id = "pe_denuncias_vcm"
[period]
date = "date"
formats = ["%d/%m/%Y", "%Y-%m-%d"]
[territory]
level = "district"
code = "ubigeo"
pad = 6
[value]
count_rows = true
"""


def test_recipe_check_prints_rows_cells_totals_and_writes_nothing(tiny_warehouse, tmp_path, capsys):
    recipe = write(tmp_path, "events.toml", PE_EVENTS_RECIPE)
    path = write(
        tmp_path,
        "events.csv",
        """FECHA_HECHO,UBIGEO_HECHO,DPTO_HECHO
        03/01/2024,10101,AMAZONAS
        2024-01-09,010101,AMAZONAS
        2024-02-01,150101,LIMA METROPOLITANA
        TOTAL,,TOTAL
        """,
    )
    before = sha256_of(tiny_warehouse)
    code = main(["--warehouse", str(tiny_warehouse), "recipe", "check", str(path), "--recipe", str(recipe)])
    out = capsys.readouterr().out
    assert code == 0
    assert "rows read: 4" in out
    assert "dropped: 1  footer total row (rows 5)" in out
    assert "rows kept: 3" in out
    assert "cells: 2" in out
    assert "pe_denuncias_vcm: 2024 3" in out
    assert "unresolved names: none" in out
    assert sha256_of(tiny_warehouse) == before


def test_recipe_check_lists_unresolved_names_with_their_candidates(tiny_warehouse, tmp_path, capsys):
    recipe = write(
        tmp_path,
        "names.toml",
        """
        source = "pe_mimp_feminicidio_casos"
        kind = "case_list"
        [columns]
        department = ["DPTO"]
        province = ["PROV"]
        district = ["DIST"]
        [indicator]
        id = "pe_feminicidios_distrito_2019"
        [period]
        year = 2019
        [territory]
        level = "district"
        names = { department = "department", province = "province", district = "district" }
        crosswalk = "none.csv"
        [value]
        count_rows = true
        """,
    )
    path = write(
        tmp_path,
        "casos.csv",
        """DPTO,PROV,DIST
        LIMA,LIMA,ANCON
        AMAZONAS,CHACHAPOYAS,ASUNSION
        """,
    )
    code = main(["--warehouse", str(tiny_warehouse), "recipe", "check", str(path), "--recipe", str(recipe)])
    out = capsys.readouterr().out
    assert code == 0
    assert "dropped: 1  place name not resolved (rows 3)" in out
    assert "pe_feminicidios_distrito_2019: 2019 1" in out
    assert "row 3: district 'ASUNSION' in 0101 not found; nearest: Asunción (010102)" in out
