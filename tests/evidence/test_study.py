"""One claim's sides studied: copies folded into also_in, sources counted once, confidence over sources."""

from __future__ import annotations

from dataclasses import replace

import pytest

from evidence import AttributionKind, Study, corroborated_confidence
from index import Passage

SBS_STORY = (
    "The South Korean government is reportedly hesitant to approve the sale of Cheongung air defense systems "
    "to Ukraine, as doing so could conflict with current legislation, according to broadcaster SBS."
)
HERALD = (
    "Minister of National Defense Kim Yong-hyun, who spoke with his visiting Ukrainian counterpart Rustem "
    "Umerov for 30 minutes on Wednesday, said he “did not receive any proposals” from the delegation about "
    "buying the Cheongung air defense system, as some reports had speculated."
)


def passage(doc: str, text: str, outlet: str | None, date: str | None = "2024-11-28", i: int = 0) -> Passage:
    return Passage(f"{doc}:{i}", doc, i, text, outlet, date, None, None, None, None)


@pytest.fixture
def sides() -> list[Passage]:
    troib = passage("troib", SBS_STORY, "TROIB News", None)
    # two sites republish the TROIB sentence with a wire dateline and Kiev for Kyiv
    copy1 = passage("aggregator-1", "SEOUL — " + SBS_STORY.replace("Ukraine", "Kiev"), "Daily Wire Digest")
    copy2 = passage("aggregator-2", SBS_STORY.replace("broadcaster SBS", "SBS"), None)
    herald = passage("herald", HERALD, "The Korea Herald")
    return [troib, copy1, copy2, herald]


def test_copies_are_folded_into_the_first_listing(sides: list[Passage]) -> None:
    study = Study("Ukraine asked South Korea for the Cheongung air defence system", sides)
    result = study.side(sides)
    assert result.kept == ("troib:0", "herald:0")
    also = result.notes["troib:0"].also_in
    assert [(c.document_id, c.outlet, c.date) for c in also] == [
        ("aggregator-1", "Daily Wire Digest", "2024-11-28"),
        ("aggregator-2", None, "2024-11-28"),
    ]
    assert result.notes["herald:0"].also_in == ()
    # one SBS story, however many sites carry it, and the Herald's own report
    assert result.independent_sources == 2
    assert result.notes["troib:0"].source.name == "SBS"
    herald = result.notes["herald:0"]
    assert herald.attribution.kind is AttributionKind.QUOTE and "Kim Yong-hyun" in (
        herald.attribution.speaker or ""
    )


def test_a_copy_only_retrieved_is_listed_in_also_in_but_stays_where_it_was(sides: list[Passage]) -> None:
    study = Study("claim", sides)  # every passage was retrieved ...
    result = study.side([sides[0], sides[3]])  # ... but only two were listed on this side
    assert [c.document_id for c in result.notes["troib:0"].also_in] == ["aggregator-1", "aggregator-2"]
    assert result.kept == ("troib:0", "herald:0")


def test_a_second_sentence_of_one_document_is_no_copy_and_no_second_source() -> None:
    one = passage("herald", HERALD, "The Korea Herald")
    two = replace(one, passage_id="herald:1", sentence_index=1, text=HERALD)  # repeated in the same article
    result = Study("claim", [one, two]).side([one, two])
    assert result.kept == ("herald:0", "herald:1") and result.independent_sources == 1


def test_mismatches_are_a_property_of_claim_and_passage(sides: list[Passage]) -> None:
    notes = Study("The talks lasted two hours", sides).side(sides).notes
    flags = [(m.kind.value, m.claim, m.passage) for m in notes["herald:0"].mismatches]
    assert flags == [("unit", "two hours", "30 minutes")]
    assert notes["troib:0"].mismatches == ()


def test_corroborated_confidence() -> None:
    assert corroborated_confidence({"sbs": 0.7}) == pytest.approx(0.7)  # one source: unchanged
    two = corroborated_confidence({"sbs": 0.7, "herald": 0.6})
    assert two == pytest.approx(1 - 0.3 * (1 - 0.5 * 0.6))
    assert 0.7 < two < 1 - 0.3 * 0.4  # raised, but less than a plain noisy-OR
    assert corroborated_confidence({"a": 0.6, "b": 0.7}) == pytest.approx(two)  # order does not matter
