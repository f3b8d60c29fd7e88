"""Type aliases and optional-dependency flags, decided once at import."""
from __future__ import annotations

import importlib.util
from typing import Union

import numpy as np
from torch import Tensor

ArrayLike = Union[np.ndarray, Tensor]

WITH_FAISS: bool = importlib.util.find_spec("faiss") is not None

__all__ = ["ArrayLike", "WITH_FAISS"]
