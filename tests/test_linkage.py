"""Record linkage of case lists: exact answers on tiny made-up lists, refusals, the command, and
precision/recall on a small generated set with known truth."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from bench.caselists import Noise, generate
from bench.linkage import score
from observatory.build.errors import IngestError
from observatory.tools import linkage
from observatory.tools.linkage import check_case_list, link, read_case_lists

LISTS = Path(__file__).parent / "fixtures" / "linkage"
FILES = sorted(LISTS.glob("*.csv"))
HEADER = "institution,record_id,date,territory_code,age,relationship,method,kind\n"

# The five victims of tests/fixtures/linkage (see its README).
TRUTH = {
    frozenset({("MIMP-CEM", "CEM-2023-0107"), ("MINISTERIO-PUBLICO", "MP-55120"), ("PNP", "P-23-9001")}),
    frozenset({("MIMP-CEM", "CEM-2023-0211"), ("MINISTERIO-PUBLICO", "MP-55874")}),
    frozenset({("MIMP-CEM", "CEM-2023-0388"), ("PNP", "P-23-9145")}),
    frozenset({("MINISTERIO-PUBLICO", "MP-56330")}),
    frozenset({("PNP", "P-23-9377")}),
}


@pytest.fixture(scope="module")
def records() -> pd.DataFrame:
    return read_case_lists(FILES)


@pytest.fixture(scope="module")
def result(records):
    return link(records)


def test_reads_and_normalises_the_three_lists(records):
    assert len(records) == 9
    by_id = records.set_index("record_id")
    assert by_id.loc["MP-55874", "territory_code"] == "080101"  # the leading zero a spreadsheet lost
    assert by_id.loc["P-23-9001", "territory_code"] == "1501"
    assert by_id.loc["P-23-9001", "relationship"] == "partner"  # 'pareja'
    assert by_id.loc["P-23-9377", "relationship"] == "stranger"  # 'desconocido'
    assert by_id.loc["P-23-9145", "relationship"] is None  # blank
    assert pd.isna(by_id.loc["P-23-9001", "age"])
    assert by_id.loc["P-23-9001", "method"] is None  # pnp.csv has no method column
    assert by_id.loc["MP-55874", "age"] == 36
    assert str(by_id.loc["CEM-2023-0388", "date"].date()) == "2023-07-19"


def test_consolidated_count_and_institutions_are_exact(result):
    assert result.consolidated_count == 5
    assert result.institutions == {
        "MIMP-CEM": {"records": 3, "matched": 3, "unmatched": 0},
        "MINISTERIO-PUBLICO": {"records": 3, "matched": 2, "unmatched": 1},
        "PNP": {"records": 3, "matched": 2, "unmatched": 1},
    }


def test_clusters_are_the_victims(result):
    assert {frozenset(members) for members in result.clusters.values()} == TRUTH
    # Numbered by earliest date: victim 1 (10 March) first, victim 5 (22 November) last.
    assert result.clusters[1][0] == ("MIMP-CEM", "CEM-2023-0107")
    assert result.clusters[5] == [("PNP", "P-23-9377")]


def test_every_record_is_in_exactly_one_cluster(records, result):
    members = result.membership()
    assert list(members.columns) == ["cluster_id", "institution", "record_id"]
    assert len(members) == len(records)
    assert not members.duplicated(["institution", "record_id"]).any()
    assert set(zip(members["institution"], members["record_id"], strict=True)) == set(
        zip(records["institution"], records["record_id"], strict=True)
    )
    assert members["cluster_id"].nunique() == result.consolidated_count
    assert result.review.empty  # every pair is clear


def test_an_uncertain_pair_goes_to_review(records):
    # Five days and two districts of Lima apart, no age or relationship, and one institution
    # says attempt where the other says femicide: maybe one victim, maybe two.
    extra = pd.DataFrame(
        [
            ["MIMP-CEM", "CEM-2023-0450", "2023-10-14", "150103", "", "", "", "attempt"],
            ["MINISTERIO-PUBLICO", "MP-57001", "2023-10-19", "150110", "", "", "", "femicide"],
        ],
        columns=list(linkage.COLUMNS),
    )
    result = link(pd.concat([records, check_case_list(extra, "extra")], ignore_index=True))
    assert result.consolidated_count == 7  # the uncertain pair is not merged
    assert len(result.review) == 1
    pair = result.review.iloc[0]
    assert 0.5 <= pair["match_probability"] < linkage.MATCH_THRESHOLD
    assert pair["reason"] == "uncertain, left apart"
    assert {pair["record_id_l"], pair["record_id_r"]} == {"CEM-2023-0450", "MP-57001"}
    assert {pair["date_l"], pair["date_r"]} == {"2023-10-14", "2023-10-19"}
    assert {pair["kind_l"], pair["kind_r"]} == {"attempt", "femicide"}
    assert pair["cluster_id_l"] != pair["cluster_id_r"]


def test_records_of_one_institution_are_never_merged():
    # Two victims of one event (a mother and daughter): same date, place and method.
    same_event = pd.DataFrame(
        [
            ["PNP", "P-1", "2023-04-02", "150101", "45", "partner", "firearm", "femicide"],
            ["PNP", "P-2", "2023-04-02", "150101", "19", "family", "firearm", "femicide"],
            ["FISCALIA", "F-1", "2023-04-02", "150101", "45", "partner", "firearm", "femicide"],
            ["FISCALIA", "F-2", "2023-04-03", "150101", "19", "family", "firearm", "femicide"],
        ],
        columns=list(linkage.COLUMNS),
    )
    result = link(same_event)
    assert {frozenset(m) for m in result.clusters.values()} == {
        frozenset({("PNP", "P-1"), ("FISCALIA", "F-1")}),
        frozenset({("PNP", "P-2"), ("FISCALIA", "F-2")}),
    }
    assert result.parameters["one_record_per_institution"] is True


def test_same_institution_mode_merges_a_double_registration():
    twice = pd.DataFrame(
        [
            ["PNP", "P-1", "2023-04-02", "150101", "45", "partner", "firearm", "femicide"],
            ["PNP", "P-7", "2023-04-02", "150101", "45", "partner", "firearm", "femicide"],
            ["FISCALIA", "F-1", "2023-04-03", "1501", "45", "partner", "firearm", "femicide"],
            ["FISCALIA", "F-2", "2023-08-19", "040101", "30", "stranger", "beating", "attempt"],
        ],
        columns=list(linkage.COLUMNS),
    )
    # By default P-1 and P-7 are two victims, and F-1 is as alike to either: a person decides.
    apart = link(twice)
    assert apart.consolidated_count == 4
    assert set(apart.review["reason"]) == {
        "alike, but so is another record of the same institution: left apart"
    }
    assert sorted(apart.review["record_id_r"]) == ["P-1", "P-7"]
    assert (apart.review["pairwise_probability"] >= 0.9).all()
    result = link(twice, same_institution=True)
    assert {frozenset(m) for m in result.clusters.values()} == {
        frozenset({("PNP", "P-1"), ("PNP", "P-7"), ("FISCALIA", "F-1")}),
        frozenset({("FISCALIA", "F-2")}),
    }
    assert result.institutions["PNP"] == {"records": 2, "matched": 2, "unmatched": 0}
    assert result.parameters["one_record_per_institution"] is False


def test_typing_slips_are_linked():
    """Day and month swapped, two digits of a district code swapped (another province), the
    age's digits swapped: each pair is still one victim; the lone record stays alone."""
    slips = pd.DataFrame(
        [
            ["PNP", "P-1", "2023-03-05", "150101", "34", "partner", "sharp-object", "femicide"],
            ["FISCALIA", "F-1", "2023-05-03", "150101", "34", "partner", "sharp-object", "femicide"],
            ["PNP", "P-2", "2023-06-20", "040203", "27", "ex-partner", "strangulation", "attempt"],
            ["FISCALIA", "F-2", "2023-06-21", "042003", "27", "ex-partner", "strangulation", "attempt"],
            ["PNP", "P-3", "2023-09-11", "130105", "43", "family", "beating", "femicide"],
            ["FISCALIA", "F-3", "2023-09-12", "130105", "34", "family", "beating", "femicide"],
            ["PNP", "P-4", "2023-11-30", "080101", "51", "stranger", "firearm", "femicide"],
        ],
        columns=list(linkage.COLUMNS),
    )
    result = link(slips)
    assert result.parameters["estimated"] is False
    assert {frozenset(m) for m in result.clusters.values()} == {
        frozenset({("PNP", "P-1"), ("FISCALIA", "F-1")}),
        frozenset({("PNP", "P-2"), ("FISCALIA", "F-2")}),
        frozenset({("PNP", "P-3"), ("FISCALIA", "F-3")}),
        frozenset({("PNP", "P-4")}),
    }
    assert result.consolidated_count == 4 and result.review.empty


def one_keystroke(a: str, b: str) -> bool:
    """Same length, and one character replaced or two neighbours swapped."""
    diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    swapped = (
        len(diff) == 2 and diff[1] == diff[0] + 1 and (a[diff[0]], a[diff[1]]) == (b[diff[1]], b[diff[0]])
    )
    return len(diff) == 1 or swapped


def test_generated_typing_slips_are_seeded_and_one_keystroke_each():
    """The same seed with and without slips gives the same lists but for the slipped cells, and
    each slip is one keystroke (or day and month swapped) at about the configured rate."""
    rate = 0.05
    noise = Noise(date_typo=rate, territory_typo=rate, age_typo=rate)
    clean = generate(600, seed=3, noise=Noise(date_typo=0, territory_typo=0, age_typo=0)).records
    slipped = generate(600, seed=3, noise=noise)
    pd.testing.assert_frame_equal(slipped.records, generate(600, seed=3, noise=noise).records)
    both = clean.merge(slipped.records, on=["institution", "record_id"], suffixes=("", "_typed"))
    assert len(both) == len(clean)  # the same records, the same numbers
    for column in ("relationship", "method", "kind"):
        assert (both[column] == both[f"{column}_typed"]).all()
    for column in ("date", "territory_code", "age"):
        changed = both[both[column] != both[f"{column}_typed"]]
        assert 0.5 * rate * len(both) < len(changed) < 1.5 * rate * len(both), column
        for before, after in zip(changed[column], changed[f"{column}_typed"], strict=True):
            if column == "date":
                y, m, d = before.split("-")
                assert after == f"{y}-{d}-{m}" or (after[:8] == before[:8] and one_keystroke(before, after))
            else:
                assert one_keystroke(before, after), (before, after)
                assert before.startswith("0") or not after.startswith("0")  # no leading zero made up
    check_case_list(slipped.records, "slipped")  # every slip is still a valid value


def test_a_single_institution_links_nothing():
    one = pd.DataFrame(
        [
            ["PNP", "P-1", "2023-04-02", "150101", "45", "partner", "", ""],
            ["PNP", "P-2", "2023-04-02", "150101", "45", "partner", "", ""],
        ],
        columns=list(linkage.COLUMNS),
    )
    result = link(one)
    assert result.consolidated_count == 2
    assert result.institutions == {"PNP": {"records": 2, "matched": 0, "unmatched": 2}}


def test_checking_twice_changes_nothing(records):
    again = check_case_list(records, "records")
    pd.testing.assert_frame_equal(again, records.drop(columns=["_file"]))


@pytest.mark.parametrize("column", ["nombre", "DNI", "Apellidos de la víctima", "telefono"])
def test_personal_data_is_refused(tmp_path, column):
    path = tmp_path / "list.csv"
    path.write_text(
        f"institution,record_id,date,territory_code,relationship,{column}\n"
        "PNP,P-1,2023-01-05,150101,partner,x\n",
        encoding="utf-8",
    )
    with pytest.raises(IngestError) as err:
        read_case_lists([path])
    message = str(err.value)
    assert message.startswith("list.csv: refused")
    assert "Names and ID numbers are neither needed nor accepted" in message
    assert f"row 1, column '{column}'" in message


def test_bad_dates_are_reported_with_row_and_column(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text(
        HEADER
        + "PNP,P-1,2023-01-05,150101,30,partner,,\n"
        + "PNP,P-2,2023-02-30,150101,30,partner,,\n"
        + "PNP,P-3,05/03/2023,150101,30,partner,,\n",
        encoding="utf-8",
    )
    with pytest.raises(IngestError) as err:
        read_case_lists([path])
    message = str(err.value)
    assert "list.csv: invalid dates" in message
    assert "row 3, column 'date': not a date YYYY-MM-DD (value '2023-02-30')" in message
    assert "row 4, column 'date': not a date YYYY-MM-DD (value '05/03/2023')" in message
    assert err.value.rows_rejected == 2


@pytest.mark.parametrize(
    ("line", "fragments"),
    [
        (
            "PNP,P-2,2023-01-05,15-01,30,partner,,",
            ["malformed territory codes", "row 3, column 'territory_code'"],
        ),
        ("PNP,P-2,2023-01-05,150101,treinta,partner,,", ["invalid ages", "row 3, column 'age'", "'treinta'"]),
        ("PNP,P-2,2023-01-05,150101,30,novio de la prima,,", ["unknown relationship values", "row 3"]),
        ("PNP,P-2,2023-01-05,150101,30,partner,,suicidio", ["unknown kind values", "row 3, column 'kind'"]),
        ("PNP,,2023-01-05,150101,30,partner,,", ["empty record_id", "row 3, column 'record_id'"]),
        ("PNP,P-1,2023-01-06,150101,31,partner,,", ["duplicate rows", "row 2", "row 3"]),
        ("PNP,P-2,2099-01-05,150101,30,partner,,", ["dates outside 1990", "row 3, column 'date'"]),
    ],
)
def test_bad_cells_are_reported(tmp_path, line, fragments):
    path = tmp_path / "list.csv"
    path.write_text(HEADER + "PNP,P-1,2023-01-05,150101,30,partner,,\n" + line + "\n", encoding="utf-8")
    with pytest.raises(IngestError) as err:
        read_case_lists([path])
    for fragment in fragments:
        assert fragment in str(err.value)


def test_a_record_repeated_across_files_is_refused(tmp_path):
    for name in ("a.csv", "b.csv"):
        (tmp_path / name).write_text(HEADER + "PNP,P-1,2023-01-05,150101,30,partner,,\n", encoding="utf-8")
    with pytest.raises(IngestError, match="more than one file") as err:
        read_case_lists([tmp_path / "a.csv", tmp_path / "b.csv"])
    assert "a.csv, b.csv" in str(err.value)


def test_the_command_writes_clusters_summary_and_review(tmp_path, capsys):
    out = tmp_path / "out"
    assert linkage.main([*map(str, FILES), "--out", str(out), "--threshold", "0.9"]) == 0
    clusters = pd.read_csv(out / "clusters.csv", dtype=str)
    assert list(clusters.columns) == ["cluster_id", "institution", "record_id"]
    assert len(clusters) == 9 and clusters["cluster_id"].nunique() == 5
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["consolidated_count"] == 5
    assert summary["records"] == 9
    assert summary["threshold"] == 0.9
    assert summary["institutions"]["PNP"] == {"records": 3, "matched": 2, "unmatched": 1}
    assert summary["model"]["estimated"] is False  # nine records: the prior model
    assert set(summary["model"]["comparisons"]) == {
        "date",
        "territory",
        "age",
        "relationship",
        "method",
        "kind",
    }
    review = pd.read_csv(out / "review.csv")
    assert review.empty and "match_probability" in review.columns and "record_id_l" in review.columns
    printed = capsys.readouterr().out
    assert "9 records from 3 institutions describe 5 distinct victims" in printed


def test_the_command_refuses_personal_data_and_writes_nothing(tmp_path, capsys):
    path = tmp_path / "list.csv"
    path.write_text("institution,record_id,date,territory_code,relationship,nombre\n", encoding="utf-8")
    assert linkage.main([str(path), "--out", str(tmp_path / "out")]) == 2
    assert not (tmp_path / "out").exists()
    assert "column 'nombre'" in capsys.readouterr().err


@pytest.mark.slow
def test_generated_lists_meet_the_target():
    lists = generate(150, seed=7)
    result = link(lists.records, seed=42)
    assert result.parameters["estimated"] is True  # > 200 records: estimated, not the prior
    figures = score(result.membership(), lists.truth)
    assert figures["precision"] >= 0.95
    assert figures["recall"] >= 0.95
    again = link(lists.records.sample(frac=1, random_state=0), seed=42)
    pd.testing.assert_frame_equal(again.membership(), result.membership())
