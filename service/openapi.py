"""`python -m service.openapi openapi.yaml`: write the OpenAPI document generated from the schemas."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from flask import Flask


def render() -> str:
    """The document as YAML, built without loading models or an index."""
    from .api import create_api
    from .config import DefaultConfig

    app = Flask("service")
    app.config.from_object(DefaultConfig)
    spec: str = create_api(app).spec.to_yaml()
    return spec


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m service.openapi", description=__doc__)
    parser.add_argument("out", type=Path, help="where to write the YAML ('-' for stdout)")
    args = parser.parse_args(argv)
    text = render()
    if str(args.out) == "-":
        sys.stdout.write(text)
    else:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
