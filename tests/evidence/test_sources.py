"""Relays and outlet names, on the bundled sample corpus and on sentences that only look like relays."""

from __future__ import annotations

from pathlib import Path

import pytest

from evidence import Outlets, Study, cited_outlets, group_documents, outlet_key
from index import Passage
from index.articles import load_corpus
from index.config import IndexConfig
from index.passages import Segmenter, article_passages

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


@pytest.fixture(scope="module")
def passages() -> list[Passage]:
    segmenter = Segmenter()
    return [p for a in load_corpus(SAMPLE).articles for p in article_passages(a, segmenter, IndexConfig())]


@pytest.fixture(scope="module")
def study(passages: list[Passage]) -> Study:
    documents = group_documents(passages, {p.document_id for p in passages})
    return Study("Ukraine asked South Korea for the Cheongung air defence system", passages, documents)


def first(passages: list[Passage], prefix: str, index: int = 0) -> Passage:
    return next(p for p in passages if p.document_id.startswith(prefix) and p.sentence_index == index)


def test_troib_news_relays_rt_first_then_the_outlets_it_cites(study: Study, passages: list[Passage]) -> None:
    troib = first(passages, "001")
    # "Read Full Article at RT.com" is cut from the passages but kept as the article's source credit.
    assert troib.credits == ("Read Full Article at RT.com",)
    assert study.relays(troib) == ("RT", "SBS", "Yonhap", "The Korea Herald")
    assert study.origin(troib) == "RT"


def test_every_sample_document_relays_what_it_says_it_relays(study: Study, passages: list[Passage]) -> None:
    assert study.relays(first(passages, "003")) == ("SBS",)  # "SBS News reported", "according to SBS News"
    assert study.relays(first(passages, "004")) == ("South China Morning Post", "Bloomberg")
    assert study.relays(first(passages, "002")) == ()  # the AP wire story relays no one
    assert study.relays(first(passages, "000")) == ("TASS",)  # Rudenko's interview with TASS


def test_sources_follow_relays_so_two_reports_of_one_sbs_story_are_one_source(
    study: Study, passages: list[Passage]
) -> None:
    troib_sbs = first(passages, "001", 1)  # "..., according to broadcaster SBS."
    unnamed_site = first(passages, "003", 5)  # outlet unknown; the whole article relays SBS News
    herald = first(passages, "000", 2)
    assert study.source(troib_sbs).key == study.source(unnamed_site).key == "sbs"
    assert study.source(herald).name == "The Korea Herald"
    assert study.side([troib_sbs, unnamed_site, herald]).independent_sources == 2


def test_outlet_names_that_are_one_outlet() -> None:
    assert outlet_key("SBS News") == outlet_key("broadcaster SBS") == outlet_key("SBS")
    assert outlet_key("The Korea Herald") == outlet_key("Korea Herald")
    assert outlet_key("RT.com") == outlet_key("RT")
    assert outlet_key("AP") == outlet_key("Associated Press")
    assert outlet_key("Yonhap News Agency") == outlet_key("Yonhap")
    assert outlet_key("Reuters") != outlet_key("Bloomberg")


@pytest.mark.parametrize(
    "text",
    [
        "According to the South Korean defense minister, the Ukrainian delegation reported that Russia has "
        "deployed North Korean weapons.",
        "Government sources revealed that Ukraine was particularly interested in non-lethal weaponry.",
        "Police reported that 14 people were arrested in the raids.",
        "The Central Bank published its forecast on Thursday.",
        "Trade Minister Pavel Horák told reporters in Prague that he had not intervened.",
        "According to the company, less than 15,000 litres of acid reached the river.",
    ],
)
def test_speakers_that_are_not_outlets_are_not_relays(text: str) -> None:
    assert cited_outlets(text, Outlets.of(["The Korea Herald"])) == []


@pytest.mark.parametrize(
    ("text", "outlet"),
    [
        ("The minister resigned on Friday, the Financial Times reported.", "Financial Times"),
        ("Citing Bloomberg, the paper said the deal was off.", "Bloomberg"),
        ("The mayor told Reuters the levees had held.", "Reuters"),
        ("He said so in an interview with the Prague Morning Ledger.", "Prague Morning Ledger"),
        ("SEOUL (Yonhap) -- The talks ended without a statement.", "Yonhap"),
    ],
)
def test_outlets_cited_in_a_sentence(text: str, outlet: str) -> None:
    assert cited_outlets(text, Outlets.of()) == [outlet]


def test_an_outlet_citing_itself_relays_nothing() -> None:
    text = "In an interview with the Kyiv Post, the foundation's chief described the front lines."
    assert cited_outlets(text, Outlets.of(["Kyiv Post"]), own="Kyiv Post") == []
