"""Writes at run time: add, replace and delete documents by publishing a derived snapshot.

A write reads the published snapshot, applies the change and publishes a new snapshot the same
way a build does (written into `.tmp-<id>`, renamed into `snapshots/`, then `current` swapped),
so readers see the old snapshot or the new one, never half of a write. Only passages whose text
is not in the published snapshot are embedded; every other vector is copied from it. The FAISS
and BM25 indexes are rebuilt from those vectors and texts, which costs CPU in proportion to the
index size but no encoder call.

Writers are serialised by the build lock (`ROOT/.build.lock`, `fcntl.flock`), across threads
and processes alike, and each one reads `current` only once it holds the lock, so concurrent
writes all land, one after the other. A full `build_index` takes the same lock.

    documents, problems = documents_from_records(records)   # the corpus loader's validation
    report = add_documents(root, documents, embedder)      # added / replaced / unchanged
    report = delete_documents(root, ["doc-id"])

Re-adding a document with the same text and metadata changes nothing (no snapshot is published);
with other text or metadata it replaces the stored one. Errors: `SnapshotError` (no snapshot
published, or it is damaged, or the embedder is not the snapshot's), `UnknownDocumentError`
(delete of an id the snapshot does not hold), `LastDocumentError` (a delete would leave the
index empty).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from index.articles import Article, _Invalid, _opt_text, load_corpus, parse_date, split_date_header
from index.config import IndexConfig
from index.embedding import Embedder
from index.errors import SnapshotError
from index.passages import Segmenter, article_passages
from index.schema import InputIssue, Passage
from index.store import (
    FORMAT_VERSION,
    MANIFEST_FILE,
    PASSAGES_FILE,
    VECTORS_FILE,
    RecordedModel,
    Snapshot,
    SnapshotManifest,
    _build_lock,
    _check_vectors,
    _clean_stale,
    _fsync_path,
    _sha256,
    _write_json,
    _write_snapshot,
    current_snapshot_path,
    stage_snapshot,
)

#: Why a posted article is refused, as the corpus loader words it (see `index.articles`).
EMPTY_ARTICLE = "empty article"
NO_SENTENCES = "empty article (no sentences left after cleaning)"


class UnknownDocumentError(LookupError):
    """A delete names a document id that the published snapshot does not hold."""

    def __init__(self, document_ids: Sequence[str], snapshot_id: str) -> None:
        self.document_ids = tuple(document_ids)
        self.snapshot_id = snapshot_id
        names = ", ".join(repr(d) for d in self.document_ids)
        super().__init__(f"no document {names} in snapshot {snapshot_id}")


class LastDocumentError(ValueError):
    """A delete would leave the index without any passage (an index holds at least one)."""


@dataclass(frozen=True)
class Document:
    """An article ready to write: its metadata and its passages (0-based `sentence_index`)."""

    article: Article
    passages: tuple[Passage, ...]

    @property
    def document_id(self) -> str:
        return self.article.document_id


@dataclass(frozen=True)
class ArticleProblem:
    """Why one input article is refused: its 0-based position, the field (None: the article)."""

    position: int
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"article {self.position}" + (f", {self.field}" if self.field else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class WriteReport:
    """What a write did. `published` is False when nothing changed (same `snapshot_id` as before)."""

    snapshot_id: str
    previous_id: str
    published: bool
    added: tuple[str, ...] = ()
    replaced: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    embedded: int = 0  # passages sent to the encoder
    reused: int = 0  # passages of the written documents whose vectors were copied
    documents: int = 0
    passages: int = 0
    path: Path | None = None
    seconds: float = 0.0

    def summary(self) -> str:
        lines = [
            f"added:     {len(self.added)}",
            f"replaced:  {len(self.replaced)}",
            f"unchanged: {len(self.unchanged)}",
            f"deleted:   {len(self.deleted)}",
            f"embedded:  {self.embedded} passage(s) (reused {self.reused})",
            f"documents: {self.documents}",
            f"passages:  {self.passages}",
        ]
        if self.published:
            lines.append(f"snapshot:  {self.snapshot_id} (was {self.previous_id})")
        else:
            lines.append(f"snapshot:  {self.snapshot_id} (nothing changed, nothing published)")
        lines.append(f"time:      {self.seconds:.1f}s")
        return "\n".join(lines)


# --- input -----------------------------------------------------------------------------------


def documents_from_records(
    records: Sequence[Mapping[str, Any]], config: IndexConfig | None = None
) -> tuple[list[Document], list[ArticleProblem]]:
    """Validate articles given as JSON objects (`id`, `text`, `outlet`, `date`, `title`, `url`).

    The rules are the corpus loader's for a `.jsonl` line: a non-blank id (unique in the input),
    a string text that is not empty once a leading ` date YYYY-MM-DD` header is split off (that
    header is the date when `date` is absent), string-or-null metadata (blank is unknown), an
    ISO date; and, as in a build, at least one passage left after cleaning. Every refused article
    gets its problems; the caller should write nothing when there is any.
    """
    config = config or IndexConfig()
    segmenter = Segmenter()
    documents: list[Document] = []
    problems: list[ArticleProblem] = []
    seen: set[str] = set()
    for position, record in enumerate(records):
        found: list[ArticleProblem] = []
        raw_id = record.get("id")
        doc_id = ""
        if isinstance(raw_id, str | int) and not isinstance(raw_id, bool) and str(raw_id).strip():
            doc_id = str(raw_id).strip()
            if doc_id in seen:
                found.append(ArticleProblem(position, "id", f"duplicate article id {doc_id!r}"))
            seen.add(doc_id)
        else:
            found.append(ArticleProblem(position, "id", f'invalid "id" {raw_id!r}'))
        text = record.get("text")
        header: str | None = None
        body = ""
        if isinstance(text, str):
            header, body = split_date_header(text)
            if not body.strip():
                found.append(ArticleProblem(position, "text", EMPTY_ARTICLE))
        else:
            found.append(ArticleProblem(position, "text", 'missing or non-string "text"'))
        meta: dict[str, str | None] = {}
        for name in ("outlet", "title", "url"):
            try:
                meta[name] = _opt_text(name, record.get(name))
            except _Invalid as exc:
                found.append(ArticleProblem(position, name, str(exc)))
        try:
            meta["date"] = parse_date(record.get("date"))
            if meta["date"] is None and "date" not in record and header is not None:
                meta["date"] = parse_date(header)
        except _Invalid as exc:
            found.append(ArticleProblem(position, "date", str(exc)))
        if not found:
            article = Article(
                document_id=doc_id,
                text=body,
                source=f"article {position}",
                outlet=meta["outlet"],
                date=meta["date"],
                title=meta["title"],
                url=meta["url"],
            )
            passages = article_passages(article, segmenter, config)
            if passages:
                documents.append(Document(article, tuple(passages)))
            else:
                found.append(ArticleProblem(position, "text", NO_SENTENCES))
        problems.extend(found)
    return documents, problems


def documents_from_corpus(
    corpus: Path, config: IndexConfig | None = None
) -> tuple[list[Document], list[InputIssue]]:
    """The documents of a corpus folder or `.jsonl` (as `build_index` reads it), and its issues.

    Unlike a build, which skips bad inputs, a caller adding to a live index should refuse the
    whole corpus when there is any issue (`python -m index add` does).
    """
    config = config or IndexConfig()
    data = load_corpus(Path(corpus))
    issues = list(data.issues)
    segmenter = Segmenter()
    documents: list[Document] = []
    seen: set[str] = set()
    for article in data.articles:
        if article.document_id in seen:
            issues.append(InputIssue(article.source, None, f"duplicate article id {article.document_id!r}"))
            continue
        seen.add(article.document_id)
        passages = article_passages(article, segmenter, config)
        if not passages:
            issues.append(InputIssue(article.source, None, NO_SENTENCES))
            continue
        documents.append(Document(article, tuple(passages)))
    return documents, issues


def document_passages(passages: Iterable[Passage], document_id: str) -> list[Passage]:
    """The passages of one document, in `sentence_index` order (empty when it is not there)."""
    return sorted((p for p in passages if p.document_id == document_id), key=lambda p: p.sentence_index)


# --- the published snapshot ------------------------------------------------------------------


@dataclass(frozen=True)
class _Base:
    """The published snapshot's passages and vectors, as a write starts from them."""

    path: Path
    manifest: SnapshotManifest
    passages: list[Passage]
    vectors: npt.NDArray[np.float32]


def _read_base(root: Path) -> _Base:
    """Read `root/current` (checksums of passages and vectors verified); `SnapshotError` if unusable."""
    path = current_snapshot_path(root)
    try:
        manifest = SnapshotManifest.from_json(json.loads((path / MANIFEST_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise SnapshotError(f"{path / MANIFEST_FILE} is unreadable: {exc}") from exc
    if manifest.format_version != FORMAT_VERSION:
        raise SnapshotError(
            f"snapshot {manifest.snapshot_id} has format version {manifest.format_version}, "
            f"this library writes version {FORMAT_VERSION}; rebuild the index"
        )
    for name in (PASSAGES_FILE, VECTORS_FILE):
        expected = manifest.files.get(name)
        if expected is None or not (path / name).is_file() or _sha256(path / name) != expected:
            raise SnapshotError(
                f"snapshot {manifest.snapshot_id} is damaged ({name} missing or modified); rebuild the index"
            )
    passages = Snapshot._read_passages(path / PASSAGES_FILE)
    try:
        vectors = np.load(path / VECTORS_FILE, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise SnapshotError(f"{path / VECTORS_FILE} is unreadable: {exc}") from exc
    shape = (manifest.passages, manifest.dimension)
    if len(passages) != manifest.passages or vectors.shape != shape or vectors.dtype != np.float32:
        raise SnapshotError(f"snapshot {manifest.snapshot_id} disagrees with its manifest; rebuild the index")
    return _Base(path, manifest, passages, vectors)


def _content_checksum(passages: Sequence[Passage]) -> str:
    """sha256 of the passages as stored: a derived snapshot has no corpus bytes to hash."""
    digest = hashlib.sha256()
    for passage in passages:
        digest.update(json.dumps(passage.to_json(), ensure_ascii=False, sort_keys=True).encode())
        digest.update(b"\n")
    return digest.hexdigest()


# --- writes ------------------------------------------------------------------------------------


def add_documents(
    root: Path,
    documents: Sequence[Document],
    embedder: Embedder,
    config: IndexConfig | None = None,
    *,
    progress: bool = False,
) -> WriteReport:
    """Add or replace `documents` in the snapshot published under `root`; publish the result.

    A document whose id is new is added; one whose id is stored with other passages or metadata
    replaces it (in its place); one stored exactly so is unchanged. When nothing changes, no
    snapshot is published. `embedder` must be the snapshot's model.
    """
    ids = [d.document_id for d in documents]
    if len(set(ids)) != len(ids):
        raise ValueError("each document id may appear once per write")
    return _write(Path(root), list(documents), [], embedder, config or IndexConfig(), progress)


def delete_documents(
    root: Path, document_ids: Sequence[str], config: IndexConfig | None = None
) -> WriteReport:
    """Delete documents by id and publish the result; `UnknownDocumentError` if any id is unknown.

    Nothing is written when an id is unknown or the delete would empty the index.
    """
    return _write(Path(root), [], list(dict.fromkeys(document_ids)), None, config or IndexConfig(), False)


def _write(
    root: Path,
    upserts: list[Document],
    deletes: list[str],
    embedder: Embedder | None,
    config: IndexConfig,
    progress: bool,
) -> WriteReport:
    started = time.monotonic()
    current_snapshot_path(root)  # a clear error, before the lock, when nothing is published here
    with _build_lock(root):
        _clean_stale(root)
        base = _read_base(root)
        manifest = base.manifest
        if embedder is not None and (
            embedder.name != manifest.embedding_model or embedder.dimension != manifest.dimension
        ):
            raise SnapshotError(
                f"snapshot {manifest.snapshot_id} was built with embedding model "
                f"{manifest.embedding_model!r} (dimension {manifest.dimension}), not {embedder.name!r} "
                f"(dimension {embedder.dimension}); "
                "write with the snapshot's model"
            )
        stored: dict[str, list[int]] = {}
        for row, passage in enumerate(base.passages):
            stored.setdefault(passage.document_id, []).append(row)
        unknown = [d for d in deletes if d not in stored]
        if unknown:
            raise UnknownDocumentError(unknown, manifest.snapshot_id)

        added: list[str] = []
        replaced: list[str] = []
        unchanged: list[str] = []
        incoming: dict[str, Document] = {}
        for document in upserts:
            rows = stored.get(document.document_id)
            if rows is None:
                added.append(document.document_id)
            elif [base.passages[r] for r in rows] == list(document.passages):
                unchanged.append(document.document_id)
                continue
            else:
                replaced.append(document.document_id)
            incoming[document.document_id] = document
        if not incoming and not deletes:
            return WriteReport(
                snapshot_id=manifest.snapshot_id,
                previous_id=manifest.snapshot_id,
                published=False,
                unchanged=tuple(unchanged),
                documents=manifest.documents,
                passages=manifest.passages,
                path=base.path,
                seconds=time.monotonic() - started,
            )

        # The new passage order: stored documents in place (replaced ones by their new text),
        # deleted ones dropped, new ones appended in the order given.
        removed = set(deletes)
        rows_or_new: list[int | Passage] = []
        for document_id, rows in stored.items():
            if document_id in removed:
                continue
            if document_id in incoming:
                rows_or_new.extend(incoming.pop(document_id).passages)
            else:
                rows_or_new.extend(rows)
        for document in incoming.values():
            rows_or_new.extend(document.passages)
        if not rows_or_new:
            raise LastDocumentError(
                "deleting every document would leave the index empty; an index holds at least one "
                "document (build a new index to start over)"
            )

        # Vectors: copied where the text is already stored (embeddings depend on the text only).
        row_of_text: dict[str, int] = {}
        for row, passage in enumerate(base.passages):
            row_of_text.setdefault(passage.text, row)
        new_texts = list(
            dict.fromkeys(p.text for p in rows_or_new if isinstance(p, Passage) and p.text not in row_of_text)
        )
        embedded: npt.NDArray[np.float32] = np.zeros((0, manifest.dimension), dtype=np.float32)
        if new_texts:
            assert embedder is not None  # deletes bring no new text
            embedded = embedder.encode(new_texts, progress=progress)
            _check_vectors(embedded, len(new_texts), embedder)
        row_of_new = {text: i for i, text in enumerate(new_texts)}
        passages: list[Passage] = []
        vectors = np.empty((len(rows_or_new), manifest.dimension), dtype=np.float32)
        reused = 0
        for i, item in enumerate(rows_or_new):
            if isinstance(item, int):
                passages.append(base.passages[item])
                vectors[i] = base.vectors[item]
                continue
            passages.append(item)
            if item.text in row_of_text:
                vectors[i] = base.vectors[row_of_text[item.text]]
                reused += 1
            else:
                vectors[i] = embedded[row_of_new[item.text]]

        documents = len({p.document_id for p in passages})
        checksum = _content_checksum(passages)
        # A delete embeds nothing: the manifest's model stands for the snapshot's (never called).
        model = embedder or RecordedModel(manifest.embedding_model, manifest.dimension)
        corpus = Path(manifest.corpus or ".")  # replaced in the manifest by _record_change

        def write(tmp: Path, snapshot_id: str) -> None:
            _write_snapshot(
                tmp, snapshot_id, passages, vectors, model, config, checksum, corpus, documents, []
            )
            _record_change(tmp, manifest, added, replaced, deletes, len(new_texts), reused)

        snapshot_id, final, _ = stage_snapshot(root, checksum, write, config.keep_snapshots)
    return WriteReport(
        snapshot_id=snapshot_id,
        previous_id=manifest.snapshot_id,
        published=True,
        added=tuple(added),
        replaced=tuple(replaced),
        unchanged=tuple(unchanged),
        deleted=tuple(deletes),
        embedded=len(new_texts),
        reused=reused,
        documents=documents,
        passages=len(passages),
        path=final.resolve(),
        seconds=time.monotonic() - started,
    )


def _record_change(
    tmp: Path,
    parent: SnapshotManifest,
    added: Sequence[str],
    replaced: Sequence[str],
    deleted: Sequence[str],
    embedded: int,
    reused: int,
) -> None:
    """Note in the new manifest what it was derived from and how (the manifest is not checksummed)."""
    path = tmp / MANIFEST_FILE
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["corpus"] = parent.corpus
    manifest["build"] |= {
        "parent": parent.snapshot_id,
        "added": list(added),
        "replaced": list(replaced),
        "deleted": list(deleted),
        "embedded": embedded,
        "reused": reused,
    }
    _write_json(path, manifest)
    _fsync_path(tmp)
