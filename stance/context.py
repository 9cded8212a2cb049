"""Premises with context: news sentences lean on their neighbours ("they", "the delegation")."""

from __future__ import annotations

from enum import StrEnum


class ContextMode(StrEnum):
    """What goes in front of a passage when it is used as an NLI premise."""

    NONE = "none"  # the sentence alone
    PREVIOUS = "previous"  # the previous sentence of the same article, then the sentence
    TITLE = "title"  # the article's headline, then the sentence


def build_premise(
    text: str,
    *,
    before: str | None = None,
    title: str | None = None,
    mode: ContextMode = ContextMode.PREVIOUS,
) -> str:
    """The premise the stance model sees for a passage."""
    if mode is ContextMode.PREVIOUS and before:
        return f"{before.strip()} {text.strip()}"
    if mode is ContextMode.TITLE and title:
        return f"{title.strip()}. {text.strip()}"
    return text.strip()
