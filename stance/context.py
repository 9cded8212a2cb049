"""Premises with context: news sentences lean on their neighbours ("they", "the delegation")."""

from __future__ import annotations

import re
from enum import StrEnum

# A sentence that opens with a pronoun or a demonstrative, after at most one connective, points
# back at the sentence before it: "They did not request the system", "But it has avoided ...",
# "This follows talks in May".
_REFERS_BACK = re.compile(
    r"^\W*(?:(?:but|and|however|yet|still|so|also|instead|meanwhile|now|then)\W+)?"
    r"(?:he|she|they|it|this|that|these|those|his|her|their|its|such)\b",
    re.IGNORECASE,
)


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


def refers_back(text: str) -> bool:
    """True when the sentence opens by pointing back at the one before it (a pronoun or a
    demonstrative, maybe after a connective: "They", "But it", "This", "Their"): read alone, it
    has no subject to judge."""
    return _REFERS_BACK.match(text) is not None
