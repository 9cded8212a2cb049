"""Corpus loading: manifest metadata, null values, date headers, malformed input reporting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index import CorpusError
from index.articles import load_corpus, split_date_header

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample"


def _by_id(path: Path) -> dict[str, object]:
    return {a.document_id: a for a in load_corpus(path).articles}


def test_sample_manifest_metadata() -> None:
    corpus = load_corpus(SAMPLE)
    assert corpus.issues == []
    docs = {a.document_id[:3]: a for a in corpus.articles}
    assert sorted(docs) == ["000", "001", "002", "003", "004"]
    assert docs["000"].outlet == "The Korea Herald"
    assert docs["001"].title == "South Korea hesitates on Kiev's plea for arms, according to reports"
    assert docs["002"].extra["note"].startswith("the file's header line")
    assert len(corpus.checksum) == 64


def test_null_metadata_stays_null() -> None:
    docs = {a.document_id[:3]: a for a in load_corpus(SAMPLE).articles}
    assert docs["003"].outlet is None  # null outlet: unknown, never guessed from the text
    assert docs["000"].title is None
    assert docs["001"].date is None and docs["004"].date is None
    assert docs["001"].url is None


def test_manifest_date_wins_over_header_and_header_is_stripped() -> None:
    docs = {a.document_id[:3]: a for a in load_corpus(SAMPLE).articles}
    assert docs["002"].date == "2024-11-28"  # header says 2024-08-27
    for article in docs.values():
        assert "date 20" not in article.text[:40]
    assert docs["000"].text.startswith("Minister of National Defense")
    assert docs["002"].text.startswith("Sections")


def test_header_date_used_when_manifest_has_no_date(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(" date 2024-11-28 Seoul said no to the request for weapons.\n")
    (tmp_path / "b.txt").write_text(" date 2024-11-28 Seoul said no to the request for weapons.\n")
    (tmp_path / "c.txt").write_text(" date 2024-11-28 Seoul said no to the request for weapons.\n")
    lines = [{"file": "b.txt", "outlet": "X"}, {"file": "c.txt", "outlet": "Y", "date": None}]
    (tmp_path / "manifest.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    docs = {a.document_id: a for a in load_corpus(tmp_path).articles}
    assert docs["a"].date == "2024-11-28"  # no manifest entry
    assert docs["b"].date == "2024-11-28"  # entry without a date
    assert docs["c"].date is None  # explicit null: unknown, stays unknown
    assert docs["a"].text == "Seoul said no to the request for weapons.\n"
    assert docs["a"].outlet is None


def test_split_date_header() -> None:
    assert split_date_header(" date 2024-08-27 Sections\nx") == ("2024-08-27", "Sections\nx")
    assert split_date_header("No header here.") == (None, "No header here.")


def test_malformed_folder_inputs_are_reported_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("A real sentence about the delegation in Seoul.\n")
    (tmp_path / "empty.txt").write_text("  \n\n")
    (tmp_path / "binary.txt").write_bytes(b"\xff\xfe\x00bad bytes")
    (tmp_path / "dir.txt").mkdir()  # unreadable as a file
    (tmp_path / "baddate.txt").write_text("Another real sentence about the delegation.\n")
    (tmp_path / "badheader.txt").write_text(" date 2024-02-30 Text of a report on the visit.\n")
    manifest = [
        json.dumps({"file": "good.txt", "outlet": "Wire", "date": "2024-11-28", "section": "world"}),
        "{not json",
        json.dumps({"file": "baddate.txt", "date": "28/11/2024"}),
        json.dumps({"file": "missing.txt"}),
        json.dumps(["not", "an", "object"]),
    ]
    (tmp_path / "manifest.jsonl").write_text("\n".join(manifest) + "\n")
    corpus = load_corpus(tmp_path)
    assert [a.document_id for a in corpus.articles] == ["good"]
    assert corpus.articles[0].extra == {"section": "world"}
    issues = {str(i) for i in corpus.issues}
    mf = str(tmp_path / "manifest.jsonl")
    assert any(s.startswith(f"{mf}:2: bad JSON") for s in issues)
    assert any(s.startswith(f"{mf}:3: baddate.txt: invalid date '28/11/2024'") for s in issues)
    assert any(s.startswith(f"{mf}:4: manifest names a missing file") for s in issues)
    assert any(s.startswith(f"{mf}:5: not a JSON object") for s in issues)
    assert f"{tmp_path / 'empty.txt'}: empty article" in issues
    assert any(s.startswith(f"{tmp_path / 'binary.txt'}: unreadable file") for s in issues)
    assert any(s.startswith(f"{tmp_path / 'dir.txt'}: unreadable file") for s in issues)
    assert any(s.startswith(f"{tmp_path / 'badheader.txt'}:1: date header: invalid date") for s in issues)
    assert len(corpus.issues) == 8


def test_jsonl_corpus(tmp_path: Path) -> None:
    path = tmp_path / "articles.jsonl"
    rows = [
        json.dumps({"id": "a1", "text": "Seoul declined.", "outlet": "Wire", "date": "2024-11-28"}),
        '{"id": "a2", "text": ',
        json.dumps({"id": "a3", "text": "Text.", "date": "2024-13-01"}),
        json.dumps({"id": "a4", "text": "   "}),
        json.dumps({"id": "a1", "text": "Duplicate id."}),
        json.dumps({"id": "a5", "outlet": "Wire"}),
        "",
        json.dumps({"text": " date 2024-11-27 Header date is used here.", "title": None, "url": "https://x"}),
    ]
    path.write_text("\n".join(rows) + "\n")
    corpus = load_corpus(path)
    assert [a.document_id for a in corpus.articles] == ["a1", "articles-8"]
    assert corpus.articles[0].outlet == "Wire"
    assert corpus.articles[1].date == "2024-11-27"
    assert corpus.articles[1].text == "Header date is used here."
    assert corpus.articles[1].url == "https://x"
    lines = sorted((i.line or 0, i.reason.split(" ")[0]) for i in corpus.issues)
    assert lines == [(2, "bad"), (3, "invalid"), (4, "empty"), (5, "duplicate"), (6, "missing")]
    assert all(i.file == str(path) for i in corpus.issues)


def test_missing_corpus_raises(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="corpus not found"):
        load_corpus(tmp_path / "nope")
