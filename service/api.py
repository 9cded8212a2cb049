"""The flask-smorest `Api`: blueprints, problem+json errors, and the OpenAPI document they make."""

from __future__ import annotations

import http
from typing import Any

import flask_smorest
from flask import Flask
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException

from . import errors
from .schemas import ProblemSchema, claim_item2properties


class Api(flask_smorest.Api):  # type: ignore[misc]
    """flask-smorest's Api with RFC 9457 errors, in responses and in the document."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        self._app.register_error_handler(HTTPException, errors.handle_http_exception)
        self._app.register_error_handler(errors.ApiError, errors.handle_api_error)
        self._app.register_error_handler(Exception, errors.handle_unexpected)

    def _register_pagination_header(self) -> None:
        """No endpoint is paginated: keep PaginationMetadata out of the contract."""

    def _register_responses(self) -> None:
        # As flask-smorest's, but error responses are documented as application/problem+json.
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, errors.PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, errors.PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def create_api(app: Flask) -> Api:
    """Register every resource on `app`; the returned Api's `spec` is `openapi.yaml`."""
    from .resources import admin, documents, feedback, health, index, page, verify

    api = Api(
        app,
        spec_kwargs={
            "info": {
                "description": "Claim verification: supporting and contradicting evidence from a news "
                "passage index, with a verdict. Errors are application/problem+json (RFC 9457)."
            }
        },
    )
    api.ma_plugin.converter.add_attribute_function(claim_item2properties)
    for module in (verify, documents, feedback, health, index, admin):
        api.register_blueprint(module.blp)
    app.register_blueprint(page.blp)  # the HTML page at `/`: a client of the API, not part of it
    return api
