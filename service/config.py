"""Configuration defaults: every key the service reads, in one place (env overrides: `CLAIMWIRE_<KEY>`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stance.rule import Thresholds, read_rule


class DefaultConfig:
    """Defaults; `create_app` applies `CLAIMWIRE_*` environment variables, then `test_config`, on top.

    Environment values are parsed as JSON where they can be (`CLAIMWIRE_TOP_K_MAX=50` is an int),
    as plain strings otherwise (Flask's `from_prefixed_env`).
    """

    # Where the index lives: a directory holding `current` -> snapshots/<id>.
    INDEX_DIR = "var/index"
    # Where the dense side of each snapshot is searched (docs/scale.md): "faiss", the snapshot's own
    # index in every process; or "milvus", a collection per snapshot at MILVUS_URI, made from the
    # snapshot's files on its first load. MILVUS_URI is a server (http://host:19530: a Milvus
    # cluster, or `milvus-lite server` shared by several workers) or a milvus-lite path ending in
    # .db, which one process at a time can open. pymilvus is imported only for "milvus".
    VECTOR_STORE = "faiss"
    MILVUS_URI = "var/milvus.db"
    MILVUS_TOKEN: str | None = None  # "user:password" or an API key, for a server that wants one
    MILVUS_DB: str | None = None  # Milvus database (None: the server's default)
    MILVUS_SHARDS = 1  # write channels of each new collection
    MILVUS_REPLICAS = 1  # copies of each collection in a cluster's query nodes (search throughput)
    # Models: names or paths; None means each library's shipped default.
    EMBEDDING_MODEL: str | None = None
    STANCE_MODEL: str | None = None

    # Retrieval.
    CANDIDATES = 30  # retrieve max(3 * top_k, CANDIDATES) hits before the relevance gate
    TOP_K_MAX = 50

    # Relevance and stance thresholds (see README "Verdict rules"). None: the value fitted for
    # the stance model (its rule.json, `make fit-rule`); a number overrides it.
    MIN_SIMILARITY: float | None = None  # cosine(claim, passage) below this: never scored
    SUPPORT_THRESHOLD: float | None = None  # entailment >= this (and > contradiction) ...
    MIN_SUPPORT_SIMILARITY: float | None = None  # ... and this close to the claim: supports
    CONTRADICT_THRESHOLD: float | None = None  # contradiction >= this (and > entailment) ...
    CONTRADICT_SLOPE: float | None = None  # ... less by this x (similarity - 0.5), not under 0.2 ...
    MIN_CONTRADICT_SIMILARITY: float | None = None  # ... and this close to the claim: contradicts
    VERDICT_THRESHOLD: float | None = None  # a side with stance_score >= this counts for the verdict
    CONFLICT_THRESHOLD: float | None = None  # both sides >= this: conflicting (else the stronger wins)
    CONFLICT_MARGIN: float | None = None  # ... or both count and differ by less than this: conflicting
    CONTEXT_WEIGHT: float | None = None  # 0..1: weight of the with-context reading against alone
    REFERENCE_WEIGHT: float | None = None  # 0..1: the same for a passage opening with They / It / This
    # The verdict's confidence as the probability that it is right, by the curves fitted on dev with
    # the rule (rule.json's "confidence"; README "Verdict rules"); false: the rule's raw confidence.
    CALIBRATED_CONFIDENCE = True

    # Limits.
    MAX_CLAIM_LENGTH = 2000  # characters
    BATCH_LIMIT = 32  # claims per POST /verify/batch
    DOCUMENTS_LIMIT = 100  # articles per POST /documents
    MAX_CONTENT_LENGTH = 256 * 1024  # bytes per request body (Flask answers 413 above it)
    MAX_JSON_DEPTH = 32  # nesting levels of a JSON body (service.guards)

    # Security and logging (service.security, service.logging).
    ADMIN_TOKEN: str | None = None  # bearer token for /admin/*; None disables them (403)
    CORS_ORIGINS = ""  # comma list of allowed origins, or "*"; empty: no CORS headers
    LOG_CLAIMS = False  # put claim texts in the access log

    # Hot reload: look for a newly published snapshot at most this often (seconds).
    RELOAD_INTERVAL = 2.0
    # Start the background watcher thread (requests also trigger a check when it is off).
    RELOAD_THREAD = True

    # flask-smorest / OpenAPI.
    API_TITLE = "claimwire"
    API_VERSION = "1.0.0"
    OPENAPI_VERSION = "3.0.3"

    # --- Evidence a fact-checker can trust (README): ClaimReview export and reviewer feedback. ---
    # `author.name` of the schema.org ClaimReview answers (`Accept: application/ld+json`).
    ORGANIZATION_NAME = "claimwire"
    # Public base URL of the service (its page), for ClaimReview `url` permalinks
    # (`<PUBLIC_URL>/?claim=...`); None: the request's own host (the batch CLI then uses
    # http://127.0.0.1:8000, the address `make serve` listens on).
    PUBLIC_URL: str | None = None
    # Reviewer feedback (SQLite), outside the index so it survives rebuilds and restarts.
    FEEDBACK_DB = "var/feedback.sqlite3"
    # Bearer token for POST /feedback; None: ADMIN_TOKEN is the reviewers' token too (403 when
    # neither is set).
    FEEDBACK_TOKEN: str | None = None


def thresholds(config: Mapping[str, Any]) -> Thresholds:
    """The decision rule for this configuration: the stance model's fitted `rule.json`, then settings.

    A stance model given by hub id (or injected by a test) has no `rule.json` next to it; the
    shipped model's fitted rule is then the starting point only for the shipped model itself,
    and `Thresholds`' defaults for anything else.
    """
    from stance.model import SHIPPED_MODEL

    name = config.get("STANCE_MODEL")
    model_dir = Path(name) if name else SHIPPED_MODEL
    fitted = read_rule(model_dir) if model_dir.is_dir() else None
    return Thresholds.from_config(config, fitted)
