"""pytest-benchmark configuration for ``benchmarks/``.

Run with ``pytest benchmarks/`` (the default test run only collects
``tests/``). Shapes marked ``large`` (n = 10^6) are skipped unless
``--run-large`` is given. Unset ``OPENBLAS_CORETYPE`` and
``OPENBLAS_L2_SIZE`` together for the benchmark command when they are set
(see ``benchmarks/README.md``); the BLAS that actually ran is stored in the
machine info of every saved run.
"""

import pytest

from benchmarks import machine, registry


def pytest_addoption(parser):
    parser.addoption(
        "--run-large",
        action="store_true",
        default=False,
        help="also run benchmarks marked 'large' (n = 10^6 rows)",
    )


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "large: large shapes (n = 10^6); run with --run-large"
    )
    # faiss's SWIG bindings warn about their own types on import
    config.addinivalue_line(
        "filterwarnings", "ignore:builtin type Swig:DeprecationWarning"
    )
    config.addinivalue_line(
        "filterwarnings", "ignore:builtin type swigvarlink:DeprecationWarning"
    )


def pytest_collection_modifyitems(config, items):
    if config.getoption("--run-large"):
        return
    skip = pytest.mark.skip(reason="large shape: run with --run-large")
    for item in items:
        if "large" in item.keywords:
            item.add_marker(skip)


def pytest_benchmark_update_machine_info(config, machine_info):
    machine_info["blas"] = machine.blas_info()
    machine_info["blas_env"] = machine.blas_env()


_DATA = {}


@pytest.fixture(scope="session")
def blobs():
    """``blobs(n, d, k, dtype)`` -> (X, init_centers), cached per session so
    that every library is timed on the same arrays."""

    def get(n, d, k, dtype, separation="overlapping"):
        key = (n, d, k, dtype, separation)
        if key not in _DATA:
            # keep one large dataset alive at a time
            if n >= 1_000_000:
                for old in [kk for kk in _DATA if kk[0] >= 1_000_000]:
                    del _DATA[old]
            X, _ = registry.make_blobs(
                n, d, k, dtype=dtype, separation=separation, seed=0
            )
            _DATA[key] = (X, registry.init_centers(X, k, seed=0))
        return _DATA[key]

    return get
