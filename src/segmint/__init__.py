"""segmint: fast K-means customer segmentation.

The estimators follow scikit-learn's API, so ``segmint.KMeans`` is a drop-in
replacement for ``sklearn.cluster.KMeans``. Public names are loaded on first
use, which keeps ``import segmint`` cheap (no pandas or matplotlib until a
function needs them).
"""

from importlib import import_module

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    "KMeans": "segmint.kmeans",
    "k_means": "segmint.kmeans",
    "kmeans_plusplus": "segmint.seeding",
    "MiniBatchKMeans": "segmint.minibatch",
    "fit_chunks": "segmint.minibatch",
    "predict_chunks": "segmint.minibatch",
    "silhouette_samples": "segmint.metrics",
    "silhouette_score": "segmint.metrics",
    "silhouette_score_estimate": "segmint.metrics",
    "inertia": "segmint.metrics",
    "davies_bouldin_score": "segmint.metrics",
    "calinski_harabasz_score": "segmint.metrics",
    "select_k": "segmint.select",
    "segment": "segmint.segment",
    "rfm": "segmint.segment",
    "datasets": "segmint.datasets",
    "fit_dask": "segmint.distributed",
    "predict_dask": "segmint.distributed",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'segmint' has no attribute {name!r}")
    mod = import_module(module)
    value = mod if module == f"segmint.{name}" else getattr(mod, name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
