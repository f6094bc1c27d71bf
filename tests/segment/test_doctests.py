"""The examples in the segmentation layer's docstrings run and are right."""

import doctest
import importlib
import sys

import pytest

MODULES = [
    "segmint.datasets",
    "segmint.segment",
    "segmint.segment.core",
    "segmint.segment.errors",
    "segmint.segment.prepare",
    "segmint.segment.profile",
    "segmint.segment.rfm",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    importlib.import_module(name)
    # by module name: the attribute segmint.segment.rfm is the function
    result = doctest.testmod(sys.modules[name], optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
