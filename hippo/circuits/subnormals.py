"""Subnormal floats: flushing them to zero around the engines' loops, and counting them.

A trace that decays geometrically while its input is silent (the plasticity-induction
trace ``P``, a momentum, a filtered spike train) falls below the smallest normal float
(``1.2e-38`` in single, ``2.2e-308`` in double precision) and then stays there: at the
smallest subnormals a step of ``P·(1 − dt/τ_P)`` rounds back to ``P``. Intel cores take a
microcode assist of about a hundred cycles for every arithmetic operation with a
subnormal operand or result, so a network whose traces are partly subnormal (16 % of the
path-integration network's traces after a few simulated minutes) runs several times
slower, and slower the longer it has run.

:func:`flushed_subnormals` sets the CPU's flush-to-zero and denormals-are-zero modes for
the calling thread while the engine's compiled loop runs, and restores the previous
modes afterwards, so numpy elsewhere in the process keeps IEEE semantics. In that mode a
result below the smallest normal float is exactly zero and a subnormal operand reads as
zero: a silent synapse's trace reaches zero after about 60 (single) or 500 (double
precision) time constants instead of sticking at a subnormal. The weights a trace moves
are unchanged by it: ``η·P`` below the smallest normal float is far below half a unit in
the last place of any weight above ``1e-30``.

The modes live in the x86-64 MXCSR register (bits FTZ and DAZ) and the AArch64 FPCR
register (bit FZ, which flushes operands and results alike); on other processors
:data:`SUPPORTED` is false and the context manager leaves the arithmetic as it is.
JAX needs none of this: XLA's CPU code already runs with subnormals flushed.
"""

from __future__ import annotations

import platform
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

_MACHINE = platform.machine().lower()
_X86 = _MACHINE in ("x86_64", "amd64")
_ARM = _MACHINE in ("aarch64", "arm64")

#: Whether this processor's flush modes are set by :func:`flushed_subnormals`.
SUPPORTED = _X86 or _ARM

#: The control-register bits that flush subnormals: MXCSR's FTZ (bit 15) and DAZ (bit 6); FPCR's FZ (bit 24).
FLUSH_BITS = (1 << 15) | (1 << 6) if _X86 else (1 << 24)


@intrinsic
def _read_control(typingctx):
    """The floating-point control register (MXCSR or FPCR) as an int64."""

    def codegen(context, builder, signature, args):
        i64 = ir.IntType(64)
        if _X86:
            slot = cgutils.alloca_once(builder, ir.IntType(32))
            store = cgutils.get_or_insert_function(
                builder.module, ir.FunctionType(ir.VoidType(), [ir.IntType(8).as_pointer()]), "llvm.x86.sse.stmxcsr")
            builder.call(store, [builder.bitcast(slot, ir.IntType(8).as_pointer())])
            return builder.zext(builder.load(slot), i64)
        read = cgutils.get_or_insert_function(builder.module, ir.FunctionType(i64, []), "llvm.aarch64.get.fpcr")
        return builder.call(read, [])

    return types.int64(), codegen


@intrinsic
def _write_control(typingctx, word):
    """Set the floating-point control register (MXCSR or FPCR) to ``word``."""

    def codegen(context, builder, signature, args):
        if _X86:
            slot = cgutils.alloca_once(builder, ir.IntType(32))
            builder.store(builder.trunc(args[0], ir.IntType(32)), slot)
            load = cgutils.get_or_insert_function(
                builder.module, ir.FunctionType(ir.VoidType(), [ir.IntType(8).as_pointer()]), "llvm.x86.sse.ldmxcsr")
            builder.call(load, [builder.bitcast(slot, ir.IntType(8).as_pointer())])
        else:
            write = cgutils.get_or_insert_function(
                builder.module, ir.FunctionType(ir.VoidType(), [ir.IntType(64)]), "llvm.aarch64.set.fpcr")
            builder.call(write, [args[0]])
        return context.get_dummy_value()

    return types.none(types.int64), codegen


@njit(cache=True)
def control_word() -> int:
    """The calling thread's floating-point control register (MXCSR on x86-64, FPCR on AArch64)."""
    return _read_control()


@njit(cache=True)
def set_control_word(word: int) -> None:
    """Set the calling thread's floating-point control register to ``word``."""
    _write_control(word)


@contextmanager
def flushed_subnormals() -> Iterator[None]:
    """Flush subnormal results and operands to zero in the calling thread for the ``with`` block, then restore.

    The previous modes come back when the block ends, an exception included. Without
    :data:`SUPPORTED` flush modes the block runs with the arithmetic unchanged.
    """
    if not SUPPORTED:
        yield
        return
    previous = control_word()
    set_control_word(previous | FLUSH_BITS)
    try:
        yield
    finally:
        set_control_word(previous)


def count_subnormals(*arrays: np.ndarray) -> int:
    """The number of subnormal entries (non-zero, below the smallest normal float of their type) in ``arrays``.

    Arrays that are not floating point count none.
    """
    total = 0
    for array in arrays:
        array = np.asarray(array)
        if np.issubdtype(array.dtype, np.floating):
            total += int(np.count_nonzero((array != 0) & (np.abs(array) < np.finfo(array.dtype).tiny)))
    return total
