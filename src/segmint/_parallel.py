"""When to run the parallel kernels on one thread.

Starting a parallel region costs tens of microseconds on an idle machine and
much more when the cores are busy: the region waits for its slowest thread.
Small problems therefore run on the calling thread alone. Every kernel gives
bit-identical results for any number of threads, so this changes the speed,
never the answer.
"""

from contextlib import contextmanager

#: Below this many point-centre-feature operations (n * k * d) one thread
#: is faster than two: about a tenth of a millisecond of work.
PARALLEL_MIN_WORK = 250_000


@contextmanager
def threads_for(work, min_work=None):
    """Limit Numba to one thread inside the block when ``work`` is small.

    Parameters
    ----------
    work : int
        Size of the job, e.g. ``n_samples * n_clusters * n_features``.
    min_work : int, default=None
        Threshold below which one thread is used; ``None`` means
        ``PARALLEL_MIN_WORK``.
    """
    if work >= (PARALLEL_MIN_WORK if min_work is None else min_work):
        yield
        return
    import numba

    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(before)
