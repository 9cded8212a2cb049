"""`POST /admin/reload`: re-check the published snapshot now (bearer token required)."""

# flask-smorest ships no type hints, so its decorators are untyped; the views themselves are typed.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields

from index import SnapshotError, current_snapshot_path

from ..security import require_admin_token
from . import loaded_or_503, state

blp = Blueprint(
    "admin",
    __name__,
    description="State-changing operations; each needs `Authorization: Bearer <CLAIMWIRE_ADMIN_TOKEN>` "
    "(disabled, 403, when no token is configured).",
)


class ReloadSchema(ma.Schema):
    """`POST /admin/reload` answer."""

    snapshot = fields.String(required=True, metadata={"description": "Snapshot id served now."})
    published = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Snapshot id `current` points at (null when none is published)."},
    )
    reloaded = fields.Boolean(required=True, metadata={"description": "Whether this call swapped it in."})


@blp.route("/admin/reload")
class Reload(MethodView):
    @blp.response(200, ReloadSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    def post(self) -> dict[str, Any]:
        """Re-check `current` now and load it if it changed; the snapshot being served afterwards.

        A snapshot that fails to load is refused (logged) and the last good one keeps serving.
        """
        require_admin_token()
        runtime = state().runtime
        reloaded = runtime.refresh()
        try:
            published: str | None = current_snapshot_path(runtime.index_dir).resolve().name
        except (SnapshotError, OSError):
            published = None
        return {"snapshot": loaded_or_503().snapshot.id, "published": published, "reloaded": reloaded}
