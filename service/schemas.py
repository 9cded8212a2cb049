"""Marshmallow schemas: the request and response bodies, and the single source of `openapi.yaml`."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

import marshmallow as ma
from flask import current_app, has_app_context
from marshmallow import ValidationError, fields, validate, validates, validates_schema
from marshmallow.experimental.context import Context

from evidence import AttributionKind, MismatchKind

from .config import DefaultConfig
from .pipeline import Stance, Verdict

# JSON Schema `pattern` for "not blank": at least one character that is neither whitespace nor
# a control character. The service checks claims with this same expression, so the document and
# the validation agree; the explicit ranges cover where Python's and ECMA-262's `\s` differ.
NON_BLANK = r"[^\s\x00-\x1f\x7f-\x9f\ufeff]"
_NON_BLANK = re.compile(NON_BLANK)


def setting(name: str) -> Any:
    """A limit from the running app's config, a `Context` (the batch CLI), or the defaults."""
    ctx: dict[str, Any] | None = Context[dict[str, Any] | None].get(default=None)
    if ctx is not None and name in ctx:
        return ctx[name]
    if has_app_context():
        return current_app.config[name]
    return getattr(DefaultConfig, name)


def served_outlets() -> frozenset[str] | None:
    """The outlets of the snapshot being served (a `Context`'s `OUTLETS` first); None: not known."""
    ctx: dict[str, Any] | None = Context[dict[str, Any] | None].get(default=None)
    if ctx is not None and ctx.get("OUTLETS") is not None:
        return frozenset(ctx["OUTLETS"])
    if not has_app_context():
        return None
    state = current_app.extensions.get("claimwire")
    loaded = state.runtime.loaded if state is not None else None
    if loaded is None:
        return None  # nothing served yet: the view answers 503
    return frozenset(loaded.snapshot.manifest.outlets)


def unknown_outlets_message(unknown: Iterable[str], known: frozenset[str], shown: int = 30) -> str:
    """Which filter outlets the index does not hold, and the ones it does (the first `shown`)."""
    missing = sorted(set(unknown))
    parts = [f"Unknown outlet{'s' if len(missing) > 1 else ''}: " + ", ".join(repr(o) for o in missing) + "."]
    folded = {o.casefold(): o for o in sorted(known)}
    hints = []
    for name in missing:
        match = difflib.get_close_matches(name.casefold(), list(folded), n=1, cutoff=0.8)
        if match:
            hints.append(f"{folded[match[0]]!r} for {name!r}")
    if hints:
        parts.append("Did you mean " + ", ".join(hints) + "?")
    if not known:
        parts.append("The index knows no outlet (every passage's outlet is unknown).")
    else:
        names = sorted(known)
        listed = ", ".join(repr(o) for o in names[:shown])
        more = f" and {len(names) - shown} more (GET /index lists them all)" if len(names) > shown else ""
        parts.append(f"Known outlets: {listed}{more}.")
    return " ".join(parts)


class ClaimOptionsSchema(ma.Schema):
    """The claim and its retrieval options, shared by `/verify` and batch items."""

    claim = fields.String(
        required=True,
        metadata={
            "description": "The claim (non-blank; at most MAX_CLAIM_LENGTH characters, default 2000).",
            # The documented default limits, so generated clients and fuzzers know them.
            "maxLength": DefaultConfig.MAX_CLAIM_LENGTH,
            "pattern": NON_BLANK,
        },
    )
    top_k = fields.Integer(
        strict=True,  # 2.5 or "3" is a client bug, not a request for 2 or 3 passages
        load_default=10,
        validate=validate.Range(min=1),
        metadata={
            "description": "Most passages per side (1..TOP_K_MAX, default 50).",
            "maximum": DefaultConfig.TOP_K_MAX,
        },
    )
    outlets = fields.List(
        fields.String(validate=validate.Length(min=1)),
        metadata={
            "description": "Only passages from these outlets (exact names, as `GET /index` lists them)."
        },
    )
    date_from = fields.Date(metadata={"description": "Only passages dated on or after this day."})
    date_to = fields.Date(metadata={"description": "Only passages dated on or before this day."})

    @validates("claim")
    def check_claim(self, value: str, **_: Any) -> None:
        if not _NON_BLANK.search(value):
            raise ValidationError("The claim is blank.")
        limit = int(setting("MAX_CLAIM_LENGTH"))
        if len(value) > limit:
            raise ValidationError(f"The claim is longer than {limit} characters.")

    @validates("top_k")
    def check_top_k(self, value: int, **_: Any) -> None:
        limit = int(setting("TOP_K_MAX"))
        if value > limit:
            raise ValidationError(f"top_k is at most {limit}.")

    @validates("outlets")
    def check_outlets(self, value: list[str], **_: Any) -> None:
        # A filter naming an outlet the index does not hold would answer empty lists, silently.
        known = served_outlets()
        if known is None:
            return
        unknown = [o for o in value if o not in known]
        if unknown:
            raise ValidationError(unknown_outlets_message(unknown, known))

    @validates_schema
    def check_dates(self, data: dict[str, Any], **_: Any) -> None:
        start, end = data.get("date_from"), data.get("date_to")
        if start is not None and end is not None and start > end:
            raise ValidationError("date_from is after date_to.", field_name="date_to")


class VerifyRequestSchema(ClaimOptionsSchema):
    """`POST /verify` body."""

    explain = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Add `explanation`: every candidate passage's stance probabilities on each "
            "reading and why it was put in its bucket or left out."
        },
    )


class BatchClaimSchema(ClaimOptionsSchema):
    """A batch item given as an object; without `id` it gets its 0-based position."""

    id = fields.String(validate=validate.Length(min=1), metadata={"description": "Echoed in the result."})


class ClaimItem(fields.Field[dict[str, Any]]):
    """A batch item: a bare claim string, or a `BatchClaim` object (documented as oneOf)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict[str, Any]:
        item = {"claim": value} if isinstance(value, str) else value
        if not isinstance(item, dict):
            raise ValidationError("Each item is a claim string or an object with a `claim`.")
        loaded: dict[str, Any] = BatchClaimSchema().load(item)
        return loaded


class BatchRequestSchema(ma.Schema):
    """`POST /verify/batch` body."""

    claims = fields.List(
        ClaimItem(),
        required=True,
        metadata={
            "description": "Claims, verified in order (1..BATCH_LIMIT items, default 32).",
            "minItems": 1,
            "maxItems": DefaultConfig.BATCH_LIMIT,
        },
    )

    @validates("claims")
    def check_claims(self, value: list[Any], **_: Any) -> None:
        limit = int(setting("BATCH_LIMIT"))
        if not value:
            raise ValidationError("Give at least one claim.")
        if len(value) > limit:
            raise ValidationError(f"At most {limit} claims per request.")


def claim_item2properties(self: Any, field: fields.Field[Any], **kwargs: Any) -> dict[str, Any]:
    """apispec attribute function: document `ClaimItem` as string | BatchClaim."""
    if isinstance(field, ClaimItem):
        text = {"type": "string", "maxLength": DefaultConfig.MAX_CLAIM_LENGTH, "pattern": NON_BLANK}
        return {"oneOf": [text, self.resolve_nested_schema(BatchClaimSchema)]}
    return {}


PASSAGE_ID = (
    "Stable id of the passage: 20 hex digits of sha256(document_id, sentence_index, text), so the "
    "same article text always gives the same ids."
)
DOCUMENT_ID = (
    "The article's id: the corpus file's name without `.txt`, the `.jsonl` line's `id`, or the posted `id`."
)
SENTENCE_INDEX = (
    "0-based position of the passage among its article's kept sentences (after cleaning, short-sentence "
    "and duplicate removal; contiguous), so its neighbours are sentence_index - 1 and + 1."
)


class ContextSchema(ma.Schema):
    before = fields.String(required=True, allow_none=True, metadata={"description": "The previous sentence."})
    after = fields.String(required=True, allow_none=True, metadata={"description": "The next sentence."})


class AlsoInSchema(ma.Schema):
    """Another document that carries the same sentence (a syndicated copy), folded into this passage."""

    passage_id = fields.String(required=True, metadata={"description": PASSAGE_ID})
    document_id = fields.String(required=True, metadata={"description": DOCUMENT_ID})
    outlet = fields.String(required=True, allow_none=True, metadata={"description": "null when unknown."})
    date = fields.Date(required=True, allow_none=True, metadata={"description": "null when unknown."})


class AttributionSchema(ma.Schema):
    """Whose voice the passage is in."""

    kind = fields.Enum(
        AttributionKind,
        by_value=True,
        required=True,
        metadata={
            "description": "`outlet`: the outlet states it in its own voice; `quote`: it quotes someone's "
            "words in quotation marks; `reported_speech`: it reports what someone said without quoting."
        },
    )
    speaker = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "description": "Who is quoted or reported, as the text names them (a pronoun is resolved from "
            "the sentence before); null for `outlet` and when no speaker is named."
        },
    )


class MismatchSchema(ma.Schema):
    """A value the claim states that the passage gives differently."""

    kind = fields.Enum(
        MismatchKind,
        by_value=True,
        required=True,
        metadata={
            "description": "`number` (105 mm vs 155 mm), `unit` (2 hours vs 30 minutes), `date` (2023 vs "
            "2024), `name` (another holder of the same office)."
        },
    )
    claim = fields.String(required=True, metadata={"description": "The value as the claim writes it."})
    passage = fields.String(required=True, metadata={"description": "The value as the passage writes it."})


class EvidenceSchema(ma.Schema):
    """A passage that supports or contradicts the claim."""

    passage_id = fields.String(required=True, metadata={"description": PASSAGE_ID})
    document_id = fields.String(required=True, metadata={"description": DOCUMENT_ID})
    sentence_index = fields.Integer(required=True, metadata={"description": SENTENCE_INDEX})
    text = fields.String(required=True)
    outlet = fields.String(required=True, allow_none=True, metadata={"description": "null when unknown."})
    date = fields.Date(required=True, allow_none=True, metadata={"description": "null when unknown."})
    title = fields.String(required=True, allow_none=True)
    url = fields.String(required=True, allow_none=True)
    similarity = fields.Float(
        required=True, metadata={"description": "Cosine similarity of claim and passage."}
    )
    stance = fields.Enum(Stance, by_value=True, required=True)
    stance_score = fields.Float(required=True, metadata={"description": "Probability of that stance, 0..1."})
    context = fields.Nested(ContextSchema, required=True)
    also_in = fields.List(
        fields.Nested(AlsoInSchema),
        required=True,
        metadata={
            "description": "Other documents that carry the same sentence (exact or lightly edited copies), "
            "folded into this one: one report, however many sites republish it."
        },
    )
    relays = fields.List(
        fields.String(),
        required=True,
        metadata={
            "description": 'Outlets this passage\'s document says it relays ("according to SBS", "Read Full '
            'Article at RT.com"), source credits first.'
        },
    )
    attribution = fields.Nested(AttributionSchema, required=True)
    mismatches = fields.List(
        fields.Nested(MismatchSchema),
        required=True,
        metadata={"description": "Values the claim states that this passage gives differently."},
    )
    source = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "description": "The original source this passage is counted under in `independent_sources`: "
            "the outlet it cites, else the outlet its document republishes, else its own outlet; null "
            "when unknown (it then counts as its own document)."
        },
    )


class OutletsSchema(ma.Schema):
    supporting = fields.List(fields.String(), required=True)
    contradicting = fields.List(fields.String(), required=True)


class IndependentSourcesSchema(ma.Schema):
    supporting = fields.Integer(required=True)
    contradicting = fields.Integer(required=True)


class IndexRefSchema(ma.Schema):
    snapshot = fields.String(required=True, metadata={"description": "Snapshot id that answered."})
    passages = fields.Integer(required=True)


class ModelsSchema(ma.Schema):
    embedding = fields.String(required=True)
    stance = fields.String(required=True)


class PrecisionSchema(ma.Schema):
    """The number format each model runs in, chosen at start-up for this CPU (README "Speed")."""

    embedding = fields.String(
        required=True, validate=validate.OneOf(("bf16", "int8", "fp32")), metadata={"example": "bf16"}
    )
    stance = fields.String(
        required=True, validate=validate.OneOf(("bf16", "int8", "fp32")), metadata={"example": "bf16"}
    )
    cpu_capability = fields.String(
        required=True,
        metadata={
            "description": "The vector instructions torch uses here (AVX512, AVX2, ...).",
            "example": "AVX2",
        },
    )
    native_bf16 = fields.Boolean(
        required=True, metadata={"description": "The CPU multiplies bf16 in hardware (AMX or AVX-512 BF16)."}
    )


class ProbabilitiesSchema(ma.Schema):
    entailment = fields.Float(required=True)
    neutral = fields.Float(required=True)
    contradiction = fields.Float(required=True)


class ReadingsSchema(ma.Schema):
    with_context = fields.Nested(
        ProbabilitiesSchema,
        required=True,
        allow_none=True,
        metadata={"description": "Previous sentence + passage -> claim; null when not read."},
    )
    alone = fields.Nested(
        ProbabilitiesSchema,
        required=True,
        allow_none=True,
        metadata={"description": "The passage alone -> claim; null when it has no previous sentence."},
    )


class ExplainedSchema(ma.Schema):
    """A candidate passage as the decision rule saw it."""

    passage_id = fields.String(required=True)
    text = fields.String(required=True)
    outlet = fields.String(required=True, allow_none=True)
    similarity = fields.Float(required=True)
    readings = fields.Nested(ReadingsSchema, required=True)
    decision = fields.String(
        required=True,
        validate=validate.OneOf(["supports", "contradicts", "left_out"]),
        metadata={"enum": ["supports", "contradicts", "left_out"]},
    )
    reason = fields.String(
        required=True, metadata={"description": "e.g. `left out, neutral: e 0.120 < 0.5, ...`"}
    )
    attribution = fields.Nested(AttributionSchema, required=True)
    mismatches = fields.List(fields.Nested(MismatchSchema), required=True)
    relays = fields.List(
        fields.String(), required=True, metadata={"description": "Outlets the passage's document relays."}
    )


class VerifyResponseSchema(ma.Schema):
    """`POST /verify` answer."""

    claim = fields.String(required=True)
    verdict = fields.Enum(Verdict, by_value=True, required=True)
    confidence = fields.Float(
        required=True,
        metadata={
            "description": "0..1: the probability that the verdict is right, by curves fitted on dev "
            "claims for each verdict (README, Verdict rules)."
        },
    )
    supporting = fields.List(
        fields.Nested(EvidenceSchema), required=True, metadata={"description": "Best first."}
    )
    contradicting = fields.List(
        fields.Nested(EvidenceSchema), required=True, metadata={"description": "Best first."}
    )
    outlets = fields.Nested(
        OutletsSchema, required=True, metadata={"description": "Distinct outlets per side."}
    )
    independent_sources = fields.Nested(
        IndependentSourcesSchema,
        required=True,
        metadata={
            "description": "Distinct original sources per side, over all the evidence found (before the "
            "top_k cut): copies count once and a relay counts as the outlet it relays."
        },
    )
    index = fields.Nested(IndexRefSchema, required=True)
    models = fields.Nested(ModelsSchema, required=True)
    explanation = fields.List(
        fields.Nested(ExplainedSchema),
        metadata={"description": 'Only with `"explain": true`: every candidate, in retrieval order.'},
    )


class BatchResultSchema(VerifyResponseSchema):
    id = fields.String(required=True, metadata={"description": "The item's id, or its 0-based position."})


class BatchResponseSchema(ma.Schema):
    results = fields.List(
        fields.Nested(BatchResultSchema), required=True, metadata={"description": "In order."}
    )


class HealthSchema(ma.Schema):
    status = fields.String(required=True, metadata={"description": "Always `ok`."})


class ReadySchema(ma.Schema):
    status = fields.String(required=True, metadata={"description": "`ready`."})
    snapshot = fields.String(required=True)


class IndexInfoSchema(ma.Schema):
    """`GET /index` answer: the snapshot being served."""

    snapshot = fields.String(required=True)
    passages = fields.Integer(required=True)
    documents = fields.Integer(required=True)
    outlets = fields.List(fields.String(), required=True)
    built_at = fields.String(
        required=True, metadata={"description": "When the snapshot was built (ISO 8601)."}
    )
    loaded_at = fields.DateTime(
        required=True, metadata={"description": "When this process started serving it."}
    )
    index_type = fields.String(required=True)
    corpus_checksum = fields.String(required=True)
    models = fields.Nested(ModelsSchema, required=True)
    precision = fields.Nested(PrecisionSchema, required=True)


DOCUMENTS_LIMIT = 100  # articles per POST /documents, unless the DOCUMENTS_LIMIT setting says otherwise


class DocumentSchema(ma.Schema):
    """An article to add; the rules are the corpus loader's (README "Your own news")."""

    id = fields.String(
        required=True,
        validate=validate.Length(min=1),
        metadata={
            "description": "The document id. Posting an id that is stored replaces that document, or changes "
            "nothing when its text and metadata are the same."
        },
    )
    text = fields.String(
        required=True,
        metadata={
            "description": "The article text, split into sentence passages. A leading ` date YYYY-MM-DD` "
            "header is the date when `date` is absent."
        },
    )
    outlet = fields.String(allow_none=True, metadata={"description": "Absent, null or blank: unknown."})
    date = fields.String(
        allow_none=True, metadata={"description": "YYYY-MM-DD. Absent or null: unknown.", "format": "date"}
    )
    title = fields.String(allow_none=True, metadata={"description": "Absent, null or blank: unknown."})
    url = fields.String(allow_none=True, metadata={"description": "Absent, null or blank: unknown."})


class DocumentsRequestSchema(ma.Schema):
    """`POST /documents` body."""

    documents = fields.List(
        fields.Nested(DocumentSchema),
        required=True,
        metadata={
            "description": "Articles to add or replace (1..DOCUMENTS_LIMIT, default 100). One bad article "
            "fails the request and nothing is written.",
            "minItems": 1,
            "maxItems": DOCUMENTS_LIMIT,
        },
    )

    @validates("documents")
    def check_documents(self, value: list[Any], **_: Any) -> None:
        limit = DOCUMENTS_LIMIT
        if has_app_context():
            limit = int(current_app.config.get("DOCUMENTS_LIMIT", DOCUMENTS_LIMIT))
        if not value:
            raise ValidationError("Give at least one document.")
        if len(value) > limit:
            raise ValidationError(f"At most {limit} documents per request.")


class DocumentsWrittenSchema(ma.Schema):
    """`POST /documents` answer."""

    added = fields.Integer(required=True, metadata={"description": "Documents whose id was new."})
    replaced = fields.Integer(
        required=True, metadata={"description": "Stored documents whose text or metadata changed."}
    )
    unchanged = fields.Integer(
        required=True, metadata={"description": "Stored documents posted again exactly as stored."}
    )
    snapshot_id = fields.String(
        required=True,
        metadata={
            "description": "The snapshot published by this write (the served one when nothing changed)."
        },
    )


class StoredPassageSchema(ma.Schema):
    passage_id = fields.String(required=True, metadata={"description": PASSAGE_ID})
    sentence_index = fields.Integer(required=True, metadata={"description": SENTENCE_INDEX})
    text = fields.String(required=True)


class StoredDocumentSchema(ma.Schema):
    """`GET /documents/{document_id}` answer: a document as the served snapshot holds it."""

    document_id = fields.String(required=True, metadata={"description": DOCUMENT_ID})
    outlet = fields.String(required=True, allow_none=True, metadata={"description": "null when unknown."})
    date = fields.Date(required=True, allow_none=True, metadata={"description": "null when unknown."})
    title = fields.String(required=True, allow_none=True)
    url = fields.String(required=True, allow_none=True)
    passages = fields.List(
        fields.Nested(StoredPassageSchema), required=True, metadata={"description": "In article order."}
    )
    snapshot = fields.String(required=True, metadata={"description": "Snapshot id that answered."})


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details (`application/problem+json`)."""

    type = fields.String(
        required=True,
        metadata={"description": "URI naming the problem; `about:blank` for plain HTTP errors."},
    )
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Validation errors: field path (`claims.3.top_k`) -> messages."},
    )


class RatingSchema(ma.Schema):
    """schema.org `Rating`: the verdict on a 1..5 scale and in words."""

    type_ = fields.Constant("Rating", data_key="@type", required=True, metadata={"enum": ["Rating"]})
    ratingValue = fields.Integer(
        required=True,
        metadata={"description": "1 refuted, 3 conflicting or not enough information, 5 supported."},
    )
    bestRating = fields.Integer(required=True, metadata={"enum": [5]})
    worstRating = fields.Integer(required=True, metadata={"enum": [1]})
    alternateName = fields.String(
        required=True,
        metadata={
            "description": "The verdict in words.",
            "enum": ["Supported", "Refuted", "Conflicting", "Not enough information"],
        },
    )


class ReviewedClaimSchema(ma.Schema):
    """schema.org `Claim`: the claim reviewed."""

    type_ = fields.Constant("Claim", data_key="@type", required=True, metadata={"enum": ["Claim"]})
    text = fields.String(required=True)


class OrganizationSchema(ma.Schema):
    """schema.org `Organization`: who publishes the review (`ORGANIZATION_NAME`)."""

    type_ = fields.Constant(
        "Organization", data_key="@type", required=True, metadata={"enum": ["Organization"]}
    )
    name = fields.String(required=True)
    url = fields.String(required=True)


class ClaimReviewSchema(ma.Schema):
    """`POST /verify` with `Accept: application/ld+json`: a schema.org ClaimReview (JSON-LD)."""

    context = fields.Constant(
        "https://schema.org", data_key="@context", required=True, metadata={"enum": ["https://schema.org"]}
    )
    type_ = fields.Constant(
        "ClaimReview", data_key="@type", required=True, metadata={"enum": ["ClaimReview"]}
    )
    claimReviewed = fields.String(required=True)
    reviewRating = fields.Nested(RatingSchema, required=True)
    itemReviewed = fields.Nested(ReviewedClaimSchema, required=True)
    author = fields.Nested(OrganizationSchema, required=True)
    datePublished = fields.String(
        required=True, metadata={"format": "date", "description": "When the review was made (UTC)."}
    )
    url = fields.String(
        required=True,
        metadata={"description": "Permalink to the claim on the service's page (`<PUBLIC_URL>/?claim=...`)."},
    )
    reviewBody = fields.String(
        required=True, metadata={"description": "What the verdict rests on, in one paragraph."}
    )


FEEDBACK_LABELS = ("supports", "contradicts", "neither")


class FeedbackRequestSchema(ma.Schema):
    """`POST /feedback` body: a reviewer's judgement of one passage for one claim."""

    claim = fields.String(
        required=True,
        metadata={
            "description": "The claim the passage was judged for (non-blank; at most MAX_CLAIM_LENGTH).",
            "maxLength": DefaultConfig.MAX_CLAIM_LENGTH,
            "pattern": NON_BLANK,
        },
    )
    passage_id = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "A passage of the served snapshot, as a /verify answer lists it."},
    )
    label = fields.String(
        required=True,
        validate=validate.OneOf(FEEDBACK_LABELS),
        metadata={"description": "What the passage does for the claim.", "enum": list(FEEDBACK_LABELS)},
    )
    note = fields.String(
        allow_none=True,
        validate=validate.Length(max=2000),
        metadata={"description": "Free text, e.g. why (at most 2000 characters)."},
    )
    reviewer = fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "Who judged it (a name or handle; optional)."},
    )

    @validates("claim")
    def check_claim(self, value: str, **_: Any) -> None:
        ClaimOptionsSchema().check_claim(value)


class FeedbackRecordSchema(ma.Schema):
    """`POST /feedback` answer: the judgement as stored."""

    id = fields.Integer(required=True)
    created_at = fields.String(
        required=True, metadata={"format": "date-time", "description": "When it was recorded (UTC)."}
    )
    claim = fields.String(required=True)
    passage_id = fields.String(required=True, metadata={"description": PASSAGE_ID})
    document_id = fields.String(required=True, metadata={"description": DOCUMENT_ID})
    sentence_index = fields.Integer(required=True, metadata={"description": SENTENCE_INDEX})
    passage = fields.String(
        required=True, metadata={"description": "The passage's text, kept with the judgement."}
    )
    label = fields.String(required=True, metadata={"enum": list(FEEDBACK_LABELS)})
    note = fields.String(required=True, allow_none=True)
    reviewer = fields.String(required=True, allow_none=True)
    snapshot = fields.String(
        required=True, metadata={"description": "The snapshot the passage was judged on."}
    )
