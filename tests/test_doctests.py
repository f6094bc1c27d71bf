"""Run the Examples sections of public docstrings as doctests."""

import doctest
import importlib

import pytest

MODULES = [
    "segmint.kmeans",
    "segmint.seeding",
    "segmint.metrics",
    "segmint.minibatch",
    "segmint.select",
    "segmint.distributed",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError:
        pytest.skip(f"{name} is not part of this build")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name}"
