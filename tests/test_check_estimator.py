"""scikit-learn's estimator checks.

The only expected failures are the ones scikit-learn lists for its own
KMeans: weighted and repeated samples are not equivalent for a random init.
"""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from segmint import KMeans

SAMPLE_WEIGHT_XFAIL = {
    "check_sample_weight_equivalence_on_dense_data": (
        "sample_weight is not equivalent to removing/repeating samples."
    ),
}


@parametrize_with_checks(
    [KMeans(), KMeans(algorithm="elkan")],
    expected_failed_checks=lambda est: SAMPLE_WEIGHT_XFAIL,
)
# Some checks fit tiny data with repeated rows on purpose; scikit-learn's own
# KMeans then warns about fewer distinct clusters, and so do we.
# Checks that use n_clusters=1 get scikit-learn's elkan-to-lloyd notice.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.filterwarnings(
    "ignore:algorithm='elkan' doesn't make sense:RuntimeWarning"
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
