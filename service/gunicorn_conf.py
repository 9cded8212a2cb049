"""gunicorn settings for `make serve` and the container (`gunicorn -c service/gunicorn_conf.py ...`).

Environment: GUNICORN_HOST (127.0.0.1: loopback only; the container sets 0.0.0.0), PORT (8000;
GUNICORN_BIND overrides the whole address), WEB_CONCURRENCY (workers, 2), GUNICORN_THREADS (4),
GUNICORN_TIMEOUT (120), TORCH_THREADS (every CPU core in each worker; README "Speed" has the
layouts measured on 2 cores: 2 workers x 4 threads x 2 torch threads had the best single-client
latency and the best throughput under 8 clients). Each
worker builds its own app and so loads its own models: no `preload_app`, since torch state must
not be shared across fork. The access log is off; the app's logs go to stderr as JSON lines.

The server refuses to start when the index directory (CLAIMWIRE_INDEX_DIR, default var/index)
does not exist: that is a mistyped path, not an index still to come. An existing directory with no
snapshot yet is served (503 on /ready until one is published).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

# Loopback unless told otherwise: a development server is not exposed to the network by default.
host = os.environ.get("GUNICORN_HOST") or "127.0.0.1"
bind = os.environ.get("GUNICORN_BIND") or f"{host}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))  # model loading happens in the worker
graceful_timeout = 30  # in-flight /verify calls finish on SIGTERM
keepalive = 5
preload_app = False
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (and the traceback, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


logconfig_dict: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": JsonFormatter}},
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    },
    "root": {"level": loglevel.upper(), "handlers": ["stderr"]},
    "loggers": {
        "gunicorn.error": {"level": loglevel.upper(), "handlers": ["stderr"], "propagate": False},
        "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        # FAISS's loader logs each optional library it cannot load ("Could not load library ...").
        "faiss.loader": {"level": "WARNING"},
    },
}


def on_starting(server: Any) -> None:
    """Fail at once, with the path, when the index directory does not exist (see above)."""
    from service.config import DefaultConfig

    index_dir = Path(os.environ.get("CLAIMWIRE_INDEX_DIR") or DefaultConfig.INDEX_DIR)
    if not index_dir.is_dir():
        where = "CLAIMWIRE_INDEX_DIR" if os.environ.get("CLAIMWIRE_INDEX_DIR") else "the default"
        raise RuntimeError(
            f"the index directory {index_dir} ({where}) does not exist. Fix the path, or build an "
            f"index there first: python -m index build --corpus PATH --out {index_dir}"
        )


def post_fork(server: Any, worker: Any) -> None:
    """Give each worker's torch every core: a lone request then runs on all of them, and under load
    the two workers' requests share the cores (measured better than splitting them, README)."""
    import torch

    default = max(1, os.cpu_count() or 1)
    torch.set_num_threads(int(os.environ.get("TORCH_THREADS", default)))
