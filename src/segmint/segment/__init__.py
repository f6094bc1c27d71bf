"""Customer segmentation: a table in, labelled and profiled segments out.

- :func:`segment` prepares the features, chooses k, clusters and profiles;
  it returns a :class:`SegmentationResult`. The package itself is callable,
  so ``segmint.segment(df, ...)`` is the same call.
- :func:`rfm` turns a transaction log into recency / frequency / monetary /
  tenure per customer.
- :func:`load_model` reads a model written by ``SegmentationResult.save`` and
  assigns new rows.

Bad input raises :class:`SegmentationError` (a ``ValueError``) with a one-line
message.

Examples
--------
>>> import segmint
>>> from segmint.datasets import load_wholesale
>>> result = segmint.segment(load_wholesale(), k=3, columns=["Fresh", "Milk"])
>>> result.k, len(result.segments)
(3, 440)
"""

import sys
import types

from .core import segment
from .errors import SegmentationError
from .model import SegmentationModel, load_model
from .prepare import Preparation, infer_roles, prepare
from .profile import profile_segments
from .result import SegmentationResult
from .rfm import rfm

__all__ = [
    "Preparation",
    "SegmentationError",
    "SegmentationModel",
    "SegmentationResult",
    "infer_roles",
    "load_model",
    "prepare",
    "profile_segments",
    "rfm",
    "segment",
]


class _CallableModule(types.ModuleType):
    """Lets ``segmint.segment(df, ...)`` call :func:`segment`.

    ``segmint.segment`` is this subpackage (Python binds a package's
    submodules as its attributes), so calling it forwards to the function.
    """

    def __call__(self, *args, **kwargs):
        return segment(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
