"""Shared fixtures.

Tests that read the real datasets beside the project use ``shared_data`` and
skip cleanly when ``../shared/data`` is absent (as in a user's clone).
"""

import os
from pathlib import Path

import numpy as np
import pytest

SHARED_DATA = Path(
    os.environ.get(
        "SEGMINT_SHARED_DATA",
        Path(__file__).resolve().parents[1].parent / "shared" / "data",
    )
)


@pytest.fixture
def shared_data():
    """Path to ``../shared/data``; skips the test when it is not there."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real datasets not found at {SHARED_DATA}")
    return SHARED_DATA


# A few fixed seeds by default; set SEGMINT_SEEDS=all to run every seed 0..99,
# SEGMINT_SEEDS=7 to run just one (as scikit-learn's global_random_seed).
_SEEDS_ENV = os.environ.get("SEGMINT_SEEDS", "")
if _SEEDS_ENV == "all":
    _SEEDS = list(range(100))
elif _SEEDS_ENV:
    _SEEDS = [int(s) for s in _SEEDS_ENV.split(",")]
else:
    _SEEDS = [0, 42]


@pytest.fixture(params=_SEEDS)
def global_random_seed(request):
    """A seed the test must pass for; any value in 0..99 is valid."""
    return request.param


@pytest.fixture
def rng(global_random_seed):
    return np.random.default_rng(global_random_seed)


@pytest.fixture
def force_parallel(monkeypatch):
    """Let every problem size use all threads.

    Small problems normally run on one thread (``segmint._parallel``); tests
    that compare 1 and 2 threads need the parallel path even on small data,
    or they could not fail.
    """
    monkeypatch.setattr("segmint._parallel.PARALLEL_MIN_WORK", 0)
