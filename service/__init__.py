"""claimwire's HTTP service: `create_app()` builds a Flask app that verifies claims.

Endpoints: `POST /verify` (`Accept: application/ld+json` for ClaimReview), `POST /verify/batch`,
`GET /health`, `GET /ready`, `GET /index`, `POST /documents`, `GET|DELETE /documents/{id}`,
`POST /feedback`, `POST /admin/reload` (writes need a bearer token; see `service.security`),
`GET /` (the page, `service/static/`), `GET /openapi.yaml` (the contract;
`openapi.yaml` at the repository root is generated from the same schemas by
`python -m service.openapi openapi.yaml`).

Configuration (`service.config.DefaultConfig`, then `CLAIMWIRE_<KEY>` environment variables,
then `test_config`):

    INDEX_DIR                  var/index  directory holding `current` -> snapshots/<id>
    EMBEDDING_MODEL            (index default)  embedder name or path
    STANCE_MODEL               (stance default) stance cross-encoder name or path
    CANDIDATES                 30     retrieve max(3 * top_k, CANDIDATES) hits
    TOP_K_MAX                  50     largest accepted top_k
    MIN_SIMILARITY             (fitted) relevance gate on cosine similarity
    SUPPORT_THRESHOLD          (fitted) entailment needed to support
    MIN_SUPPORT_SIMILARITY     (fitted) similarity needed to support
    CONTRADICT_THRESHOLD       (fitted) contradiction needed to contradict
    CONTRADICT_SLOPE           (fitted) ... less by this x (similarity - 0.5), not under 0.2
    MIN_CONTRADICT_SIMILARITY  (fitted) similarity needed to contradict
    VERDICT_THRESHOLD          (fitted) stance_score that counts for the verdict
    CONFLICT_THRESHOLD         (fitted) both sides at least this: conflicting
    CONFLICT_MARGIN            (fitted) both sides count and within this of each other: conflicting
    REFERENCE_WEIGHT           (fitted) with-context weight for a passage opening with They / It / This
    CALIBRATED_CONFIDENCE      true   confidence = the probability that the verdict is right (fitted)
    (fitted: the stance model's rule.json, `make fit-rule`; a setting overrides it)
    MAX_CLAIM_LENGTH           2000   characters per claim
    BATCH_LIMIT                32     claims per batch request
    MAX_CONTENT_LENGTH         262144 bytes per request body
    MAX_JSON_DEPTH             32     nesting levels of a JSON body
    ADMIN_TOKEN                (none) bearer token for POST /admin/reload; unset: disabled (403)
    CORS_ORIGINS               (none) comma list of origins (or *) that get CORS headers
    LOG_CLAIMS                 false  put claim texts in the JSON access log
    RELOAD_INTERVAL            2.0    seconds between checks for a new snapshot
    RELOAD_THREAD              true   check from a daemon thread (requests check too)
    VECTOR_STORE               faiss  faiss | milvus: where the dense side is searched (docs/scale.md)
    MILVUS_URI                 var/milvus.db  Milvus server URI or milvus-lite .db path
    (CLAIMWIRE_PRECISION / _EMBEDDING_PRECISION / _STANCE_PRECISION: index.precision)

Wiring tests inject objects through `test_config`: `EMBEDDER` and `STANCE` (models, so none is
loaded), or `MODEL_LOADER` (`() -> (embedder, stance)`), and `SNAPSHOT_LOADER`
(`(path, embedder) -> snapshot`).

Errors: every error is `application/problem+json` (RFC 9457)::

    {"type": "urn:claimwire:problem:validation", "title": "Invalid request", "status": 422,
     "detail": "...", "errors": {"claim": ["Missing data for required field."]}}

`type` is `about:blank` for plain HTTP errors (404, 405, 413, 500), `urn:claimwire:problem:validation`
for invalid bodies (422, with the `errors` field map) and `urn:claimwire:problem:not-ready` for
503 while no snapshot or model is loaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, Response

__all__ = ["create_app"]


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: configuration, models (loaded here, once), runtime, resources."""
    from .api import create_api
    from .config import DefaultConfig, thresholds
    from .resources import EXTENSION, State
    from .runtime import Runtime, default_model_loader, snapshot_loader

    app = Flask(__name__, static_folder=None)  # no route that reads files
    app.json.sort_keys = False  # type: ignore[attr-defined]  # bodies keep the schemas' field order
    app.config.from_object(DefaultConfig)
    app.config.from_prefixed_env("CLAIMWIRE")
    if test_config is not None:
        app.config.from_mapping(test_config)

    from .guards import install_guards
    from .logging import install_request_logging
    from .security import install_cors

    install_request_logging(app)  # first: the request id and timing cover every other hook
    install_guards(app)
    install_cors(app)
    api = create_api(app)

    @app.get("/openapi.yaml")
    def openapi_yaml() -> Response:
        return Response(api.spec.to_yaml(), mimetype="application/yaml")

    config = app.config
    if config.get("MODEL_LOADER") is not None:
        load_models = config["MODEL_LOADER"]
    elif config.get("EMBEDDER") is not None and config.get("STANCE") is not None:
        models = (config["EMBEDDER"], config["STANCE"])
        load_models = lambda: models  # noqa: E731
    else:
        load_models = default_model_loader(config["EMBEDDING_MODEL"], config["STANCE_MODEL"])
    runtime = Runtime(
        Path(config["INDEX_DIR"]),
        load_models,
        config.get("SNAPSHOT_LOADER") or snapshot_loader(config),  # VECTOR_STORE: faiss or milvus
        interval=float(config["RELOAD_INTERVAL"]),
    )
    app.extensions[EXTENSION] = State(runtime=runtime, thresholds=thresholds(config))
    runtime.start(watch=bool(config["RELOAD_THREAD"]))
    return app
