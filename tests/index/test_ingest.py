"""Writes at run time: add, replace, delete; only new passages embedded; atomic, serialised, CLI."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from index import (
    Document,
    Embedder,
    LastDocumentError,
    Snapshot,
    SnapshotError,
    UnknownDocumentError,
    add_documents,
    build_index,
    current_snapshot_path,
    delete_documents,
    document_passages,
    documents_from_records,
)
from index.__main__ import main
from index.store import PAUSE_ENV

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample"

FERRY = {
    "id": "baltic-wire-ferry",
    "outlet": "Baltic Wire",
    "date": "2025-03-04",
    "title": "Lindqvist to close Gdansk ferry terminal",
    "url": "https://example.org/ferry",
    "text": (
        "Lindqvist Shipping said on Tuesday that it will close its Gdansk ferry terminal at the end "
        "of March. The company blamed falling passenger numbers on its Baltic routes. About 240 jobs "
        "will be lost, a union representative said. The port authority said it would look for a new "
        "operator for the terminal."
    ),
}
TRAM = {
    "id": "tram-vote",
    "text": (
        "The Brenford city council approved a new tram line on Monday evening by 31 votes to 12. "
        "Construction is due to start next spring and is expected to cost 410 million euros. "
        "Opponents said the money should have gone to buses instead."
    ),
}


class CountingEmbedder:
    """Wraps an embedder and records every text it is asked to encode."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        self.calls: list[list[str]] = []

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> npt.NDArray[np.float32]:
        self.calls.append(list(texts))
        return self.inner.encode(texts, progress=progress)

    @property
    def texts(self) -> list[str]:
        return [t for call in self.calls for t in call]


@pytest.fixture
def root(sample_index: Path, tmp_path: Path) -> Path:
    """A private copy of the session's sample index (real embedder)."""
    copy = tmp_path / "index"
    shutil.copytree(sample_index, copy, symlinks=True)
    return copy


def records(*items: dict[str, object]) -> list[Document]:
    documents, problems = documents_from_records(items)
    assert problems == []
    return documents


def test_add_embeds_only_the_new_passages_and_finds_them_by_meaning(root: Path, embedder: Embedder) -> None:
    before = Snapshot.load(root, embedder)
    counting = CountingEmbedder(embedder)
    documents = records(FERRY, TRAM)
    new_texts = [p.text for d in documents for p in d.passages]
    assert len(new_texts) == 7

    report = add_documents(root, documents, counting)

    assert report.published and report.added == ("baltic-wire-ferry", "tram-vote")
    assert (report.replaced, report.unchanged, report.embedded, report.reused) == ((), (), 7, 0)
    assert counting.texts == new_texts  # one call, exactly the new passages
    after = Snapshot.load(root, embedder)
    assert after.id == report.snapshot_id != before.id
    assert len(after) == len(before) + 7 and after.manifest.documents == before.manifest.documents + 2
    assert "Baltic Wire" in after.manifest.outlets
    # Every stored vector was copied, not recomputed: bit for bit the same rows.
    old = np.load(before.path / "vectors.npy")
    assert np.array_equal(np.load(after.path / "vectors.npy")[: len(before)], old)
    hits = after.search("Is the Gdansk ferry terminal shutting down?", 3)
    assert hits[0].passage.document_id == "baltic-wire-ferry"
    assert hits[0].passage.text.startswith("Lindqvist Shipping said on Tuesday")
    assert hits[0].passage.outlet == "Baltic Wire" and hits[0].passage.date == "2025-03-04"
    tram = document_passages(after.passages, "tram-vote")
    assert [p.sentence_index for p in tram] == [0, 1, 2]
    assert tram[0].outlet is None and tram[0].date is None  # unknown stays unknown
    manifest = json.loads((after.path / "manifest.json").read_text())
    assert manifest["build"]["parent"] == before.id and manifest["build"]["embedded"] == 7


def test_same_text_changes_nothing_new_text_replaces(root: Path, embedder: Embedder) -> None:
    counting = CountingEmbedder(embedder)
    first = add_documents(root, records(FERRY, TRAM), counting)
    counting.calls.clear()

    again = add_documents(root, records(FERRY, TRAM), counting)
    assert not again.published and again.snapshot_id == first.snapshot_id
    assert again.unchanged == ("baltic-wire-ferry", "tram-vote") and counting.calls == []
    assert current_snapshot_path(root).name == first.snapshot_id

    # New text: the kept sentences reuse their vectors, only the changed one is embedded.
    changed = dict(TRAM, text=str(TRAM["text"]).replace("31 votes to 12", "29 votes to 14"))
    replaced = add_documents(root, records(changed), counting)
    assert replaced.published and replaced.replaced == ("tram-vote",)
    assert counting.texts == [
        "The Brenford city council approved a new tram line on Monday evening by 29 votes to 14."
    ]
    assert (replaced.embedded, replaced.reused) == (1, 2)
    snapshot = Snapshot.load(root, embedder)
    texts = [p.text for p in document_passages(snapshot.passages, "tram-vote")]
    assert texts[0].endswith("by 29 votes to 14.") and not any(
        "31 votes" in p.text for p in snapshot.passages
    )
    assert len(snapshot) == first.passages

    # New metadata only: replaced, nothing embedded.
    counting.calls.clear()
    relabelled = add_documents(root, records(dict(changed, outlet="Brenford Courier")), counting)
    assert relabelled.replaced == ("tram-vote",) and counting.calls == []
    snapshot = Snapshot.load(root, embedder)
    assert {p.outlet for p in document_passages(snapshot.passages, "tram-vote")} == {"Brenford Courier"}


def test_delete_removes_the_document_and_refuses_unknown_ids(root: Path, embedder: Embedder) -> None:
    add_documents(root, records(FERRY, TRAM), embedder)
    before = current_snapshot_path(root).name

    with pytest.raises(UnknownDocumentError, match="no-such-doc"):
        delete_documents(root, ["baltic-wire-ferry", "no-such-doc"])
    assert current_snapshot_path(root).name == before  # nothing of the request was written

    report = delete_documents(root, ["baltic-wire-ferry"])
    assert report.published and report.deleted == ("baltic-wire-ferry",) and report.embedded == 0
    snapshot = Snapshot.load(root, embedder)
    assert document_passages(snapshot.passages, "baltic-wire-ferry") == []
    assert "Baltic Wire" not in snapshot.manifest.outlets
    assert all(h.passage.document_id != "baltic-wire-ferry" for h in snapshot.search("Gdansk ferry", 10))
    assert document_passages(snapshot.passages, "tram-vote")  # the other one stays


def test_the_last_document_cannot_be_deleted(tmp_path: Path, hash_embedder: Embedder) -> None:
    corpus = tmp_path / "one.jsonl"
    corpus.write_text(json.dumps(TRAM) + "\n")
    root = tmp_path / "index"
    build_index(corpus, root, hash_embedder, progress=False)
    with pytest.raises(LastDocumentError, match="empty"):
        delete_documents(root, ["tram-vote"])
    assert len(Snapshot.load(root, hash_embedder)) == 3


def test_a_write_needs_the_snapshots_model_and_a_published_snapshot(
    root: Path, tmp_path: Path, hash_embedder: Embedder
) -> None:
    with pytest.raises(SnapshotError, match="all-MiniLM-L6-v2"):
        add_documents(root, records(TRAM), hash_embedder)
    with pytest.raises(SnapshotError, match="no snapshot published"):
        add_documents(tmp_path / "typo", records(TRAM), hash_embedder)
    assert not (tmp_path / "typo").exists()


@pytest.mark.parametrize(
    ("record", "field", "message"),
    [
        (
            {"id": "x", "text": "A sentence long enough to keep.", "date": "2024-13-01"},
            "date",
            "invalid date",
        ),
        ({"id": "x", "text": "A sentence long enough to keep.", "date": "28/11/2024"}, "date", "YYYY-MM-DD"),
        ({"id": "  ", "text": "A sentence long enough to keep."}, "id", 'invalid "id"'),
        ({"id": "x"}, "text", 'missing or non-string "text"'),
        ({"id": "x", "text": "   "}, "text", "empty article"),
        ({"id": "x", "text": "Read more."}, "text", "no sentences left after cleaning"),
        ({"id": "x", "text": "A sentence long enough to keep.", "outlet": 7}, "outlet", "must be a string"),
    ],
)
def test_validation_is_the_corpus_loaders(record: dict[str, object], field: str, message: str) -> None:
    documents, problems = documents_from_records([TRAM, record])
    assert [d.document_id for d in documents] == ["tram-vote"]
    assert len(problems) == 1
    assert (problems[0].position, problems[0].field) == (1, field)
    assert message in problems[0].message


def test_every_bad_article_is_named_and_dates_follow_the_loader() -> None:
    _, problems = documents_from_records([TRAM, TRAM, {"id": "b", "text": 5, "date": "yesterday"}])
    assert [(p.position, p.field) for p in problems] == [(1, "id"), (2, "text"), (2, "date")]
    # A leading " date YYYY-MM-DD" header is the date when none is given, as in a corpus file;
    # blank metadata is unknown; an explicit null date stays unknown.
    text = " date 2024-11-28 The delegation met officials of the defence ministry in Seoul."
    documents, problems = documents_from_records(
        [{"id": "h", "text": text, "outlet": "  "}, {"id": "n", "text": text, "date": None}]
    )
    assert problems == []
    assert documents[0].article.date == "2024-11-28" and documents[0].article.outlet is None
    assert documents[1].article.date is None
    assert documents[0].passages[0].text.startswith("The delegation met")


def test_concurrent_writers_are_serialised_and_all_land(tmp_path: Path, hash_embedder: Embedder) -> None:
    """Wiring: 8 threads write at once (each its own lock handle); no write is lost."""
    root = tmp_path / "index"
    build_index(SAMPLE, root, hash_embedder, progress=False)
    base = len(Snapshot.load(root, hash_embedder))
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def write(n: int) -> None:
        article = {"id": f"w{n}", "text": f"Writer number {n} filed this report about harbour cranes."}
        try:
            start.wait()
            add_documents(root, records(article), hash_embedder)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    snapshot = Snapshot.load(root, hash_embedder)
    assert len(snapshot) == base + 8
    assert {p.document_id for p in snapshot.passages} >= {f"w{n}" for n in range(8)}
    assert len(list((root / "snapshots").iterdir())) == 3  # pruned as builds are
    assert not list(root.glob(".tmp-*"))


def test_readers_never_see_half_a_write(tmp_path: Path, hash_embedder: Embedder) -> None:
    root = tmp_path / "index"
    build_index(SAMPLE, root, hash_embedder, progress=False)
    stop = threading.Event()
    loads: list[int] = []
    failures: list[str] = []

    def read() -> None:
        while not stop.is_set():
            try:
                loads.append(len(Snapshot.load(root, hash_embedder)))
            except SnapshotError as exc:
                # A snapshot pruned between resolving `current` and reading it is gone, not half.
                if "not found" not in str(exc) and "missing" not in str(exc):
                    failures.append(str(exc))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for n in range(6):
            add_documents(
                root, records({"id": f"r{n}", "text": f"Report {n} on the grain harvest."}), hash_embedder
            )
    finally:
        stop.set()
        reader.join(timeout=60)
    assert failures == [] and loads
    assert set(loads) <= set(range(91, 91 + 7))


@pytest.mark.slow
def test_killed_add_leaves_the_published_snapshot(root: Path, tmp_path: Path, embedder: Embedder) -> None:
    corpus = tmp_path / "new.jsonl"
    corpus.write_text(json.dumps(FERRY) + "\n")
    before = os.readlink(root / "current")
    env = {**os.environ, PAUSE_ENV: "120", "HF_HUB_OFFLINE": "1"}
    cmd = [
        sys.executable,
        "-m",
        "index",
        "add",
        "--corpus",
        str(corpus),
        "--index",
        str(root),
        "--no-progress",
    ]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if line.startswith(f"{PAUSE_ENV}: build paused in "):
                tmp_dir = Path(line.rsplit(" in ", 1)[1].strip())
                break
        else:
            pytest.fail(f"add ended without pausing: rc={proc.wait()}")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert os.readlink(root / "current") == before and tmp_dir.exists()
    assert document_passages(Snapshot.load(root, embedder).passages, "baltic-wire-ferry") == []

    report = add_documents(root, records(FERRY), embedder)  # the next write cleans up
    assert report.added == ("baltic-wire-ferry",) and not tmp_dir.exists()


def test_cli_add_and_delete(
    root: Path,
    tmp_path: Path,
    embedder: Embedder,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import index.__main__ as cli

    loaded: list[str] = []

    def load(name: str) -> Embedder:  # the session's real model, not a second copy
        loaded.append(name)
        return embedder

    monkeypatch.setattr(cli, "load_embedder", load)
    corpus = tmp_path / "new.jsonl"
    corpus.write_text(json.dumps(FERRY) + "\n" + json.dumps(TRAM) + "\n")
    assert main(["add", "--corpus", str(corpus), "--index", str(root), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "added:     2" in out and "embedded:  7 passage(s)" in out
    assert loaded == ["sentence-transformers/all-MiniLM-L6-v2"]  # the snapshot's own model

    assert main(["delete", "tram-vote", "--index", str(root)]) == 0
    assert "deleted:   1" in capsys.readouterr().out
    snapshot = Snapshot.load(root, embedder)
    assert document_passages(snapshot.passages, "tram-vote") == []
    assert document_passages(snapshot.passages, "baltic-wire-ferry")

    published = current_snapshot_path(root)
    assert main(["delete", "tram-vote", "--index", str(root)]) == 1
    assert "no document 'tram-vote'" in capsys.readouterr().err

    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        json.dumps(TRAM) + "\n" + '{"id": "x", "text": "Fine text here, long enough.", "date": "soon"}\n'
    )
    assert main(["add", "--corpus", str(bad), "--index", str(root)]) == 1
    err = capsys.readouterr().err
    assert "bad.jsonl:2: invalid date 'soon'" in err and "nothing was written" in err
    assert current_snapshot_path(root) == published

    assert main(["add", "--corpus", str(corpus), "--index", str(tmp_path / "typo")]) == 1
    assert "no snapshot published" in capsys.readouterr().err
    assert not (tmp_path / "typo").exists()
