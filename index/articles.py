"""Corpus loading: a folder of .txt articles (+ optional manifest.jsonl) or a JSON Lines file."""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.errors import CorpusError
from index.schema import InputIssue

MANIFEST_NAME = "manifest.jsonl"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# A scraped file may start with " date YYYY-MM-DD" glued to the first line of text.
_DATE_HEADER = re.compile(r"\A\ufeff?[ \t]*date[ \t]+(\S+)[ \t]*")
_METADATA_FIELDS = ("outlet", "date", "title", "url")


@dataclass(frozen=True)
class Article:
    """One input article, raw text (date header removed) plus metadata (None: unknown)."""

    document_id: str
    text: str
    source: str
    outlet: str | None = None
    date: str | None = None
    title: str | None = None
    url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Corpus:
    """The articles of a corpus, the issues met while reading it and a checksum of its bytes."""

    articles: list[Article]
    issues: list[InputIssue]
    checksum: str


class _Invalid(ValueError):
    """A metadata value that makes the article unusable; the message is the reason."""


def parse_date(value: object) -> str | None:
    """Validate an ISO `YYYY-MM-DD` date (None stays None); raise `_Invalid` otherwise."""
    if value is None:
        return None
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value.strip()):
        raise _Invalid(f"invalid date {value!r} (expected YYYY-MM-DD)")
    try:
        return datetime.date.fromisoformat(value.strip()).isoformat()
    except ValueError as exc:
        raise _Invalid(f"invalid date {value!r} ({exc})") from None


def _opt_text(name: str, value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Invalid(f"{name} must be a string or null, got {type(value).__name__}")
    value = value.strip()
    # An empty string carries no information: treat it as unknown, like null.
    return value or None


def split_date_header(text: str) -> tuple[str | None, str]:
    """Split a leading ` date YYYY-MM-DD` header from `text`: (raw header value or None, rest)."""
    match = _DATE_HEADER.match(text)
    if match is None:
        return None, text
    return match.group(1), text[match.end() :]


def load_corpus(path: Path) -> Corpus:
    """Read a corpus folder or `.jsonl` file; malformed inputs become issues, never exceptions.

    Raises `CorpusError` only when the path itself is unusable.
    """
    if path.is_dir():
        return _load_folder(path)
    if path.is_file():
        return _load_jsonl(path)
    raise CorpusError(f"corpus not found: {path} (expected a folder of .txt files or a .jsonl file)")


def _read_manifest(
    folder: Path, issues: list[InputIssue], digest: Any
) -> dict[str, tuple[int, dict[str, Any]]]:
    manifest_path = folder / MANIFEST_NAME
    entries: dict[str, tuple[int, dict[str, Any]]] = {}
    if not manifest_path.exists():
        return entries
    try:
        raw = manifest_path.read_bytes()
    except OSError as exc:
        issues.append(InputIssue(str(manifest_path), None, f"unreadable manifest: {exc}"))
        return entries
    digest.update(MANIFEST_NAME.encode() + b"\0" + hashlib.sha256(raw).digest())
    for lineno, line in _lines(raw, str(manifest_path), issues):
        obj = _parse_json_object(line, str(manifest_path), lineno, issues)
        if obj is None:
            continue
        name = obj.get("file")
        if not isinstance(name, str) or not name.strip():
            issues.append(InputIssue(str(manifest_path), lineno, 'manifest entry without a "file" name'))
            continue
        if name in entries:
            issues.append(InputIssue(str(manifest_path), lineno, f"duplicate manifest entry for {name!r}"))
            continue
        entries[name] = (lineno, obj)
    return entries


def _load_folder(folder: Path) -> Corpus:
    issues: list[InputIssue] = []
    digest = hashlib.sha256()
    manifest = _read_manifest(folder, issues, digest)
    manifest_path = str(folder / MANIFEST_NAME)
    files = sorted(p for p in folder.iterdir() if p.suffix == ".txt" and not p.name.startswith("."))
    for name, (entry_line, _) in sorted(manifest.items()):
        if not (folder / name).is_file():
            issues.append(InputIssue(manifest_path, entry_line, f"manifest names a missing file {name!r}"))
    articles: list[Article] = []
    for file in files:
        try:
            raw = file.read_bytes()
            text = raw.decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            issues.append(InputIssue(str(file), None, f"unreadable file: {exc}"))
            continue
        digest.update(file.name.encode() + b"\0" + hashlib.sha256(raw).digest())
        header, body = split_date_header(text)
        lineno: int | None = None
        meta: dict[str, Any] = {}
        if file.name in manifest:
            lineno, meta = manifest[file.name]
        try:
            fields = _metadata(meta)
        except _Invalid as exc:
            issues.append(InputIssue(manifest_path, lineno, f"{file.name}: {exc}"))
            continue
        # The manifest is what the user asserts (an explicit null: unknown, and it stays
        # unknown); the scraped header is only used when the manifest says nothing.
        if "date" not in meta and header is not None:
            try:
                fields["date"] = parse_date(header)
            except _Invalid as exc:
                issues.append(InputIssue(str(file), 1, f"date header: {exc}"))
                continue
        if not body.strip():
            issues.append(InputIssue(str(file), None, "empty article"))
            continue
        articles.append(
            Article(
                document_id=file.stem,
                text=body,
                source=str(file),
                extra={k: v for k, v in meta.items() if k not in (*_METADATA_FIELDS, "file")},
                **fields,
            )
        )
    if not files and not manifest:
        raise CorpusError(f"no .txt articles in {folder}")
    return Corpus(articles, issues, digest.hexdigest())


def _metadata(obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "outlet": _opt_text("outlet", obj.get("outlet")),
        "date": parse_date(obj.get("date")),
        "title": _opt_text("title", obj.get("title")),
        "url": _opt_text("url", obj.get("url")),
    }


def _load_jsonl(path: Path) -> Corpus:
    issues: list[InputIssue] = []
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"cannot read corpus {path}: {exc}") from exc
    digest = hashlib.sha256(path.name.encode() + b"\0" + hashlib.sha256(raw).digest())
    articles: list[Article] = []
    seen: set[str] = set()
    source = str(path)
    for lineno, line in _lines(raw, source, issues):
        obj = _parse_json_object(line, source, lineno, issues)
        if obj is None:
            continue
        text = obj.get("text")
        if not isinstance(text, str):
            issues.append(InputIssue(source, lineno, 'missing or non-string "text"'))
            continue
        raw_id = obj.get("id")
        if raw_id is None:
            doc_id = f"{path.stem}-{lineno}"
        elif isinstance(raw_id, str | int) and not isinstance(raw_id, bool) and str(raw_id).strip():
            doc_id = str(raw_id).strip()
        else:
            issues.append(InputIssue(source, lineno, f'invalid "id" {raw_id!r}'))
            continue
        if doc_id in seen:
            issues.append(InputIssue(source, lineno, f"duplicate article id {doc_id!r}"))
            continue
        header, body = split_date_header(text)
        try:
            fields = _metadata(obj)
            if fields["date"] is None and "date" not in obj and header is not None:
                fields["date"] = parse_date(header)
        except _Invalid as exc:
            issues.append(InputIssue(source, lineno, str(exc)))
            continue
        if not body.strip():
            issues.append(InputIssue(source, lineno, "empty article"))
            continue
        seen.add(doc_id)
        articles.append(
            Article(
                document_id=doc_id,
                text=body,
                source=f"{source}:{lineno}",
                extra={k: v for k, v in obj.items() if k not in (*_METADATA_FIELDS, "id", "text")},
                **fields,
            )
        )
    return Corpus(articles, issues, digest.hexdigest())


def _lines(raw: bytes, source: str, issues: list[InputIssue]) -> Iterator[tuple[int, str]]:
    for lineno, line_bytes in enumerate(raw.split(b"\n"), start=1):
        try:
            line = line_bytes.decode("utf-8")
        except UnicodeDecodeError as exc:
            issues.append(InputIssue(source, lineno, f"not UTF-8: {exc}"))
            continue
        if line.strip():
            yield lineno, line


def _parse_json_object(
    line: str, source: str, lineno: int, issues: list[InputIssue]
) -> dict[str, Any] | None:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        issues.append(InputIssue(source, lineno, f"bad JSON: {exc.msg} at column {exc.colno}"))
        return None
    if not isinstance(obj, dict):
        issues.append(InputIssue(source, lineno, "not a JSON object"))
        return None
    return obj
