"""Mismatch flags: another number, unit, date or office-holder than the claim, and no false alarms."""

from __future__ import annotations

import pytest

from evidence import MismatchKind, find_mismatches

THIRTY_MINUTES = (
    "Minister of National Defense Kim Yong-hyun, who spoke with his visiting Ukrainian counterpart Rustem "
    "Umerov for 30 minutes on Wednesday, said he “did not receive any proposals” from the delegation."
)
PROPELLANTS = (
    "The delegation even requested 155 mm artillery shell propellants, suggesting that if lethal ammunition "
    "sales were impossible, they would settle for propellant materials."
)


def flags(claim: str, passage: str) -> list[tuple[str, str, str]]:
    return [(m.kind.value, m.claim, m.passage) for m in find_mismatches(claim, passage)]


def test_two_hours_against_thirty_minutes_is_a_unit_mismatch() -> None:
    assert flags("The talks lasted two hours", THIRTY_MINUTES) == [("unit", "two hours", "30 minutes")]


def test_another_calibre_is_a_number_mismatch() -> None:
    assert flags("Ukraine requested 105mm shells", PROPELLANTS) == [("number", "105mm", "155 mm")]


def test_another_year_is_a_date_mismatch() -> None:
    passage = "Since Russia’s invasion of Ukraine in 2022, South Korea has joined U.S.-led sanctions."
    assert flags("Russia invaded Ukraine in 2023", passage) == [("date", "2023", "2022")]
    strike = "Unions said on Thursday they would hold a 24-hour general strike on March 20."
    assert flags("The general strike is on March 21", strike) == [("date", "March 21", "March 20")]


def test_another_minister_is_a_name_mismatch() -> None:
    passage = "The delegation met Defense Minister Kim Yong-hyun, presenting a detailed request."
    found = find_mismatches("Defense Minister Shin Won-sik met the delegation", passage)
    assert [m.kind for m in found] == [MismatchKind.NAME]
    assert found[0].claim == "Defense Minister Shin Won-sik" and "Kim Yong-hyun" in found[0].passage
    # the same minister, spelled another way, is no mismatch
    assert flags("Defence Minister Kim Yong Hyun met the delegation", passage) == []


@pytest.mark.parametrize(
    ("claim", "passage"),
    [
        ("The talks lasted 30 minutes", THIRTY_MINUTES),
        ("The talks lasted half an hour", THIRTY_MINUTES),
        ("The meeting took 120 minutes", "The leaders met for two hours on Monday."),
        (
            "North Korea sent 12,000 soldiers to Russia",
            "North Korea’s dispatch of more than 10,000 soldiers.",
        ),
        (
            "Nordlys-2 cost more than 150 million euros",
            "Aurex said Nordlys-2 had cost roughly 160 million euros.",
        ),
        ("Russia invaded Ukraine in 2022", "Since the 2022 invasion, and again in 2024, Seoul sent aid."),
        # different things measured in the same unit are not compared
        ("Ukraine requested 155mm propellant charges", "Russia deployed 240 mm multiple rocket launchers."),
        # a passage without comparable values says nothing either way
        ("The talks lasted two hours", "The delegation met the president in Seoul."),
    ],
)
def test_agreeing_or_unrelated_values_raise_no_flag(claim: str, passage: str) -> None:
    assert flags(claim, passage) == []


def test_a_plainly_different_count_of_the_same_thing() -> None:
    assert flags(
        "Colombia expelled five Ecuadorian diplomats", "Colombia expelled three Ecuadorian diplomats."
    ) == [("number", "five Ecuadorian diplomats", "three Ecuadorian diplomats")]
    assert flags(
        "The contract is worth 200 million euros", "The contract is worth about 180 million euros."
    ) == [("number", "200 million euros", "about 180 million euros")]
