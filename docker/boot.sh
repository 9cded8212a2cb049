#!/bin/sh
# Container entry point: exec gunicorn so it runs as PID 1 and receives SIGTERM from `docker stop`.
# Arguments, if any, are passed on to gunicorn (e.g. `--workers 1`).
set -eu
cd /app
exec gunicorn -c service/gunicorn_conf.py "$@" 'service:create_app()'
