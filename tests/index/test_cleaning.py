"""Scraping debris removal, line by line and on the bundled sample corpus."""

from __future__ import annotations

from pathlib import Path

from index.articles import load_corpus
from index.cleaning import clean_line, clean_text

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample"


def _sample_text(prefix: str) -> tuple[str, str | None]:
    article = next(a for a in load_corpus(SAMPLE).articles if a.document_id.startswith(prefix))
    return article.text, article.title


def test_read_full_article_fragment_is_cut_and_sentence_kept() -> None:
    line = "A delegation has allegedly requested missiles from South Korea. Read Full Article at RT.com"
    assert clean_line(line) == "A delegation has allegedly requested missiles from South Korea."


def test_photo_credit_tails_and_parentheses() -> None:
    caption = "Protesters rally in Seoul, Wednesday, Nov. 27, 2024. (AP Photo/Ahn Young-joon)"
    assert clean_line(caption + "AP Ahn Young-joon") == clean_line(caption)
    assert clean_line(caption) == "Protesters rally in Seoul, Wednesday, Nov. 27, 2024."
    assert clean_line("Umerov arrives in Seoul. (Kim Ho-jun/Yonhap via AP)AP Uncredited") == (
        "Umerov arrives in Seoul."
    )
    assert clean_line("Kim speaks on Thursday. (Yonhap)") == "Kim speaks on Thursday."
    # Ordinary parentheses stay.
    assert clean_line("It could (the war in Ukraine) turn into a proxy war.") == (
        "It could (the war in Ukraine) turn into a proxy war."
    )


def test_navigation_bylines_datelines_and_titles_are_dropped() -> None:
    text = "\n".join(
        [
            "close",
            "Sections",
            "WireNovember 28, 2024",
            "Leader meets delegation",
            "HYUNG-JIN KIM Associated Press",
            "SEOUL — The president met a visiting delegation on Wednesday.",
            "Leader meets delegation",
            "Max Fischer contributed to this report for TROIB News",
        ]
    )
    assert clean_text(text, title="Leader meets delegation") == [
        "SEOUL — The president met a visiting delegation on Wednesday."
    ]


def test_teaser_block_is_removed_with_headline_and_blurb() -> None:
    text = "\n\n".join(
        [
            "Doo attributed the hesitation to several factors.",
            "Brotherhood in Arms: Polish Foundation Brings Healthcare Workers to Ukraine",
            "Other Matters of Interest",
            "Brotherhood in Arms: Polish Foundation Brings Healthcare Workers to Ukraine",
            "In an interview, the CEO of the foundation explains what the medics experience.",
            "“There seems to be a change in tone,” Doo added.",
        ]
    )
    assert clean_text(text) == [
        "Doo attributed the hesitation to several factors.",
        "“There seems to be a change in tone,” Doo added.",
    ]


def test_hard_wrapped_lines_are_rejoined() -> None:
    text = "The delegation met the president and\nthe defence minister on Wednesday."
    assert clean_text(text) == ["The delegation met the president and the defence minister on Wednesday."]


def test_sample_004_teaser_and_nav_gone() -> None:
    text, title = _sample_text("004")
    paragraphs = clean_text(text, title)
    joined = "\n".join(paragraphs)
    assert "close" not in paragraphs
    assert "Brotherhood" not in joined and "Other Matters of Interest" not in joined
    assert "W MI" not in joined  # the teaser's blurb
    assert title is not None and title not in joined
    assert paragraphs[0].startswith("According to sources")
    assert paragraphs[-1].startswith("Amid these developments")


def test_sample_002_debris_gone_and_captions_once() -> None:
    text, title = _sample_text("002")
    paragraphs = clean_text(text, title)
    joined = "\n".join(paragraphs)
    for debris in ("Sections", "WireNovember", "HYUNG-JIN KIM", "AP Photo", "AP Ahn", "AP Uncredited"):
        assert debris not in joined
    assert sum("South Korean protesters stage a rally" in p for p in paragraphs) == 1
    assert sum("arrives at the Defense Ministry" in p for p in paragraphs) == 1
    assert paragraphs[2].startswith("SEOUL, South Korea")
