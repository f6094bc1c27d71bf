"""Numba kernels: arrays in, arrays out, no validation.

One module per job. Each kernel compiles lazily for float32 and float64 input
and runs its outer loop over fixed-size chunks of rows, so results do not
depend on the number of threads.
"""
