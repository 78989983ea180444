"""Target 1.1 indicators on tiny hand-made tables, and the roadmap's baseline on the demo."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from drane_analysis.data import Data
from drane_analysis.indicators import evaluate
from drane_analysis.sources.pix import COMPETENCE_COLUMNS
from drane_analysis.targets import t1_1_pix as t

COLLEGE_A, COLLEGE_B, LYCEE_C, COLLEGE_D = "0331503E", "0240026Y", "0160010Z", "0230002C"


def annuaire() -> pd.DataFrame:
    return pd.DataFrame({
        "uai": [COLLEGE_A, COLLEGE_B, LYCEE_C, COLLEGE_D],
        "name": ["A", "B", "C", "D"],
        "kind": ["college", "college", "lycee", "college"],
        "sector": ["public"] * 4,
        "commune_code": ["33001", "24001", "16001", "23001"],
        "department": ["33", "24", "16", "23"],
        "academy": ["bordeaux", "bordeaux", "poitiers", "limoges"],
        "priority_education": ["rep", "none", "none", "none"],
        "nature_code": ["340", "340", "306", "340"],
        "private_contract_code": ["99"] * 4,
    })


def communes() -> pd.DataFrame:
    return pd.DataFrame({"commune_code": ["33001", "24001", "16001", "23001"],
                         "territory": ["urban", "rural", "urban", "rural"]})


def orga() -> pd.DataFrame:
    rows = []
    for date, statuses in (("2021-01-15", ["active", "imported", "active", "active"]),
                           ("2021-06-15", ["active", "active", "active", "active"])):
        for uai, status in zip([COLLEGE_A, COLLEGE_B, LYCEE_C, COLLEGE_D], statuses, strict=True):
            rows.append({"period": "2020-2021", "snapshot_date": pd.Timestamp(date), "uai": uai,
                         "department": None, "academy": None, "status": status, "activation_date": pd.NaT,
                         "campaigns": 1, "first_campaign_date": pd.Timestamp("2020-10-01"),
                         "launched_campaign": uai != COLLEGE_D})
    return pd.DataFrame(rows)


def certification() -> pd.DataFrame:
    results = [(COLLEGE_A, "validated", 100), (COLLEGE_A, "validated", 200), (COLLEGE_A, "validated", 300),
               (COLLEGE_A, "validated", 200), (COLLEGE_A, "not_obtained", 0), (COLLEGE_A, "cancelled", None),
               (LYCEE_C, "validated", 250), (LYCEE_C, "validated", 250), (LYCEE_C, "validated", 250),
               (LYCEE_C, "validated", 250), (LYCEE_C, "validated", 250)]
    frame = pd.DataFrame(results, columns=["uai", "status", "score"])
    frame["score"] = frame["score"].astype("Int64")
    frame["period"] = "2020-2021"
    frame["certification_type"] = "Pix"
    for col in COMPETENCE_COLUMNS:
        frame[col] = pd.array([1] * len(frame), dtype="Int64")
    return frame


def effectifs() -> dict[str, pd.DataFrame]:
    college = pd.DataFrame({"uai": [COLLEGE_A, COLLEGE_B, COLLEGE_D], "period": "2020-2021", "level": "3e",
                            "pupils": [10, 5, 4]})
    gt = pd.DataFrame({"uai": [LYCEE_C, LYCEE_C], "period": "2020-2021", "level": ["tle_g", "1ere_g"],
                       "pupils": [6, 99]})
    pro = pd.DataFrame({"uai": [LYCEE_C], "period": "2020-2021", "level": ["tle_pro"], "pupils": [4]})
    return {"effectifs_college": college, "effectifs_lycee_gt": gt, "effectifs_lycee_pro": pro}


@pytest.fixture
def data() -> Data:
    return Data.from_frames({"annuaire": annuaire(), "communes": communes(), "pix_orga": orga(),
                             "pix_certification": certification(), **effectifs()})


def value(series: pd.DataFrame, indicator: str, scope: str) -> pd.Series:
    row = series[(series["indicator"] == indicator) & (series["academy"] == scope)]
    assert len(row) == 1, row
    return row.iloc[0]


def test_activation_uses_the_january_snapshot(data):
    s = t.compute(data)
    # January: Bordeaux A active, B imported -> 1/2; June would have given 2/2.
    bx = value(s, "pix_orga_activation_rate", "bordeaux")
    assert (bx["numerator"], bx["denominator"], bx["value"]) == (1, 2, 50.0)
    region = value(s, "pix_orga_activation_rate", "region")
    assert (region["numerator"], region["denominator"]) == (3, 4)  # B imported in January
    camp = value(s, "pix_orga_campaign_rate", "region")
    assert (camp["numerator"], camp["denominator"]) == (3, 4)


def test_certification_rate_counts_validated_over_enrolled(data):
    s = t.compute(data)
    # 3e: A has 4 validated of 10 enrolled, B held no session (0 of 5), D none (0 of 4).
    bx = value(s, "pix_certification_rate_3e", "bordeaux")
    assert (bx["numerator"], bx["denominator"]) == (4, 15)
    assert bx["value"] == pytest.approx(400 / 15)
    region = value(s, "pix_certification_rate_3e", "region")
    assert (region["numerator"], region["denominator"]) == (4, 19)
    # Terminale: C has 5 validated of 6 (general) + 4 (vocational) enrolled; première is not eligible.
    term = value(s, "pix_certification_rate_terminale", "poitiers")
    assert (term["numerator"], term["denominator"], term["value"]) == (5, 10, 50.0)


def test_certification_interval_takes_establishments_as_clusters(data):
    s = t.compute(data)
    # Region, 3e: A 4 of 10, B 0 of 5, D 0 of 4. Ratio estimator R = 4/19; linearised
    # values z = (y − R x) / 19; variance 3/2 Σ z²; Student with 3 − 1 degrees of freedom.
    r = 4 / 19
    z = (np.array([4, 0, 0]) - r * np.array([10, 5, 4])) / 19
    half = 4.302653 * np.sqrt(3 / 2 * np.sum(z ** 2)) * 100
    region = value(s, "pix_certification_rate_3e", "region")
    assert region["ci_high"] == pytest.approx(r * 100 + half, rel=1e-6)
    assert region["ci_low"] == 0                                  # r − half < 0: bounded at 0
    # The Wilson interval of 4 of 19 pupils, as if they were independent, was far narrower.
    assert region["ci_high"] - region["ci_low"] > 2 * (46.5 - 8.5)
    # One lycée: its pupils say nothing about how lycées differ, no interval (Wilson gave one).
    term = value(s, "pix_certification_rate_terminale", "poitiers")
    assert np.isnan(term["ci_low"]) and np.isnan(term["ci_high"])


def test_mean_score_of_validated_certifications_with_establishments_as_clusters(data):
    s = t.compute(data)
    row = value(s, "pix_mean_score_3e", "bordeaux")
    # 100, 200, 300, 200 in one collège: mean 200 of 4 pupils; one establishment, no interval
    # (a Student interval over the 4 pupils would treat them as independent).
    assert row["value"] == 200 and row["denominator"] == 4
    assert np.isnan(row["ci_low"]) and np.isnan(row["ci_high"])
    assert value(s, "pix_mean_score_terminale", "poitiers")["value"] == 250


def test_score_bands_and_the_figures_of_the_caveats(data):
    bands = t.score_bins(data, "region", "2020-2021")
    assert (bands["3e"].sum(), bands["terminale"].sum()) == (4, 5)
    assert bands.loc[bands["low"] == 192, "3e"].item() == 2           # 200 twice, in [192, 224)
    assert bands.loc[bands["low"] == 224, "terminale"].item() == 5    # 250 five times
    figures = t.coverage_figures(data, "region", "2020-2021")
    assert figures["no_session"] == 2                                  # B and D held no session
    assert len(figures["establishments"]) == 4
    assert (figures["over"], figures["merged"], figures["other_types"], figures["unrated"]) == (0, 0, 0, {})
    assert [level for level, _ in t.design_effects(figures["establishments"])] == ["3e"]  # one lycée: none

def test_score_table_is_a_ratio_of_sums_over_establishments():
    scores = pd.DataFrame({"uai": ["A", "A", "B", "B", "B", "C"], "period": "2020-2021",
                           "score": [100.0, 200.0, 300.0, 300.0, 300.0, 400.0]})
    row = t.score_table(scores, by=["period"]).iloc[0]
    # Σ scores 1 600 over 6 pupils; z_i = (Σ scores_i − mean × pupils_i) / 6
    mean = 1600 / 6
    z = (np.array([300, 900, 400]) - mean * np.array([2, 3, 1])) / 6
    assert row["value"] == pytest.approx(mean) and row["denominator"] == 6 and row["clusters"] == 3
    assert row["ci_high"] - mean == pytest.approx(4.302653 * np.sqrt(3 / 2 * np.sum(z ** 2)), rel=1e-6)


def test_breakdown_by_territory(data):
    table = t.breakdown(data, "pix_certification_rate_3e", "region", "2020-2021", "territory").set_index("group")
    assert (table.loc["urban", "numerator"], table.loc["urban", "denominator"]) == (4, 10)
    assert (table.loc["rural", "numerator"], table.loc["rural", "denominator"]) == (0, 9)
    assert table.loc["rural", "label"] == "Rural"


def test_statuses_against_the_roadmaps_objectives(data):
    table = evaluate(t.compute(data), periods=["2020-2021"], scopes=["poitiers"])
    status = dict(zip(table["indicator"], table["status"], strict=True))
    assert status["pix_mean_score_terminale"] == "not_reached"  # 250 < 256
    assert status["pix_orga_activation_rate"] == "reached"       # 1 of 1
    assert status["pix_orga_campaign_rate"] == "no_objective"


# --------------------------------------------------------------------------- pupils, not rows

LYCEE_E, LP_F = "0160020K", "0860002K"   # a lycée général et technologique, a lycée professionnel


def pupil_rows(rows: list[tuple]) -> pd.DataFrame:
    """Certification rows (uai, pupil, type, status, score, exam date) as the reader gives them."""
    frame = pd.DataFrame(rows, columns=["uai", "pupil_id", "certification_type", "status", "score", "exam_date"])
    frame["pupil_id"] = frame["pupil_id"].astype("string")
    frame["score"] = frame["score"].astype("Int64")
    frame["exam_date"] = pd.to_datetime(frame["exam_date"])
    frame["period"] = "2020-2021"
    frame["department"] = frame["uai"].str.slice(1, 3)
    frame["academy"] = frame["department"].map({"33": "bordeaux", "24": "bordeaux", "23": "limoges",
                                                "16": "poitiers", "86": "poitiers"})
    return frame


def test_rate_and_score_count_pupils_of_the_pix_certification_only():
    # Collège A (10 pupils in 3e): P1 fails then validates; P2 validates twice (latest: 260);
    # P3 and P4 validate CléA and Pix+ (not the Pix certification); P5 fails; P6 is cancelled.
    cert = pupil_rows([
        (COLLEGE_A, "P1", "Pix", "not_obtained", 0, "2021-03-01"),
        (COLLEGE_A, "P1", "Pix", "validated", 150, "2021-05-01"),
        (COLLEGE_A, "P2", "Pix", "validated", 200, "2021-05-01"),
        (COLLEGE_A, "P2", "Pix", "validated", 260, "2021-06-01"),
        (COLLEGE_A, "P3", "CléA Numérique by Pix", "validated", None, "2021-05-01"),
        (COLLEGE_A, "P4", "Pix+ Édu 2nd degré", "validated", None, "2021-05-01"),
        (COLLEGE_A, "P5", "Pix", "not_obtained", 0, "2021-05-01"),
        (COLLEGE_A, "P6", "Pix", "cancelled", None, "2021-05-01"),
    ])
    data = Data.from_frames({"annuaire": annuaire(), "communes": communes(), "pix_orga": orga(),
                             "pix_certification": cert, **effectifs()})
    s = t.compute(data)
    # Certified pupils: P1 and P2 (the rows would have said 5: P1, P2 twice, P3, P4).
    bx = value(s, "pix_certification_rate_3e", "bordeaux")
    assert (bx["numerator"], bx["denominator"]) == (2, 15)          # A 10 + B 5 enrolled
    assert bx["value"] == pytest.approx(200 / 15)
    assert bx["note"] == ""
    est = t.certification_by_establishment(data).set_index("uai")
    assert (est.loc[COLLEGE_A, "candidates"], est.loc[COLLEGE_A, "certified"]) == (3, 2)  # P1, P2, P5
    # The score of the same pupils: P1 150, P2 260 (latest), not the mean of the rows 150, 200, 260.
    score = value(s, "pix_mean_score_3e", "bordeaux")
    assert (score["value"], score["denominator"]) == (205, 2)
    res = t.pupil_results(data).set_index("pupil")
    assert res.loc["P1", "certifications"] == 2 and res.loc["P2", "score"] == 260
    assert set(res.index) == {"P1", "P2", "P5"}


def test_more_certified_than_enrolled_is_kept_with_a_note():
    # Collège D (Limoges) has 4 pupils enrolled in 3e and 6 distinct certified pupils.
    cert = pupil_rows([(COLLEGE_A, "A1", "Pix", "validated", 150, "2021-05-01"),
                       (COLLEGE_A, "A2", "Pix", "validated", 150, "2021-05-01")]
                      + [(COLLEGE_D, f"D{i}", "Pix", "validated", 150, "2021-05-01") for i in range(6)])
    data = Data.from_frames({"annuaire": annuaire(), "communes": communes(), "pix_orga": orga(),
                             "pix_certification": cert, **effectifs()})
    s = t.compute(data)
    lim = value(s, "pix_certification_rate_3e", "limoges")
    assert (lim["numerator"], lim["denominator"], lim["value"]) == (6, 4, 150.0)   # not capped
    assert np.isnan(lim["ci_high"])                             # one collège: no clustered interval
    assert "1 établissement(s)" in lim["note"] and "(+2)" in lim["note"]
    assert "100,0\u202f%" in lim["note"]                                          # capped at its 4 pupils
    region = value(s, "pix_certification_rate_3e", "region")
    assert region["value"] == pytest.approx(800 / 19)                             # 8 of A 10 + B 5 + D 4
    assert 0 <= region["ci_low"] < region["value"] < region["ci_high"] <= 100
    assert "31,6\u202f%" in region["note"]                                         # (2 + 0 + 4) / 19
    assert value(s, "pix_certification_rate_3e", "bordeaux")["note"] == ""


def lycees_annuaire() -> pd.DataFrame:
    extra = pd.DataFrame({
        "uai": [LYCEE_E, LP_F], "name": ["E", "F"], "kind": ["lycee", "lycee"], "sector": ["public"] * 2,
        "commune_code": ["16001", "16001"], "department": ["16", "86"], "academy": ["poitiers"] * 2,
        "priority_education": ["none"] * 2, "nature_code": ["300", "320"], "private_contract_code": ["99"] * 2,
    })
    return pd.concat([annuaire(), extra], ignore_index=True)   # C is a lycée polyvalent (306)


def test_terminale_rate_keeps_numerator_and_denominator_on_the_same_lycees():
    cert = pupil_rows([(LYCEE_C, f"C{i}", "Pix", "validated", 250, "2021-06-01") for i in range(5)]
                      + [(LYCEE_E, f"E{i}", "Pix", "validated", 250, "2021-06-01") for i in range(3)]
                      + [(LP_F, f"F{i}", "Pix", "validated", 250, "2021-06-01") for i in range(2)])
    frames = effectifs()
    frames["effectifs_lycee_gt"] = pd.DataFrame({"uai": [LYCEE_C, LYCEE_E], "period": "2020-2021",
                                                 "level": "tle_g", "pupils": [6, 6]})
    frames["effectifs_lycee_pro"] = pd.DataFrame({"uai": [LYCEE_C, LP_F], "period": "2020-2021",
                                                  "level": "tle_pro", "pupils": [4, 10]})
    both = Data.from_frames({"annuaire": lycees_annuaire(), "communes": communes(), "pix_orga": orga(),
                             "pix_certification": cert, **frames})
    row = value(t.compute(both), "pix_certification_rate_terminale", "poitiers")
    assert (row["numerator"], row["denominator"]) == (10, 26)        # C 5 / 10, E 3 / 6, F 2 / 10
    assert t.unrated_certifications(both).empty
    # Without the vocational file, the lycée polyvalent C cannot be split by track and the LP
    # F has no enrolment: both leave numerator and denominator (before: C's 5 certified stayed
    # over its 6 general pupils, 8 / 12).
    del frames["effectifs_lycee_pro"]
    gt_only = Data.from_frames({"annuaire": lycees_annuaire(), "communes": communes(), "pix_orga": orga(),
                                "pix_certification": cert, **frames})
    row = value(t.compute(gt_only), "pix_certification_rate_terminale", "poitiers")
    assert (row["numerator"], row["denominator"]) == (3, 6)
    unrated = t.unrated_certifications(gt_only).set_index("uai")
    assert unrated["reason"].to_dict() == {LYCEE_C: "track_file_missing", LP_F: "track_file_missing"}
    assert unrated["candidates"].to_dict() == {LYCEE_C: 5, LP_F: 2}
    # The mean score does not need enrolment: it keeps every lycée's certified pupils.
    assert value(t.compute(gt_only), "pix_mean_score_terminale", "poitiers")["denominator"] == 10


@pytest.mark.slow
def test_demo_reproduces_the_roadmaps_january_2021_table(demo_dir):
    check = t.baseline_check(Data(demo_dir))
    assert set(check["academy"]) == {"bordeaux", "limoges", "poitiers"}
    statuses = check[check["status"] != "campaign"]
    assert (statuses["computed"] - statuses["roadmap"]).abs().max() < 0.005
    counts = check[check["status"] == "campaign"].set_index("academy")
    assert counts["computed_count"].to_dict() == {"bordeaux": 457, "limoges": 109, "poitiers": 250}
    assert counts["total"].to_dict() == {"bordeaux": 549, "limoges": 139, "poitiers": 303}


# --------------------------------------------------------------------------- coverage of the joins


def frames_with(cert: pd.DataFrame, **enrolment: pd.DataFrame) -> Data:
    frames = {**effectifs(), **enrolment}
    return Data.from_frames({"annuaire": lycees_annuaire(), "communes": communes(), "pix_orga": orga(),
                             "pix_certification": cert, **frames})


def test_certifications_of_establishments_missing_from_the_enrolment_file_are_measured():
    # Pix × effectifs_college: collège A (4 certified) lost its row of the enrolment file;
    # the rate is computed on B alone (1 certified of 5) and says what it lost.
    cert = pupil_rows([(COLLEGE_A, f"A{i}", "Pix", "validated", 150, "2021-05-01") for i in range(4)]
                      + [(COLLEGE_B, "B1", "Pix", "validated", 150, "2021-05-01")])
    college = pd.DataFrame({"uai": [COLLEGE_B, COLLEGE_D], "period": "2020-2021", "level": "3e", "pupils": [5, 4]})
    data = frames_with(cert, effectifs_college=college)
    s = t.compute(data)
    bx = value(s, "pix_certification_rate_3e", "bordeaux")
    assert (bx["numerator"], bx["denominator"]) == (1, 5)
    assert bx["coverage"] == pytest.approx(20.0)
    assert bx["coverage_note"] == (
        "taux calculé sur 20\u202f% des élèves certifiés : 1 établissement sans élèves inscrits au niveau dans les "
        "fichiers d'effectifs de l'année (4 élèves certifiés)")
    # Limoges held no session at all: its export is taken as missing, not as 0 certified.
    lim = value(s, "pix_certification_rate_3e", "limoges")
    assert (lim["value"], lim["coverage"]) == (0.0, 0.0)
    assert lim["coverage_note"] == ("taux calculé sur 0 % des élèves inscrits : 1 académie absente de l'export Pix "
                                    "Certif de l'année (4 élèves inscrits)")
    assert "1 académie absente" in value(s, "pix_certification_rate_3e", "region")["coverage_note"]
    table = evaluate(s, periods=["2020-2021"], scopes=["bordeaux"]).set_index("indicator")
    assert table.loc["pix_certification_rate_3e", "status"] == "withheld"
    assert table.loc["pix_certification_rate_3e", "value"] == pytest.approx(20.0)
    # The score needs no enrolment: it keeps A's pupils, nothing lost.
    assert value(s, "pix_mean_score_3e", "bordeaux")["coverage"] == 100.0


def test_a_lycee_polyvalent_listed_in_one_enrolment_file_only_leaves_the_rate():
    # Pix × effectifs_lycee_gt / _pro: the LPO C is in the vocational file only (4 pupils).
    # Kept, its 5 certified would count over its 4 vocational pupils (9 / 10 instead of 3 / 6).
    cert = pupil_rows([(LYCEE_C, f"C{i}", "Pix", "validated", 250, "2021-06-01") for i in range(5)]
                      + [(LYCEE_E, f"E{i}", "Pix", "validated", 250, "2021-06-01") for i in range(3)])
    gt = pd.DataFrame({"uai": [LYCEE_E], "period": "2020-2021", "level": "tle_g", "pupils": [6]})
    pro = pd.DataFrame({"uai": [LYCEE_C], "period": "2020-2021", "level": "tle_pro", "pupils": [4]})
    data = frames_with(cert, effectifs_lycee_gt=gt, effectifs_lycee_pro=pro)
    row = value(t.compute(data), "pix_certification_rate_terminale", "poitiers")
    assert (row["numerator"], row["denominator"]) == (3, 6)
    assert t.unrated_certifications(data).set_index("uai")["reason"].to_dict() == {LYCEE_C: "track_absent"}
    # 3 of 8 certified pupils, 6 of 10 enrolled: the lower, and both sentences.
    assert row["coverage"] == pytest.approx(37.5)
    assert row["coverage_note"].startswith("taux calculé sur 37\u202f% des élèves certifiés : 1 lycée polyvalent "
                                           "présent dans un seul des deux fichiers d'effectifs de l'année (5 élèves "
                                           "certifiés) ; taux calculé sur 60\u202f% des élèves inscrits : ")
    assert row["coverage_note"].endswith("(4 élèves inscrits)")


def test_certifications_of_establishments_unknown_to_the_annuaire_are_measured_for_both_levels():
    # Pix × annuaire: 0860099Z is not in the annuaire (its level is unknown): its 2 certified
    # pupils count in no rate and no score, and in the coverage of both levels (a lower bound).
    unknown = "0860099Z"
    cert = pupil_rows([(LYCEE_C, f"C{i}", "Pix", "validated", 250, "2021-06-01") for i in range(6)]
                      + [(unknown, f"U{i}", "Pix", "validated", 300, "2021-06-01") for i in range(2)])
    s = t.compute(frames_with(cert))
    term = value(s, "pix_certification_rate_terminale", "poitiers")
    assert (term["numerator"], term["coverage"]) == (6, pytest.approx(75.0))
    assert "1 établissement inconnu de l'annuaire ou ni collège, ni EREA, ni lycée (niveau inconnu) (2 élèves " \
           "certifiés)" in term["coverage_note"]
    score = value(s, "pix_mean_score_terminale", "poitiers")
    assert (score["value"], score["denominator"], score["coverage"]) == (250, 6, pytest.approx(75.0))
    assert score["coverage_note"].startswith("score moyen calculé sur 75\u202f% des élèves certifiés")
    # Poitiers has no collège: no 3e rate could be computed, and a row says why rather than nothing.
    third = value(s, "pix_certification_rate_3e", "poitiers")
    assert np.isnan(third["value"]) and third["coverage"] == 0.0
    assert third["coverage_note"].startswith("taux calculé sur 0\u202f% des élèves certifiés")


def test_enrolled_pupils_of_establishments_unknown_to_the_annuaire_are_measured():
    # effectifs × annuaire: 20 pupils of 3e of a collège the annuaire lacks leave the denominator.
    cert = pupil_rows([(COLLEGE_A, "A1", "Pix", "validated", 150, "2021-05-01")])
    college = pd.concat([effectifs()["effectifs_college"],
                         pd.DataFrame({"uai": ["0330099Z"], "period": "2020-2021", "level": "3e", "pupils": [20]})],
                        ignore_index=True)
    bx = value(t.compute(frames_with(cert, effectifs_college=college)), "pix_certification_rate_3e", "bordeaux")
    assert (bx["numerator"], bx["denominator"]) == (1, 15)
    assert bx["coverage"] == pytest.approx(15 / 35 * 100)
    assert bx["coverage_note"] == ("taux calculé sur 42\u202f% des élèves inscrits : 1 établissement des fichiers "
                                   "d'effectifs inconnu de l'annuaire (20 élèves inscrits)")


def test_the_ips_breakdown_keeps_the_pupils_of_establishments_without_ips(data):
    # Establishments × IPS: of the annuaire's collèges only A has an IPS (quartiles are cut
    # with three other collèges of the file); B and D are in a « Non renseigné » group with
    # their 9 pupils, not dropped from the breakdown.
    ips = pd.DataFrame({"uai": [COLLEGE_A, "0330091A", "0330092B", "0330093C"], "period": "2020-2021",
                        "ips": [100.0, 80.0, 90.0, 110.0]})
    frames = {"annuaire": annuaire(), "communes": communes(), "pix_orga": orga(),
              "pix_certification": certification(), "ips_colleges": ips, **effectifs()}
    table = t.breakdown(Data.from_frames(frames), "pix_certification_rate_3e", "region", "2020-2021",
                        "ips_quartile").set_index("label")
    assert table.loc["Non renseigné", "denominator"] == 9
    assert table.loc["Q3", "denominator"] == 10 and table["denominator"].sum() == 19
