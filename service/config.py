"""Configuration defaults: every key the service reads, in one place (env overrides: `CLAIMWIRE_<KEY>`)."""

from __future__ import annotations


class DefaultConfig:
    """Defaults; `create_app` applies `CLAIMWIRE_*` environment variables, then `test_config`, on top.

    Environment values are parsed as JSON where they can be (`CLAIMWIRE_TOP_K_MAX=50` is an int),
    as plain strings otherwise (Flask's `from_prefixed_env`).
    """

    # Where the index lives: a directory holding `current` -> snapshots/<id>.
    INDEX_DIR = "var/index"
    # Models: names or paths; None means each library's shipped default.
    EMBEDDING_MODEL: str | None = None
    STANCE_MODEL: str | None = None

    # Retrieval.
    CANDIDATES = 30  # retrieve max(3 * top_k, CANDIDATES) hits before the relevance gate
    TOP_K_MAX = 50

    # Relevance and stance thresholds (see README "Verdict rules").
    MIN_SIMILARITY = 0.35  # cosine(claim, passage) below this: unrelated, never scored
    SUPPORT_THRESHOLD = 0.2  # entailment >= this (and > contradiction): supports
    CONTRADICT_THRESHOLD = 0.5  # contradiction >= this (and > entailment): contradicts ...
    MIN_CONTRADICT_SIMILARITY = 0.5  # ... and only when the passage is this close to the claim
    VERDICT_THRESHOLD = 0.2  # evidence with stance_score >= this is "confident"

    # Limits.
    MAX_CLAIM_LENGTH = 2000  # characters
    BATCH_LIMIT = 32  # claims per POST /verify/batch
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
