"""`GET /index`: which snapshot and models are being served."""

# flask-smorest ships no type hints, so its decorators are untyped; the views themselves are typed.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

import datetime as dt
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from index.precision import cpu_capability, native_bf16

from ..schemas import IndexInfoSchema
from . import loaded_or_503

blp = Blueprint("index", __name__, description="The index snapshot being served.")


@blp.route("/index")
class IndexInfo(MethodView):
    @blp.response(200, IndexInfoSchema)
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    def get(self) -> dict[str, Any]:
        """The served snapshot: id, counts, outlets, build time, models and their number format."""
        loaded = loaded_or_503()
        manifest = loaded.snapshot.manifest
        return {
            "snapshot": loaded.snapshot.id,
            "passages": manifest.passages,
            "documents": manifest.documents,
            "outlets": list(manifest.outlets),
            "built_at": str(manifest.built_at),
            "loaded_at": dt.datetime.fromtimestamp(loaded.loaded_at, dt.UTC),
            "index_type": manifest.index_type,
            "corpus_checksum": manifest.corpus_checksum,
            "models": {"embedding": loaded.embedder.name, "stance": loaded.stance.name},
            "precision": {
                # models injected by tests or other backends may not say: they run in fp32
                "embedding": getattr(loaded.embedder, "precision", "fp32"),
                "stance": getattr(loaded.stance, "precision", "fp32"),
                "cpu_capability": cpu_capability(),
                "native_bf16": native_bf16(),
            },
        }
