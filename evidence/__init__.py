"""claimwire's evidence analysis: what a passage is beyond its stance. No Flask, no model.

- `syndication`: the same sentence in several documents (`is_copy`, character 5-gram Jaccard
  with a threshold fitted on labelled pairs);
- `sources`: outlet names, the outlets a document relays, the outlet a sentence cites;
- `attribution`: outlet voice, direct quote or reported speech, and the speaker;
- `mismatch`: the passage gives another number, unit, date or office-holder than the claim;
- `study`: all of it for one claim's two sides: copies folded into `also_in`, each passage's
  `relays`, `attribution`, `mismatches` and `source`, and the independent sources per side.

The pipeline (`service.pipeline.verify`) runs a `Study` after the stance rule, so the HTTP API
and the batch CLI give the same answer. `python -m evidence` prints the measured figures.
Nothing is loaded at import time.
"""

from __future__ import annotations

from evidence.attribution import Attribution, AttributionKind, attribute
from evidence.mismatch import Mismatch, MismatchKind, find_mismatches
from evidence.sources import Outlets, cited_outlets, outlet_key, relays, republished
from evidence.study import (
    LATER_SOURCE_WEIGHT,
    Copy,
    Note,
    PassageLike,
    SideStudy,
    Source,
    Study,
    corroborated_confidence,
    group_documents,
)
from evidence.syndication import COPY_THRESHOLD, copy_score, is_copy

__all__ = [
    "COPY_THRESHOLD",
    "LATER_SOURCE_WEIGHT",
    "Attribution",
    "AttributionKind",
    "Copy",
    "Mismatch",
    "MismatchKind",
    "Note",
    "Outlets",
    "PassageLike",
    "SideStudy",
    "Source",
    "Study",
    "attribute",
    "cited_outlets",
    "copy_score",
    "corroborated_confidence",
    "find_mismatches",
    "group_documents",
    "is_copy",
    "outlet_key",
    "relays",
    "republished",
]
