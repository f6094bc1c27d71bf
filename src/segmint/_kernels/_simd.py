"""Explicit SIMD building blocks, written as LLVM IR through Numba intrinsics.

Numba's auto-vectoriser only vectorises innermost loops, and the compiler
will not keep a register tile of accumulators across a loop over features
on its own. The nearest-centre search needs exactly that (the classic
matrix-multiply micro-kernel: a few rows times a few centres, accumulated
in registers over all features), so it is written here directly with
LLVM vector types. Everything is fully specified IEEE arithmetic: fused
multiply-adds and ordered comparisons, no fast-math flags.

The vector width is one register of the machine compiled for: 8 float64
or 16 float32 lanes with AVX-512, else 4 or 8 (AVX/AVX2; on machines with
narrower vectors LLVM splits the operations). No result depends on it.
"""

from llvmlite import binding as llvm
from llvmlite import ir
from numba import types
from numba.core import cgutils, config
from numba.extending import intrinsic, models, register_jitable, register_model

#: Rows handled together by :func:`seed_rows`.
ROWS = 4


def _vector_bytes():
    """Bytes of one vector register of the machine Numba compiles for.

    64 where the target has AVX-512 (a full-width FMA on recent cores), else
    32 (AVX/AVX2; LLVM splits the operations on narrower machines). A target
    set through ``NUMBA_CPU_NAME`` / ``NUMBA_CPU_FEATURES`` (e.g. a portable
    cache) is read from those settings: 64 only if they list ``+avx512f``. The results
    do not depend on the width: every kernel below fixes its order of
    operations independently of the lanes (see each docstring). The width
    follows from the CPU name and features alone, which Numba's on-disk
    cache is keyed on, so a cached kernel always matches it.
    """
    if config.CPU_NAME or config.CPU_FEATURES:
        features = config.CPU_FEATURES or ""
        return 64 if "+avx512f" in features else 32
    return 64 if llvm.get_host_cpu_features().get("avx512f", False) else 32


#: Bytes of one vector register: AVX-512 or AVX/AVX2.
VECTOR_BYTES = _vector_bytes()


def lanes(itemsize):
    """Lanes per vector for an element of ``itemsize`` bytes."""
    return VECTOR_BYTES // itemsize


@intrinsic
def fma(typingctx, a, b, c):
    """``a * b + c`` with one rounding (LLVM's ``llvm.fma``).

    An explicit fused multiply-add, not a fast-math licence: the result is
    fully specified (IEEE 754 fusedMultiplyAdd) and at least as accurate as
    the separate multiply and add.
    """
    if not (a == b == c and isinstance(a, types.Float)):
        return None

    def codegen(context, builder, signature, args):
        return builder.fma(*args)

    return a(a, b, c), codegen


def _is_int64(t):
    return isinstance(t, types.Integer) and t.bitwidth == 64


def _is_c_matrix(t, dtypes=(types.float32, types.float64)):
    return (
        isinstance(t, types.Array)
        and t.ndim == 2
        and t.layout == "C"
        and t.dtype in dtypes
    )


# ---------------------------------------------------------------------------
# Packs: one vector register as a Numba value
#
# A pack is an LLVM vector of VECTOR_BYTES (one register's worth) that
# jitted code can hold in a variable, for kernels written as loops over
# packs (the silhouette). Every operation is exact IEEE 754 arithmetic lane
# by lane, so a pack computes bit for bit what the scalar code computes.
# ---------------------------------------------------------------------------


class Pack(types.Type):
    """Numba type of a SIMD pack: ``lanes`` values of the float ``dtype``."""

    def __init__(self, dtype, lanes):
        self.dtype = dtype
        self.lanes = lanes
        super().__init__(name=f"Pack({dtype} x {lanes})")


@register_model(Pack)
class _PackModel(models.PrimitiveModel):
    def __init__(self, dmm, fe_type):
        element = dmm.lookup(fe_type.dtype).get_value_type()
        super().__init__(dmm, fe_type, ir.VectorType(element, fe_type.lanes))


def _pack_of(dtype):
    """The pack type holding ``dtype`` values."""
    return Pack(dtype, lanes(dtype.bitwidth // 8))


def _is_float_array(a):
    return isinstance(a, types.Array) and isinstance(a.dtype, types.Float)


def _pointer(context, builder, aryty, ary, index, indexty):
    """Address of element ``index`` of ``ary`` counted over its flat data."""
    data = context.make_array(aryty)(context, builder, ary).data
    return builder.gep(data, [context.cast(builder, index, indexty, types.intp)])


def _splat(builder, value, vty):
    """A vector of type ``vty`` with ``value`` in every lane."""
    undef = ir.Constant(vty, ir.Undefined)
    first = builder.insert_element(undef, value, ir.Constant(ir.IntType(32), 0))
    zeros = ir.Constant(ir.VectorType(ir.IntType(32), vty.count), None)
    return builder.shuffle_vector(first, undef, zeros)


def _vector_call(builder, name, vty, args):
    """Call the overloaded LLVM intrinsic ``name`` on vectors of type ``vty``."""
    element = "f64" if isinstance(vty.element, ir.DoubleType) else "f32"
    fnty = ir.FunctionType(vty, [vty] * len(args))
    fn = cgutils.get_or_insert_function(
        builder.module, fnty, f"{name}.v{vty.count}{element}"
    )
    return builder.call(fn, args)


_I8P = ir.IntType(8).as_pointer()


#: How far ahead, at least, the register tile prefetches rows of X: whole
#: tiles, one or more. One tile ahead left X's reads exposed where a tile
#: is small; measured on a Zen 4 machine (one incremental step, n = 10^6,
#: k = 8, 2 threads, against one tile ahead): 2 KB took 0.80-0.97x at
#: d = 24-48 float32 and 0.95-0.97x at d = 32 float64; 4 KB took
#: 1.05-1.06x at d = 128 (where 2 KB is one tile, as before).
PREFETCH_MIN_BYTES = 2048


def _prefetch(builder, ptr):
    """Hint that the line at ``ptr`` (an ``i8*``) will be read soon.

    ``llvm.prefetch``: a read, kept in every cache level, of data. It never
    faults, so a hint past the end of an array is harmless.
    """
    i32 = ir.IntType(32)
    fn = cgutils.get_or_insert_function(
        builder.module,
        ir.FunctionType(ir.VoidType(), [_I8P, i32, i32, i32]),
        "llvm.prefetch.p0",
    )
    builder.call(
        fn, [ptr, ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)]
    )


#: Entries compared at once by :func:`differ_mask`: one bit each in its result.
MASK_LANES = 16


def _is_int32_vector(t):
    return (
        isinstance(t, types.Array)
        and t.ndim == 1
        and t.dtype == types.int32
        and t.layout == "C"
    )


@intrinsic
def differ_mask(typingctx, a, i, b, j):
    """Bit ``q`` set where ``a[i + q] != b[j + q]``, for ``q < MASK_LANES``.

    Signature (inside jitted code)::

        differ_mask(a, i, b, j) -> int64

    ``a`` and ``b`` are 1-D int32 arrays holding at least ``MASK_LANES``
    entries from ``i`` and ``j`` (not checked). One vector compare: where
    few entries differ, a caller skips the equal ones without a branch per
    entry.
    """
    if not (_is_int32_vector(a) and _is_int32_vector(b)):
        return None
    if not (isinstance(i, types.Integer) and isinstance(j, types.Integer)):
        return None

    def codegen(context, builder, sig, args):
        vty = ir.VectorType(ir.IntType(32), MASK_LANES)

        def load(k, index):
            ptr = _pointer(context, builder, sig.args[k], args[k], args[k + 1], index)
            return builder.load(builder.bitcast(ptr, vty.as_pointer()), align=4)

        ne = builder.icmp_unsigned("!=", load(0, sig.args[1]), load(2, sig.args[3]))
        bits = builder.bitcast(ne, ir.IntType(MASK_LANES))
        return builder.zext(bits, ir.IntType(64))

    return types.int64(a, i, b, j), codegen


@intrinsic
def lowest_bit(typingctx, mask):
    """Index of the lowest set bit of the int64 ``mask`` (64 if none)."""
    if not (isinstance(mask, types.Integer) and mask.bitwidth == 64):
        return None

    def codegen(context, builder, sig, args):
        i64 = ir.IntType(64)
        fn = cgutils.get_or_insert_function(
            builder.module,
            ir.FunctionType(i64, [i64, ir.IntType(1)]),
            "llvm.cttz.i64",
        )
        return builder.call(fn, [args[0], ir.Constant(ir.IntType(1), 0)])

    return types.int64(mask), codegen


@intrinsic
def pack_lanes(typingctx, a):
    """Number of lanes of the pack of ``a``'s dtype (a compile-time constant)."""
    if not _is_float_array(a):
        return None
    lanes = _pack_of(a.dtype).lanes

    def codegen(context, builder, signature, args):
        return context.get_constant(types.intp, lanes)

    return types.intp(a), codegen


@intrinsic
def vzero(typingctx, a):
    """A pack of zeros of ``a``'s dtype."""
    if not _is_float_array(a):
        return None
    pack = _pack_of(a.dtype)

    def codegen(context, builder, signature, args):
        return ir.Constant(context.get_value_type(pack), None)

    return pack(a), codegen


@intrinsic
def vzero4(typingctx, a):
    """Four float64 zeros (the partial sums of :func:`vfold4`); ``a`` float64."""
    if not (_is_float_array(a) and a.dtype == types.float64):
        return None
    pack = Pack(types.float64, 4)

    def codegen(context, builder, signature, args):
        return ir.Constant(context.get_value_type(pack), None)

    return pack(a), codegen


@intrinsic
def vload(typingctx, a, index):
    """The pack at flat position ``index`` of the C-contiguous array ``a``."""
    if not (_is_float_array(a) and a.layout == "C"):
        return None
    if not isinstance(index, types.Integer):
        return None
    pack = _pack_of(a.dtype)

    def codegen(context, builder, signature, args):
        ptr = _pointer(
            context, builder, signature.args[0], args[0], args[1], signature.args[1]
        )
        vptr = builder.bitcast(ptr, context.get_value_type(pack).as_pointer())
        return builder.load(vptr, align=a.dtype.bitwidth // 8)

    return pack(a, index), codegen


@intrinsic
def vstore(typingctx, a, index, p):
    """Store pack ``p`` at flat position ``index`` of the C-contiguous ``a``."""
    if not (_is_float_array(a) and a.layout == "C" and isinstance(p, Pack)):
        return None
    if not (isinstance(index, types.Integer) and p.dtype == a.dtype):
        return None

    def codegen(context, builder, signature, args):
        ptr = _pointer(
            context, builder, signature.args[0], args[0], args[1], signature.args[1]
        )
        vptr = builder.bitcast(ptr, context.get_value_type(p).as_pointer())
        builder.store(args[2], vptr, align=a.dtype.bitwidth // 8)
        return context.get_dummy_value()

    return types.none(a, index, p), codegen


@intrinsic
def vsplat(typingctx, a, x):
    """A pack of ``a``'s dtype with ``x`` in every lane."""
    if not (_is_float_array(a) and x == a.dtype):
        return None
    pack = _pack_of(a.dtype)

    def codegen(context, builder, signature, args):
        return _splat(builder, args[1], context.get_value_type(pack))

    return pack(a, x), codegen


@intrinsic
def vsub(typingctx, p, q):
    """``p - q``, lane by lane."""
    if not (isinstance(p, Pack) and p == q):
        return None

    def codegen(context, builder, signature, args):
        return builder.fsub(*args)

    return p(p, q), codegen


@intrinsic
def vfma(typingctx, p, q, r):
    """``p * q + r`` with one rounding, lane by lane (``llvm.fma``)."""
    if not (isinstance(p, Pack) and p == q == r):
        return None

    def codegen(context, builder, signature, args):
        vty = context.get_value_type(p)
        return _vector_call(builder, "llvm.fma", vty, list(args))

    return p(p, q, r), codegen


@intrinsic
def vsqrt(typingctx, p):
    """Correctly rounded square root, lane by lane (``llvm.sqrt``)."""
    if not isinstance(p, Pack):
        return None

    def codegen(context, builder, signature, args):
        vty = context.get_value_type(p)
        return _vector_call(builder, "llvm.sqrt", vty, list(args))

    return p(p), codegen


@intrinsic
def vadd_into(typingctx, a, index, p):
    """``a[index : index + lanes] += p``, ``a`` float64, ``p`` widened exactly."""
    if not (_is_float_array(a) and a.layout == "C" and isinstance(p, Pack)):
        return None
    if not (isinstance(index, types.Integer) and a.dtype == types.float64):
        return None

    def codegen(context, builder, signature, args):
        wide = ir.VectorType(ir.DoubleType(), p.lanes)
        ptr = _pointer(
            context, builder, signature.args[0], args[0], args[1], signature.args[1]
        )
        vptr = builder.bitcast(ptr, wide.as_pointer())
        value = args[2]
        if p.dtype != types.float64:
            value = builder.fpext(value, wide)
        builder.store(builder.fadd(builder.load(vptr, align=8), value), vptr, align=8)
        return context.get_dummy_value()

    return types.none(a, index, p), codegen


@intrinsic
def vfold4(typingctx, acc, p):
    """Add ``p`` into the four float64 partial sums ``acc``, four lanes at a time.

    Lanes ``4 c .. 4 c + 3`` of ``p`` (widened exactly to float64) are added
    to ``acc`` for ``c = 0, 1, ...`` in turn, so partial sum ``l`` receives
    the values at positions ``l, l + 4, l + 8, ...`` in order, as in
    :func:`~segmint._kernels.silhouette._run_sum`.
    """
    if not (isinstance(acc, Pack) and acc.dtype == types.float64):
        return None
    if not (acc.lanes == 4 and isinstance(p, Pack) and p.lanes % 4 == 0):
        return None

    def codegen(context, builder, signature, args):
        total, value = args
        wide = ir.VectorType(ir.DoubleType(), 4)
        undef = ir.Constant(value.type, ir.Undefined)
        for c in range(p.lanes // 4):
            chunk = value
            if p.lanes != 4:
                idx = [4 * c + k for k in range(4)]
                mask = ir.Constant(ir.VectorType(ir.IntType(32), 4), idx)
                chunk = builder.shuffle_vector(value, undef, mask)
            if p.dtype != types.float64:
                chunk = builder.fpext(chunk, wide)
            total = builder.fadd(total, chunk)
        return total

    return acc(acc, p), codegen


def _keep_best(builder, val, b, s, lab, here):
    """One centre's value ``val`` (label ``here``) into a running best ``b``,
    second best ``s`` and label ``lab``, lane by lane; returns the new three.

    Branch-free selects; a tie with the best keeps the earlier label and
    makes the second equal to the best (the caller's rounding test then
    re-checks the row exactly).
    """
    lt = builder.fcmp_ordered("<", val, b)
    upper = builder.select(lt, b, val)  # max(b, val)
    s = builder.select(builder.fcmp_ordered("<", upper, s), upper, s)
    return builder.select(lt, val, b), s, builder.select(lt, here, lab)


def _transpose(builder, rows):
    """Transpose a square block held as ``len(rows)`` vectors of as many lanes.

    In log2(n) rounds, each swapping the off-diagonal sub-blocks of every
    pair of rows ``b`` apart: n log2(n) two-vector shuffles.
    """
    n = len(rows)
    i32 = ir.IntType(32)
    rows = list(rows)
    b = 1
    while b < n:
        lo = ir.Constant(
            ir.VectorType(i32, n), [c if c & b == 0 else n + c - b for c in range(n)]
        )
        hi = ir.Constant(
            ir.VectorType(i32, n), [c + b if c & b == 0 else n + c for c in range(n)]
        )
        for r in range(n):
            if r & b == 0:
                p, q = rows[r], rows[r + b]
                rows[r] = builder.shuffle_vector(p, q, lo)
                rows[r + b] = builder.shuffle_vector(p, q, hi)
        b *= 2
    return rows


def _nearest_types_ok(X, ct, half, best, sqn):
    """Argument types shared by :func:`nearest_rows` and :func:`nearest_lanes`."""
    if not (_is_c_matrix(X) and _is_c_matrix(ct)):
        return False
    dtype = X.dtype
    if not (ct.dtype == dtype and half.dtype == dtype and best.dtype == dtype):
        return False
    return isinstance(sqn, types.Array) and sqn.dtype == types.float64


def _nearest_rows_intrinsic(vector_bytes, n_rows, name, n_vecs=2, transpose=False):
    """:func:`nearest_rows` with vectors of ``vector_bytes`` bytes, ``n_rows``
    rows and ``n_vecs`` vectors of centres per block.

    With ``transpose``, where ``n_rows`` equals the lanes of a vector of
    X's dtype, each block's values are transposed, so
    that a lane holds one row, and the best, second best and label are kept
    per lane with no fold at the end: fewer operations when the centres fit
    in one block, more for every further block.
    """

    def nearest_rows(typingctx, X, rows, i0, m, ct, half, best, second, label, sqn):
        """Best and second-best centre of a few rows of X, by ``0.5||c||^2 - x.c``.

        Signature (inside jitted code)::

            nearest_rows(X, rows, i0, m, ct, half, best, second, label, sqn)

        ``X`` is (n, d), ``ct`` the centres negated, transposed and padded,
        (d, kp) with
        ``kp`` a multiple of the block (V vectors' worth of centres: V = 2,
        or 1 for the single-vector variant), ``half`` (kp,) holds
        ``0.5 ||c_j||^2`` (``inf`` for padding). The tile's rows are
        ``rows[i0 + r]`` for ``r < R`` (``R`` = 4 or 8 by variant); past the
        ``m`` valid entries of ``rows`` it repeats ``rows[m - 1]``. For tile
        row ``r`` it writes, at index ``i0 + r`` of the 1-D arrays ``best``,
        ``second`` and ``label`` (all of X's dtype): the smallest value of
        ``half[j] - x.c_j``, the second smallest, and the index ``j`` of the
        smallest (as a float); and at ``sqn[i0 + r]`` (float64) the row's
        ``||x||^2``, summed in X's dtype in lanes (for error bounds, which hold
        for any summation order). The four arrays need ``i0 + R`` entries.

        Each value starts from ``half[j]`` and subtracts ``x_f c_f`` by one
        fused multiply-add per feature (with ``-c_f`` from ``ct``), features
        in order, in a register tile of R rows x V vectors of centres; each lane
        keeps a running best / second-best / label over the centres it sees (in
        increasing order, so ties keep the lower index); the lanes are then
        folded pairwise, rows sharing vectors. When two lanes tie for the best, ``second == best``:
        the caller's rounding-error test sees a zero margin and re-checks the
        row exactly, so the fold's tie order never decides a label.
        """
        if not _nearest_types_ok(X, ct, half, best, sqn):
            return None
        if not (isinstance(rows, types.Array) and rows.ndim == 1):
            return None
        if not (_is_int64(rows.dtype) and _is_int64(i0) and _is_int64(m)):
            return None
        dtype = X.dtype
        width = vector_bytes // (dtype.bitwidth // 8)
        align = dtype.bitwidth // 8

        def codegen(context, builder, sig, args):
            (x_v, rows_v, pos_v, m_v, ct_v, half_v, best_v, second_v, label_v,
             sqn_v) = args  # fmt: skip
            i64 = ir.IntType(64)
            i32 = ir.IntType(32)
            xa = context.make_array(sig.args[0])(context, builder, x_v)
            ra = context.make_array(sig.args[1])(context, builder, rows_v)
            ca = context.make_array(sig.args[4])(context, builder, ct_v)
            ha = context.make_array(sig.args[5])(context, builder, half_v)
            outs = [
                context.make_array(sig.args[6 + q])(context, builder, v)
                for q, v in enumerate((best_v, second_v, label_v))
            ]
            fty = context.get_value_type(dtype)
            vty = ir.VectorType(fty, width)
            vptr = vty.as_pointer()

            def vfma(a, b, c):
                return _vector_call(builder, "llvm.fma", vty, [a, b, c])

            n_features = cgutils.unpack_tuple(builder, xa.shape, 2)[1]
            n_padded = cgutils.unpack_tuple(builder, ca.shape, 2)[1]

            def const(v):
                return ir.Constant(i64, v)

            def splat(value):
                return _splat(builder, value, vty)

            def vload(arr, idx):
                ptr = builder.bitcast(builder.gep(arr.data, [idx]), vptr)
                return builder.load(ptr, align=align)

            def less(a, b):
                return builder.fcmp_ordered("<", a, b)

            last = builder.sub(m_v, const(1))

            def clamped(at):
                # Past the m valid entries of ``rows``, its last one.
                return builder.select(builder.icmp_signed("<", at, m_v), at, last)

            first_row = builder.load(builder.gep(ra.data, [pos_v]))
            row_start = [builder.mul(first_row, n_features)]
            for r in range(1, n_rows):
                at = clamped(builder.add(pos_v, const(r)))
                row = builder.load(builder.gep(ra.data, [at]))
                row_start.append(builder.mul(row, n_features))
            # A later tile's rows, prefetched while this one is computed:
            # the first whole tile at least PREFETCH_MIN_BYTES ahead, when
            # the rows from this tile to that one are consecutive in X as
            # far as ``rows`` goes (plain Lloyd's chunks, whose rows run on
            # into the next chunk's). Rows picked here and there (the pruned
            # steps' candidates) would make the prefetch a waste, and it
            # then touches this tile.
            tile_bytes = builder.mul(n_features, const(n_rows * align))
            ahead = builder.udiv(
                builder.add(tile_bytes, const(PREFETCH_MIN_BYTES - 1)), tile_bytes
            )
            ahead_rows = builder.mul(ahead, const(n_rows))
            end_at = clamped(
                builder.add(pos_v, builder.add(ahead_rows, const(n_rows - 1)))
            )
            end_row = builder.load(builder.gep(ra.data, [end_at]))
            consecutive = builder.icmp_signed(
                "==", builder.sub(end_row, first_row), builder.sub(end_at, pos_v)
            )
            ahead_row = builder.add(first_row, ahead_rows)
            next_row = builder.select(
                consecutive, builder.mul(ahead_row, n_features), row_start[0]
            )
            next_tile = builder.bitcast(builder.gep(xa.data, [next_row]), _I8P)
            inf = ir.Constant(vty, [float("inf")] * width)
            zero = ir.Constant(vty, None)
            lane_index = ir.Constant(vty, [float(q) for q in range(width)])
            # Allocas in the entry block; LLVM promotes them to registers.
            run_best = [cgutils.alloca_once_value(builder, inf) for _ in range(n_rows)]
            run_second = [
                cgutils.alloca_once_value(builder, inf) for _ in range(n_rows)
            ]
            run_label = [
                cgutils.alloca_once_value(builder, zero) for _ in range(n_rows)
            ]
            acc = [
                [cgutils.alloca_once_value(builder, zero) for _ in range(n_vecs)]
                for _ in range(n_rows)
            ]
            transposed = transpose and n_rows == width
            run_t = [
                cgutils.alloca_once_value(builder, v)
                for v in ((inf, inf, zero) if transposed else ())
            ]
            # ||x||^2 of the tile's rows: whole vectors, then the tail, in lanes.
            sqa = context.make_array(sig.args[9])(context, builder, sqn_v)
            nrm = [cgutils.alloca_once_value(builder, zero) for _ in range(n_rows)]
            n_vec = builder.udiv(n_features, const(width))
            # Row after row: the tile's rows are then read in address order
            # (when consecutive), which the hardware prefetchers follow;
            # each row's sum is the same as in any other loop order.
            for r in range(n_rows):
                with cgutils.for_range(builder, n_vec) as vec_loop:
                    f = builder.mul(vec_loop.index, const(width))
                    xv = vload(xa, builder.add(row_start[r], f))
                    builder.store(vfma(xv, xv, builder.load(nrm[r])), nrm[r])
            tail = builder.mul(n_vec, const(width))
            with cgutils.for_range(builder, builder.sub(n_features, tail)) as tail_loop:
                f = builder.add(tail, tail_loop.index)
                for r in range(n_rows):
                    x = builder.load(
                        builder.gep(xa.data, [builder.add(row_start[r], f)])
                    )
                    # The tail goes to lane 0 of the accumulator.
                    acc_r = builder.load(nrm[r])
                    lane0 = builder.extract_element(acc_r, ir.Constant(i32, 0))
                    lane0 = builder.fma(x, x, lane0)
                    builder.store(
                        builder.insert_element(acc_r, lane0, ir.Constant(i32, 0)),
                        nrm[r],
                    )
            f64 = ir.DoubleType()
            for r in range(n_rows):
                # Halve the vector until one lane is left: lanes (q, q + w) add.
                vec = builder.load(nrm[r])
                half_width = width // 2
                while half_width >= 1:
                    spare = ir.Constant(vec.type, ir.Undefined)
                    lo = ir.Constant(
                        ir.VectorType(i32, half_width), list(range(half_width))
                    )
                    hi = ir.Constant(
                        ir.VectorType(i32, half_width),
                        list(range(half_width, 2 * half_width)),
                    )
                    vec = builder.fadd(
                        builder.shuffle_vector(vec, spare, lo),
                        builder.shuffle_vector(vec, spare, hi),
                    )
                    half_width //= 2
                total = builder.extract_element(vec, ir.Constant(i32, 0))
                if dtype == types.float32:
                    total = builder.fpext(total, f64)
                builder.store(
                    total, builder.gep(sqa.data, [builder.add(pos_v, const(r))])
                )

            n_blocks = builder.udiv(n_padded, const(n_vecs * width))
            with cgutils.for_range(builder, n_blocks) as block:
                j0 = builder.mul(block.index, const(n_vecs * width))
                # Each value starts from 0.5 ||c||^2 and the multiply-adds
                # subtract x.c from it (``ct`` holds -c): no subtraction
                # per row and vector of centres after the loop.
                hvs = [
                    vload(ha, builder.add(j0, const(h * width))) for h in range(n_vecs)
                ]
                for r in range(n_rows):
                    for h in range(n_vecs):
                        builder.store(hvs[h], acc[r][h])
                with cgutils.for_range(builder, n_features) as feature:
                    f = feature.index
                    # One line of the tile prefetched per feature: its R
                    # rows take R * d items, d features.
                    # Repeated for each block of centres, where it hits a
                    # line already fetched; emitting the first block apart
                    # would double the tile's compiled code.
                    _prefetch(
                        builder,
                        builder.gep(next_tile, [builder.mul(f, const(n_rows * align))]),
                    )
                    cbase = builder.add(builder.mul(f, n_padded), j0)
                    cs = [
                        vload(ca, builder.add(cbase, const(h * width)))
                        for h in range(n_vecs)
                    ]
                    for r in range(n_rows):
                        xr = builder.load(
                            builder.gep(xa.data, [builder.add(row_start[r], f)])
                        )
                        xr = splat(xr)
                        for h in range(n_vecs):
                            a = builder.load(acc[r][h])
                            builder.store(vfma(xr, cs[h], a), acc[r][h])
                if transposed:
                    # Rows into lanes: vector j then holds centre j0 + j of
                    # every row, and each lane keeps its row's running best,
                    # second best and label, centres in increasing order.
                    cols = [
                        val
                        for h in range(n_vecs)
                        for val in _transpose(
                            builder, [builder.load(acc[r][h]) for r in range(n_rows)]
                        )
                    ]
                    first = builder.sitofp(j0, fty)
                    b, s, lab = (builder.load(v) for v in run_t)
                    for j, val in enumerate(cols):
                        here = splat(builder.fadd(first, ir.Constant(fty, float(j))))
                        b, s, lab = _keep_best(builder, val, b, s, lab, here)
                    for v, run in zip((b, s, lab), run_t, strict=True):
                        builder.store(v, run)
                for h in range(0 if transposed else n_vecs):
                    jh = builder.add(j0, const(h * width))
                    idx = builder.fadd(splat(builder.sitofp(jh, fty)), lane_index)
                    for r in range(n_rows):
                        runs = (run_best[r], run_second[r], run_label[r])
                        new = _keep_best(
                            builder,
                            builder.load(acc[r][h]),
                            *(builder.load(v) for v in runs),
                            idx,
                        )
                        for v, run in zip(new, runs, strict=True):
                            builder.store(v, run)

            if transposed:
                # Lane r is tile row r: whole vectors to best, second, label.
                for arr, run in zip(outs, run_t, strict=True):
                    at = builder.bitcast(builder.gep(arr.data, [pos_v]), vptr)
                    builder.store(builder.load(run), at, align=align)
                return context.get_dummy_value()

            def combine(b1, s1, l1, b2, s2, l2):
                # best = min(b1, b2); second = min(s1, s2, max(b1, b2))
                lt = less(b2, b1)
                upper = builder.select(lt, b1, b2)
                s = builder.select(less(s2, s1), s2, s1)
                s = builder.select(less(upper, s), upper, s)
                return builder.select(lt, b2, b1), s, builder.select(lt, l2, l1)

            def halves(p, q, seg, first):
                # From each segment of ``seg`` lanes of p, then of q, its
                # first (or second) half: one vector of half-segments.
                half_seg = seg // 2
                idx = [
                    base + i * seg + (0 if first else half_seg) + lane
                    for base in (0, width)
                    for i in range(width // seg)
                    for lane in range(half_seg)
                ]
                mask = ir.Constant(ir.VectorType(i32, width), idx)
                return builder.shuffle_vector(p, q, mask)

            # Fold the rows' lanes together, transposed: pairs of rows share
            # a vector (each row on half the lanes, then a quarter, ...), so
            # R rows take R - 1 merges across rows plus log2(lanes / R)
            # within the last vector, not R log2(lanes). Each merge is
            # exact on values (min, second smallest of the union); ties in
            # the best value go to the exact re-check (second == best).
            tiles = [
                (
                    [
                        builder.load(v)
                        for v in (run_best[r], run_second[r], run_label[r])
                    ],
                    [r],
                )
                for r in range(n_rows)
            ]
            seg = width
            while seg > 1:
                if len(tiles) > 1:
                    pairs = [(tiles[q], tiles[q + 1]) for q in range(0, len(tiles), 2)]
                else:
                    pairs = [(tiles[0], tiles[0])]
                merged = []
                for (p, order_p), (q, order_q) in pairs:
                    lo = [halves(x, y, seg, True) for x, y in zip(p, q, strict=True)]
                    hi = [halves(x, y, seg, False) for x, y in zip(p, q, strict=True)]
                    order = order_p + order_q if len(tiles) > 1 else order_p
                    merged.append((list(combine(*lo, *hi)), order))
                tiles = merged
                seg //= 2
            # One lane per row now: row order[i] of a vector sits in lane i.
            for vecs, order in tiles:
                for lane, r in enumerate(order):
                    at = builder.add(pos_v, const(r))
                    for arr, vec in zip(outs, vecs, strict=True):
                        builder.store(
                            builder.extract_element(vec, ir.Constant(i32, lane)),
                            builder.gep(arr.data, [at]),
                        )
            return context.get_dummy_value()

        sig = types.none(X, rows, i0, m, ct, half, best, second, label, sqn)
        return sig, codegen

    nearest_rows.__name__ = nearest_rows.__qualname__ = name
    return intrinsic(nearest_rows)


#: Best and second-best centre of four rows (see the docstring of its body).
nearest_rows = _nearest_rows_intrinsic(VECTOR_BYTES, 4, "nearest_rows")

#: The same for eight rows: twice the accumulators, each loaded vector of
#: centres used by twice the rows, for wide X (see ``TILE8_MIN_FEATURES`` in
#: ``assign.py``).
nearest_rows8 = _nearest_rows_intrinsic(VECTOR_BYTES, 8, "nearest_rows8")

#: The four-row tile with 32-byte vectors: a tile of half the centres, for
#: few centres on a machine with 64-byte vectors (less padding to fold).
nearest_rows_narrow = _nearest_rows_intrinsic(
    32, 4, "nearest_rows_narrow", transpose=True
)

#: Eight rows against one 32-byte vector of centres: for at most 8 float32
#: centres, which the narrow tile would pad to 16 (half its multiply-adds
#: wasted).
nearest_rows_single = _nearest_rows_intrinsic(
    32, 8, "nearest_rows_single", 1, transpose=True
)

#: Centres in one block of :func:`nearest_rows_single`, by item size; used
#: only where it is a multiple of ``LANES_CENTRES`` (float32).
SINGLE_BLOCK_BYTES = 32


#: Centres per block of :func:`nearest_lanes` (one accumulator vector each).
LANES_CENTRES = 8

#: Up to this many features :func:`nearest_lanes` takes two vectors' worth
#: of rows at a time, with blocks of half as many centres: each centre value
#: loaded serves both, and the two compare-select chains are independent.
#: Measured (n = 10^5, one Lloyd step): 0.83-0.9x the time at d = 2 and
#: k >= 64, 0.92-0.97x at d = 3-4; slower from d = 5 on.
LANES_PAIR_MAX_FEATURES = 4

#: How many calls ahead :func:`nearest_lanes` prefetches its rows. Measured
#: on a Zen 4 machine (one thread, X from memory against X in cache): with
#: d = 8, k = 8 float32 a row took 9.05 ns from memory and 4.7 ns in cache
#: without it, 4.4-4.6 ns with it at 2, 4 or 8 calls ahead.
LANES_PREFETCH_CALLS = 4


#: Above this many features :func:`nearest_lanes` loads each row on its own
#: and transposes square blocks (n log2 n shuffles for n lanes). Up to it
#: (two vectors' worth of rows a call, ``LANES_PAIR_MAX_FEATURES``) one
#: block of rows is split into features by shuffles, which the compiler
#: does in a few steps for such short rows; for longer ones (d = 12, say)
#: it took twice the time of the whole search against 16 centres.
LANES_TRANSPOSE_FROM = 4


@register_jitable
def lanes_groups(n_features):
    """Vectors' worth of rows :func:`nearest_lanes` takes per call.

    Plain Python at typing time and callable from jitted code, so the
    kernel and its caller share one rule.
    """
    return 2 if n_features <= LANES_PAIR_MAX_FEATURES else 1


@intrinsic
def nearest_lanes(
    typingctx,
    X,
    first,
    valid,
    n_features,
    ct,
    half,
    pos,
    best,
    second,
    label,
    sqn,
    bound,
):
    """Best and second-best centre of a run of consecutive rows, rows in lanes.

    Signature (inside jitted code)::

        nearest_lanes(X, first, valid, n_features, ct, half, pos,
                      best, second, label, sqn, bound) -> int64

    The transposed layout of :func:`nearest_rows`, for few features and
    centres: one vector holds one feature of ``lanes`` consecutive rows
    (up to ``LANES_TRANSPOSE_FROM`` features loaded as one block and split
    into features by shuffles, above it each row loaded on its own and
    square blocks transposed); ``n_features``
    must be a compile-time constant (the caller branches on X's width). A
    call takes ``G = lanes_groups(n_features)`` such vectors' worth of rows
    (rows ``first`` to ``first + valid - 1``; ``valid <= G * lanes``, the
    missing lanes read as zeros). Each centre of a block of
    ``LANES_CENTRES // G`` keeps its own accumulator per vector, so the best
    and second-best values are updated lane by lane, centres in increasing
    order: there is no fold across lanes, and no padding lanes when there
    are fewer centres than a tile row.

    Every lane computes ``half[j] - x.c_j`` from ``half[j]``, one fused
    multiply-add per feature in order (``ct`` holds ``-c``), the same
    operations as :func:`nearest_rows`, so both give
    the same bits for ``best`` and ``second``; ``ct`` (d, kp) must have ``kp``
    a multiple of ``LANES_CENTRES`` (padding centres have ``half = inf``).
    Writes ``G * lanes`` entries from index ``pos`` of ``best``, ``second``,
    ``label`` (X's dtype) and ``sqn`` (float64: ``||x||^2`` summed in X's
    dtype, for error bounds).

    Returns how many of the ``valid`` rows are close calls by the rounding
    test of the caller: ``bound = (g, e0, e1)``, float64, and row ``i``
    counts unless ``(second - best) - 2 (e0 + e1 (sqn (1 + g))) > 0``, in
    float64 in that order (``_settled`` in ``assign.py``, the same
    operations lane by lane, so the same decisions). Counting here, on
    values still in registers, spares a pass over the four arrays.
    """
    if not _nearest_types_ok(X, ct, half, best, sqn):
        return None
    if not isinstance(n_features, types.IntegerLiteral):
        return None
    if not all(_is_int64(t) for t in (first, valid, pos)):
        return None
    if not (
        isinstance(bound, types.UniTuple)
        and bound.count == 3
        and bound.dtype == types.float64
    ):
        return None
    dtype = X.dtype
    d = n_features.literal_value
    width = lanes(dtype.bitwidth // 8)
    align = dtype.bitwidth // 8
    n_groups = lanes_groups(d)
    kb = LANES_CENTRES // n_groups

    def codegen(context, builder, sig, args):
        (x_v, first_v, valid_v, _, ct_v, half_v, pos_v, best_v, second_v, label_v,
         sqn_v, bound_v) = args  # fmt: skip
        i64 = ir.IntType(64)
        i32 = ir.IntType(32)
        xa = context.make_array(sig.args[0])(context, builder, x_v)
        ca = context.make_array(sig.args[4])(context, builder, ct_v)
        ha = context.make_array(sig.args[5])(context, builder, half_v)
        outs = [
            context.make_array(sig.args[7 + q])(context, builder, v)
            for q, v in enumerate((best_v, second_v, label_v))
        ]
        sqa = context.make_array(sig.args[10])(context, builder, sqn_v)
        fty = context.get_value_type(dtype)
        vty = ir.VectorType(fty, width)
        wide = ir.VectorType(fty, width * d)
        n_padded = cgutils.unpack_tuple(builder, ca.shape, 2)[1]

        def const(v):
            return ir.Constant(i64, v)

        def vfma(a, b, c):
            return _vector_call(builder, "llvm.fma", vty, [a, b, c])

        element = "f64" if dtype == types.float64 else "f32"
        load = cgutils.get_or_insert_function(
            builder.module,
            ir.FunctionType(
                wide,
                [wide.as_pointer(), i32, ir.VectorType(ir.IntType(1), width * d), wide],
            ),
            f"llvm.masked.load.v{width * d}{element}.p0",
        )
        index = ir.Constant(ir.VectorType(i64, width * d), list(range(width * d)))
        spare = ir.Constant(wide, ir.Undefined)
        zero = ir.Constant(vty, None)

        row_load = cgutils.get_or_insert_function(
            builder.module,
            ir.FunctionType(
                vty, [vty.as_pointer(), i32, ir.VectorType(ir.IntType(1), width), vty]
            ),
            f"llvm.masked.load.v{width}{element}.p0",
        )
        no_lanes = ir.Constant(ir.VectorType(ir.IntType(1), width), [0] * width)

        def load_rows_transposed(g):
            # Each row of the group into vectors of its own (a masked load
            # of its features, zeros past them and for rows past the run),
            # then square blocks transposed: one vector per feature.
            rows = []
            for r in range(width):
                row = builder.add(first_v, const(g * width + r))
                inside = builder.icmp_signed("<", const(g * width + r), valid_v)
                at = builder.gep(xa.data, [builder.mul(row, const(d))])
                vecs = []
                for v in range(-(-d // width)):
                    count = min(width, d - v * width)
                    lanes_mask = ir.Constant(
                        ir.VectorType(ir.IntType(1), width),
                        [int(q < count) for q in range(width)],
                    )
                    mask = builder.select(inside, lanes_mask, no_lanes)
                    ptr = builder.bitcast(
                        builder.gep(at, [const(v * width)]), vty.as_pointer()
                    )
                    vecs.append(
                        builder.call(
                            row_load, [ptr, ir.Constant(i32, align), mask, zero]
                        )
                    )
                rows.append(vecs)
            features = []
            for v in range(len(rows[0])):
                block = _transpose(builder, [vecs[v] for vecs in rows])
                features.extend(block[: min(width, d - v * width)])
            return features

        def load_rows(g):
            if d > LANES_TRANSPOSE_FROM:
                return load_rows_transposed(g)
            # Group g's rows as one block (a plain load, or a masked one for
            # a short last run: nothing past the rows is read), then one
            # vector per feature.
            start = builder.add(first_v, const(g * width))
            have = builder.sub(valid_v, const(g * width))
            have = builder.select(
                builder.icmp_signed("<", have, const(0)), const(0), have
            )
            ptr = builder.bitcast(
                builder.gep(xa.data, [builder.mul(start, const(d))]),
                wide.as_pointer(),
            )
            limit = _splat(
                builder, builder.mul(have, const(d)), ir.VectorType(i64, width * d)
            )
            mask = builder.icmp_signed("<", index, limit)
            full = builder.icmp_signed(">=", have, const(width))
            with builder.if_else(full) as (whole, part):
                with whole:
                    block_whole = builder.load(ptr, align=align)
                    from_whole = builder.block
                with part:
                    block_part = builder.call(
                        load,
                        [ptr, ir.Constant(i32, align), mask, ir.Constant(wide, None)],
                    )
                    from_part = builder.block
            block = builder.phi(wide)
            block.add_incoming(block_whole, from_whole)
            block.add_incoming(block_part, from_part)
            return [
                builder.shuffle_vector(
                    block,
                    spare,
                    ir.Constant(
                        ir.VectorType(i32, width), [r * d + f for r in range(width)]
                    ),
                )
                for f in range(d)
            ]

        # Prefetch the rows LANES_PREFETCH_CALLS calls ahead, a line at a
        # time: hardware prefetchers generally stop at 4 KB boundaries, and with
        # few features a call's work is too short to hide the miss.
        ahead_row = builder.add(first_v, const(LANES_PREFETCH_CALLS * n_groups * width))
        ahead_at = builder.bitcast(
            builder.gep(xa.data, [builder.mul(ahead_row, const(d))]), _I8P
        )
        for line in range(-(-n_groups * width * d * align // 64)):
            _prefetch(builder, builder.gep(ahead_at, [const(64 * line)]))
        xs = [load_rows(g) for g in range(n_groups)]
        inf = ir.Constant(vty, [float("inf")] * width)
        runs = [
            [cgutils.alloca_once_value(builder, v) for v in (inf, inf, zero)]
            for _ in range(n_groups)
        ]
        n_blocks = builder.udiv(n_padded, const(kb))
        with cgutils.for_range(builder, n_blocks) as loop:
            j0 = builder.mul(loop.index, const(kb))
            hs = [
                _splat(
                    builder,
                    builder.load(builder.gep(ha.data, [builder.add(j0, const(j))])),
                    vty,
                )
                for j in range(kb)
            ]
            # From 0.5 ||c||^2, subtracting x.c (``ct`` holds -c), as the tile.
            acc = [list(hs) for _ in range(n_groups)]
            for f in range(d):
                base = builder.add(builder.mul(const(f), n_padded), j0)
                for j in range(kb):
                    c = builder.load(
                        builder.gep(ca.data, [builder.add(base, const(j))])
                    )
                    cv = _splat(builder, c, vty)
                    for g in range(n_groups):
                        acc[g][j] = vfma(xs[g][f], cv, acc[g][j])
            # Labels as floats: one conversion per block, then exact adds
            # (labels are integers far below 2**24).
            first_label = _splat(builder, builder.sitofp(j0, fty), vty)
            heres = [
                builder.fadd(first_label, ir.Constant(vty, [float(j)] * width))
                for j in range(kb)
            ]
            for g in range(n_groups):
                b, s, lab = (builder.load(r) for r in runs[g])
                for j in range(kb):
                    b, s, lab = _keep_best(builder, acc[g][j], b, s, lab, heres[j])
                for r, v in zip(runs[g], (b, s, lab), strict=True):
                    builder.store(v, r)

        norms = ir.VectorType(ir.DoubleType(), width)
        one_g, e0, e1 = (
            _splat(builder, v, norms) for v in cgutils.unpack_tuple(builder, bound_v, 3)
        )
        one_g = builder.fadd(ir.Constant(norms, [1.0] * width), one_g)
        lane_rows = ir.Constant(ir.VectorType(i64, width), list(range(width)))
        n_valid = _splat(builder, valid_v, ir.VectorType(i64, width))
        ctpop = cgutils.get_or_insert_function(
            builder.module,
            ir.FunctionType(ir.IntType(width), [ir.IntType(width)]),
            f"llvm.ctpop.i{width}",
        )
        close = ir.Constant(i64, 0)
        for g in range(n_groups):
            at_pos = builder.add(pos_v, const(g * width))
            for arr, r in zip(outs, runs[g], strict=True):
                at = builder.bitcast(builder.gep(arr.data, [at_pos]), vty.as_pointer())
                builder.store(builder.load(r), at, align=align)
            norm = zero
            for f in range(d):
                norm = vfma(xs[g][f], xs[g][f], norm)
            if dtype == types.float32:
                norm = builder.fpext(norm, norms)
            at = builder.bitcast(builder.gep(sqa.data, [at_pos]), norms.as_pointer())
            builder.store(norm, at, align=8)
            # The rounding test of every lane, in float64 (see docstring).
            b, s = (builder.load(r) for r in runs[g][:2])
            if dtype == types.float32:
                b, s = builder.fpext(b, norms), builder.fpext(s, norms)
            err = builder.fadd(e0, builder.fmul(e1, builder.fmul(norm, one_g)))
            gap = builder.fsub(
                builder.fsub(s, b), builder.fmul(ir.Constant(norms, [2.0] * width), err)
            )
            settled = builder.fcmp_ordered(">", gap, ir.Constant(norms, None))
            inside = builder.icmp_signed(
                "<",
                builder.add(
                    lane_rows, ir.Constant(lane_rows.type, [g * width] * width)
                ),
                n_valid,
            )
            flagged = builder.and_(builder.not_(settled), inside)
            count = builder.call(ctpop, [builder.bitcast(flagged, ir.IntType(width))])
            close = builder.add(close, builder.zext(count, i64))
        return close

    sig = types.int64(
        X, first, valid, n_features, ct, half, pos, best, second, label, sqn, bound
    )
    return sig, codegen


def _emit_row_distance(builder, n_features, x, x_dtype, c, c_dtype, sums=None, w=None):
    """Emit ``sum_f (x_f - c_f)^2`` in float64; optionally ``sums += w * x``.

    ``x`` and ``c`` are element pointers to the two rows (dtypes ``x_dtype``
    and ``c_dtype``), ``sums`` a float64 element pointer. Four lanes, lane
    ``q`` taking the features ``f = q (mod 4)`` in order, the tail past the
    last multiple of four going to lane 0, combined as ``(s0 + s1) + (s2 +
    s3)``; separate multiplies and adds. Returns the float64 value.
    """
    i64 = ir.IntType(64)
    i32 = ir.IntType(32)
    f64 = ir.DoubleType()
    v4 = ir.VectorType(f64, 4)

    def load4(ptr, dtype, f):
        vty = ir.VectorType(ptr.type.pointee, 4)
        vec_ptr = builder.bitcast(builder.gep(ptr, [f]), vty.as_pointer())
        vec = builder.load(vec_ptr, align=dtype.bitwidth // 8)
        return builder.fpext(vec, v4) if dtype == types.float32 else vec

    def load1(ptr, dtype, f):
        value = builder.load(builder.gep(ptr, [f]))
        return builder.fpext(value, f64) if dtype == types.float32 else value

    if w is not None:
        wv = _splat(builder, w, v4)
    acc = cgutils.alloca_once_value(builder, ir.Constant(v4, None))
    n_quads = builder.udiv(n_features, ir.Constant(i64, 4))
    with cgutils.for_range(builder, n_quads) as quad:
        f = builder.mul(quad.index, ir.Constant(i64, 4))
        xv = load4(x, x_dtype, f)
        if sums is not None:
            sp = builder.bitcast(builder.gep(sums, [f]), v4.as_pointer())
            updated = builder.fadd(builder.load(sp, align=8), builder.fmul(wv, xv))
            builder.store(updated, sp, align=8)
        t = builder.fsub(xv, load4(c, c_dtype, f))
        builder.store(builder.fadd(builder.load(acc), builder.fmul(t, t)), acc)
    lanes_ = builder.load(acc)
    parts = [builder.extract_element(lanes_, ir.Constant(i32, q)) for q in range(4)]
    s0 = cgutils.alloca_once_value(builder, parts[0])
    tail_start = builder.mul(n_quads, ir.Constant(i64, 4))
    with cgutils.for_range(builder, builder.sub(n_features, tail_start)) as tail:
        f = builder.add(tail_start, tail.index)
        xf = load1(x, x_dtype, f)
        if sums is not None:
            sptr = builder.gep(sums, [f])
            builder.store(builder.fadd(builder.load(sptr), builder.fmul(w, xf)), sptr)
        t = builder.fsub(xf, load1(c, c_dtype, f))
        builder.store(builder.fadd(builder.load(s0), builder.fmul(t, t)), s0)
    return builder.fadd(
        builder.fadd(builder.load(s0), parts[1]), builder.fadd(parts[2], parts[3])
    )


def _row_pointer(context, builder, array_type, array_value, index, index_type):
    """Pointer to row ``index`` of a C-contiguous matrix, and its row length."""
    arr = context.make_array(array_type)(context, builder, array_value)
    n_features = cgutils.unpack_tuple(builder, arr.shape, 2)[1]
    row = context.cast(builder, index, index_type, types.intp)
    return builder.gep(arr.data, [builder.mul(row, n_features)]), n_features


@intrinsic
def sq_dist(typingctx, X, i, centers, j):
    """``||X[i] - centers[j]||^2`` in float64 (order: :func:`add_row`).

    Signature (inside jitted code)::

        sq_dist(X, i, centers, j) -> float64
    """
    if not (
        _is_c_matrix(X)
        and _is_c_matrix(centers)
        and isinstance(i, types.Integer)
        and isinstance(j, types.Integer)
    ):
        return None

    def codegen(context, builder, sig, args):
        x_ptr, n_features = _row_pointer(
            context, builder, sig.args[0], args[0], args[1], sig.args[1]
        )
        c_ptr, _ = _row_pointer(
            context, builder, sig.args[2], args[2], args[3], sig.args[3]
        )
        return _emit_row_distance(
            builder, n_features, x_ptr, sig.args[0].dtype, c_ptr, sig.args[2].dtype
        )

    return types.float64(X, i, centers, j), codegen


@intrinsic
def add_row(typingctx, X, i, w, centers64, lab, sums):
    """``sums[lab] += w * X[i]``; returns ``w * ||X[i] - centers64[lab]||^2``.

    Signature (inside jitted code)::

        add_row(X, i, w, centers64, lab, sums) -> float64

    Everything in float64 (a float32 row is widened exactly). The distance
    is summed in four lanes, lane ``q`` taking the features ``f = q (mod
    4)`` in order (the tail past the last multiple of four goes to lane 0),
    and the lanes are combined as ``(s0 + s1) + (s2 + s3)``; separate
    multiplies and adds, as in a scalar loop with four partial sums. So the
    result is fixed by the data alone, whatever the machine's vector width.
    """
    if not (
        _is_c_matrix(X)
        and _is_c_matrix(centers64, (types.float64,))
        and _is_c_matrix(sums, (types.float64,))
        and isinstance(i, types.Integer)
        and isinstance(lab, types.Integer)
        and w == types.float64
    ):
        return None

    def codegen(context, builder, sig, args):
        x_v, i_v, w_v, c_v, lab_v, s_v = args
        x_ptr, n_features = _row_pointer(
            context, builder, sig.args[0], x_v, i_v, sig.args[1]
        )
        c_ptr, _ = _row_pointer(context, builder, sig.args[3], c_v, lab_v, sig.args[4])
        s_ptr, _ = _row_pointer(context, builder, sig.args[5], s_v, lab_v, sig.args[4])
        dist = _emit_row_distance(
            builder,
            n_features,
            x_ptr,
            sig.args[0].dtype,
            c_ptr,
            types.float64,
            sums=s_ptr,
            w=w_v,
        )
        return builder.fmul(w_v, dist)

    return types.float64(X, i, w, centers64, lab, sums), codegen


#: Candidate centres handled together by :func:`seed_rows`.
SEED_BLOCK = 8


@intrinsic
def seed_rows(typingctx, X, start, end, ct, col, pending, closest, w, pot):
    """k-means++ distances of rows ``start:end`` to a block of candidates.

    Signature (inside jitted code)::

        seed_rows(X, start, end, ct, col, pending, closest, w, pot)

    ``ct`` holds candidate centres transposed, (d, kp), of X's dtype;
    the block is columns ``col .. col + SEED_BLOCK - 1``. For every row
    ``i`` in order, ``dist_j = sum_f (X[i, f] - ct[f, col + j])^2`` is
    accumulated in X's dtype with fused multiply-adds, features in order
    (bit for bit the scalar loop ``s = fma(u, u, s)``). If ``pending >= 0``,
    the candidate in lane ``pending`` of the block is folded into the
    nearest distances first: ``closest[i] = dist_pending`` where it is
    smaller. Then, for every lane ``j``, ``pot[col + j] += float64(w[i]) *
    float64(min(closest[i], dist_j))``, one row after another, so each
    potential is a plain serial sum over the rows.

    The register tile is 4 rows x SEED_BLOCK candidates; the rows are read
    in place (no transposed copy of X), one broadcast per row and feature.
    """
    if not (_is_c_matrix(X) and _is_c_matrix(ct) and ct.dtype == X.dtype):
        return None
    if not all(_is_int64(t) for t in (start, end, col, pending)):
        return None
    for a in (closest, w):
        if not (isinstance(a, types.Array) and a.ndim == 1 and a.layout == "C"):
            return None
        if a.dtype != X.dtype:
            return None
    if not (
        isinstance(pot, types.Array)
        and pot.ndim == 1
        and pot.layout == "C"
        and pot.dtype == types.float64
    ):
        return None
    dtype = X.dtype
    width = min(lanes(dtype.bitwidth // 8), SEED_BLOCK)
    n_vec = SEED_BLOCK // width
    align = dtype.bitwidth // 8

    def codegen(context, builder, sig, args):
        x_v, start_v, end_v, ct_v, col_v, pend_v, cl_v, w_v, pot_v = args
        i64 = ir.IntType(64)
        i32 = ir.IntType(32)
        f64 = ir.DoubleType()
        v4d = ir.VectorType(f64, 4)
        xa = context.make_array(sig.args[0])(context, builder, x_v)
        ca = context.make_array(sig.args[3])(context, builder, ct_v)
        cla = context.make_array(sig.args[6])(context, builder, cl_v)
        wa = context.make_array(sig.args[7])(context, builder, w_v)
        pa = context.make_array(sig.args[8])(context, builder, pot_v)
        fty = context.get_value_type(dtype)
        vty = ir.VectorType(fty, width)
        n_features = cgutils.unpack_tuple(builder, xa.shape, 2)[1]
        n_padded = cgutils.unpack_tuple(builder, ca.shape, 2)[1]
        zero = ir.Constant(vty, None)

        def const(v):
            return ir.Constant(i64, v)

        def vload(ptr_base, idx, ty, al):
            ptr = builder.bitcast(builder.gep(ptr_base, [idx]), ty.as_pointer())
            return builder.load(ptr, align=al)

        # The pending lane, clamped so the extraction is defined when unused.
        has_pending = builder.icmp_signed(">=", pend_v, const(0))
        lane = builder.select(has_pending, pend_v, const(0))
        pend_vec = builder.udiv(lane, const(width))
        pend_lane = builder.trunc(builder.urem(lane, const(width)), i32)

        pot_ptrs = [
            builder.bitcast(
                builder.gep(pa.data, [builder.add(col_v, const(4 * h))]),
                v4d.as_pointer(),
            )
            for h in range(SEED_BLOCK // 4)
        ]
        pacc = [
            cgutils.alloca_once_value(builder, builder.load(p, align=8))
            for p in pot_ptrs
        ]
        acc = [
            [cgutils.alloca_once_value(builder, zero) for _ in range(n_vec)]
            for _ in range(ROWS)
        ]

        def emit_rows(row, n_rows):
            row_start = [
                builder.mul(builder.add(row, const(r)), n_features)
                for r in range(n_rows)
            ]
            for r in range(n_rows):
                for v in range(n_vec):
                    builder.store(zero, acc[r][v])
            with cgutils.for_range(builder, n_features) as feature:
                f = feature.index
                cbase = builder.add(builder.mul(f, n_padded), col_v)
                cv = [
                    vload(ca.data, builder.add(cbase, const(v * width)), vty, align)
                    for v in range(n_vec)
                ]
                for r in range(n_rows):
                    x = builder.load(
                        builder.gep(xa.data, [builder.add(row_start[r], f)])
                    )
                    xs = _splat(builder, x, vty)
                    for v in range(n_vec):
                        u = builder.fsub(xs, cv[v])
                        a = builder.load(acc[r][v])
                        builder.store(
                            _vector_call(builder, "llvm.fma", vty, [u, u, a]),
                            acc[r][v],
                        )
            for r in range(n_rows):
                i = builder.add(row, const(r))
                dists = [builder.load(acc[r][v]) for v in range(n_vec)]
                pick = dists[0]
                for v in range(1, n_vec):
                    pick = builder.select(
                        builder.icmp_unsigned("==", pend_vec, const(v)), dists[v], pick
                    )
                dp = builder.extract_element(pick, pend_lane)
                cl_ptr = builder.gep(cla.data, [i])
                cl = builder.load(cl_ptr)
                fold = builder.and_(has_pending, builder.fcmp_ordered("<", dp, cl))
                near = builder.select(fold, dp, cl)
                builder.store(near, cl_ptr)
                ns = _splat(builder, near, vty)
                wi = builder.load(builder.gep(wa.data, [i]))
                if dtype == types.float32:
                    wi = builder.fpext(wi, f64)
                ws = _splat(builder, wi, v4d)
                quads = []
                for v in range(n_vec):
                    # min(near, dist): near where it is smaller.
                    m = builder.select(
                        builder.fcmp_ordered("<", ns, dists[v]), ns, dists[v]
                    )
                    if width == 4:
                        quads.append(m)
                    else:
                        spare = ir.Constant(vty, ir.Undefined)
                        for h in range(width // 4):
                            mask = ir.Constant(
                                ir.VectorType(i32, 4), [4 * h + k for k in range(4)]
                            )
                            quads.append(
                                builder.fpext(
                                    builder.shuffle_vector(m, spare, mask), v4d
                                )
                            )
                for h, q in enumerate(quads):
                    total = builder.fadd(builder.load(pacc[h]), builder.fmul(ws, q))
                    builder.store(total, pacc[h])

        n_rows = builder.sub(end_v, start_v)
        n_groups = builder.sdiv(n_rows, const(ROWS))
        with cgutils.for_range(builder, n_groups) as group:
            emit_rows(builder.add(start_v, builder.mul(group.index, const(ROWS))), ROWS)
        tail = builder.add(start_v, builder.mul(n_groups, const(ROWS)))
        with cgutils.for_range(builder, builder.sub(end_v, tail)) as one:
            emit_rows(builder.add(tail, one.index), 1)
        for p, a in zip(pot_ptrs, pacc, strict=True):
            builder.store(builder.load(a), p, align=8)
        return context.get_dummy_value()

    sig = types.none(X, start, end, ct, col, pending, closest, w, pot)
    return sig, codegen
