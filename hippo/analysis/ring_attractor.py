"""Ring-attractor analysis of a trained MEC layer on a 1-D ring.

Cells are ordered by the peak of their rate maps (:func:`hippo.analysis.spatial.rate_maps`,
:func:`order_by_peak`). In that order, a weight matrix is *aligned* (:func:`aligned`):
row ``i`` (post-synaptic cell ``i``) is rolled so that column ``i`` (its own pre-synaptic
partner) sits at the centre, and the rows are averaged into a profile
(:func:`mean_profile`) over offsets in cells (:func:`offsets`; offset ``o`` means the
pre-synaptic cell ``o`` places further along the ring). A ring attractor shows local
excitation and surround inhibition in the recurrent profile, and the two conjunctive
(velocity × MEC) blocks peak at offsets of opposite sign. :func:`ring_indices` turns
this into scalars; :func:`bump_score` and :func:`drift_m_per_s` measure the activity
bump in generative mode. :func:`ring_weights` builds an ideal ring for tests and demos.

Weight matrices are ``(post, pre)``.
"""

from __future__ import annotations

import numpy as np

from hippo.errors import HippoError
from hippo.world.gridworld import Gridworld

LOCAL_FRACTION = 0.05  # local excitation window: offsets within ±5 % of the ring
SURROUND_FRACTION = 0.2  # surround inhibition: offsets beyond ±20 % of the ring
BUMP_FRACTION = 0.1  # bump window: ±10 % of the ring around the bump's peak


# ------------------------------------------------------------------ ordering
def order_by_peak(rate_maps: np.ndarray) -> np.ndarray:
    """Cell indices ``(N,)`` sorted by the bin of each rate map's peak (NaN bins ignored)."""
    peaks = np.argmax(np.where(np.isnan(rate_maps), -np.inf, rate_maps), axis=1)
    return np.argsort(peaks, kind="stable")


# ------------------------------------------------------------------ aligned weights
def offsets(m: int) -> np.ndarray:
    """Offsets in cells ``(m,)`` of the columns of an aligned matrix: ``-(m // 2) … m - m // 2 - 1``."""
    return np.arange(m) - m // 2


def aligned(W: np.ndarray, order_post: np.ndarray, order_pre: np.ndarray | None = None) -> np.ndarray:
    """Weights ``W`` ``(N, M)`` reordered and rolled so each row's own pre cell is centred.

    Rows are reordered by ``order_post``, columns by ``order_pre`` (default
    ``order_post``). Row ``i`` is then rolled so that its own pre cell, column
    ``i · M // N`` (column ``i`` when square), lands at column ``M // 2``; column ``k`` of
    the result is the pre cell at offset ``offsets(M)[k]`` cells.
    """
    order_pre = order_post if order_pre is None else order_pre
    W = np.asarray(W, dtype=float)[np.ix_(order_post, order_pre)]
    n, m = W.shape
    own = np.arange(n) * m // n
    columns = (own[:, None] + offsets(m)[None, :]) % m
    return np.take_along_axis(W, columns, axis=1)


def mean_profile(aligned: np.ndarray) -> np.ndarray:
    """Mean over rows of an aligned matrix: ``(M,)`` weight at each offset (NaN entries ignored)."""
    return np.nanmean(aligned, axis=0)


def peak_offset(profile: np.ndarray) -> float:
    """Sub-cell offset in cells of a profile's maximum.

    The highest point and its two circular neighbours are fitted with a parabola whose
    vertex is returned (within ±0.5 cell of the highest point); a flat top returns the
    highest point itself.
    """
    k = int(np.argmax(profile))
    left, centre, right = profile[k - 1], profile[k], profile[(k + 1) % len(profile)]
    curvature = left - 2 * centre + right
    vertex = 0.5 * (left - right) / curvature if curvature < 0 else 0.0
    return float(offsets(len(profile))[k] + vertex)


def ring_indices(W_rec: np.ndarray, W_conj_plus: np.ndarray, W_conj_minus: np.ndarray, order: np.ndarray) -> dict:
    """Scalar ring-attractor indices of MEC weights, with cells in ring order ``order``.

    Args:
        W_rec: ``(N, N)`` MEC recurrent weights.
        W_conj_plus: ``(N, N)`` weights from the conjunctive cells preferring +v onto MEC;
            conjunctive cell ``j`` is paired with MEC cell ``j``, so both axes use ``order``.
        W_conj_minus: ``(N, N)`` the same for the cells preferring −v.
        order: ``(N,)`` MEC cells in ring order (e.g. :func:`order_by_peak`).

    Returns:
        ``local_excitation``: mean aligned recurrent weight at offsets within ±5 % of the
        ring (±5 cells for N = 100). The self-connection (offset 0) is included: it is the
        centre of the excitation profile and the index is defined on the whole window;
        an engine that keeps it at zero lowers the index rather than inflating it.
        ``surround_inhibition``: mean aligned recurrent weight at offsets beyond ±20 %.
        ``conj_shift_plus``, ``conj_shift_minus``: :func:`peak_offset` of each conjunctive
        block's mean aligned profile, in cells (opposite signs in a path integrator).
    """
    order = np.asarray(order)
    n = len(order)
    for name, W in (("W_rec", W_rec), ("W_conj_plus", W_conj_plus), ("W_conj_minus", W_conj_minus)):
        if np.shape(W) != (n, n):
            raise HippoError(f"{name} must have shape ({n}, {n}) to match order, got {np.shape(W)}")
    profile = mean_profile(aligned(W_rec, order))
    distance = np.abs(offsets(n))
    return {
        "local_excitation": float(profile[distance <= LOCAL_FRACTION * n].mean()),
        "surround_inhibition": float(profile[distance > SURROUND_FRACTION * n].mean()),
        "conj_shift_plus": peak_offset(mean_profile(aligned(W_conj_plus, order))),
        "conj_shift_minus": peak_offset(mean_profile(aligned(W_conj_minus, order))),
    }


# ------------------------------------------------------------------ activity bump
def bump_score(activity: np.ndarray, order: np.ndarray) -> float:
    """Fraction of population activity inside the bump, averaged over time steps.

    Cells are put in ring order; at each step the bump is the circular window of
    ``2·round(0.1·N) + 1`` cells (±10 % of the ring) holding the most activity, and the
    score is its share of the step's total. Activity ``(T, N)`` is rates; negative values
    count as zero and silent steps are skipped (0.0 if every step is silent). A uniform
    population scores about 0.21, a narrow bump close to 1.
    """
    rates = np.clip(np.asarray(activity, dtype=float)[:, order], 0.0, None)
    half = int(round(BUMP_FRACTION * rates.shape[1]))
    padded = np.concatenate([rates[:, rates.shape[1] - half:], rates, rates[:, :half]], axis=1)
    cumulative = np.concatenate([np.zeros((len(rates), 1)), np.cumsum(padded, axis=1)], axis=1)
    window = cumulative[:, 2 * half + 1:] - cumulative[:, :-(2 * half + 1)]  # (T, N): window centred on each cell
    total = rates.sum(axis=1)
    active = total > 0
    if not active.any():
        return 0.0
    return float(np.mean(window[active].max(axis=1) / total[active]))


def drift_m_per_s(decoded_positions: np.ndarray, t: np.ndarray, env: Gridworld) -> float:
    """Drift speed in m/s of a decoded bump: norm of the least-squares slope of its trajectory.

    Args:
        decoded_positions: ``(T, dim)`` (or ``(T,)`` in 1-D) positions in metres.
        t: ``(T,)`` times in seconds.
        env: the world; periodic dimensions are unwrapped first, which assumes the
            decoded position moves less than half the world between samples.
    """
    x = np.asarray(decoded_positions, dtype=float).reshape(len(t), -1)
    if env.periodic:
        x = np.unwrap(x, period=env.size, axis=0)
    slope = np.polyfit(np.asarray(t, dtype=float), x, 1)[0]
    return float(np.linalg.norm(slope))


# ------------------------------------------------------------------ ideal ring
def ring_weights(n: int, excitation_width: float, inhibition: float, shift: float = 0) -> np.ndarray:
    """Hand-built ring-attractor weights ``(n, n)``, post × pre.

    ``W[i, j] = exp(−d² / (2 · excitation_width²)) − inhibition`` with ``d`` the circular
    distance in cells from ``j`` to ``i + shift``: Gaussian local excitation of width
    ``excitation_width`` cells on a uniform inhibition. Row ``i`` peaks at column
    ``i + shift``, so the aligned profile peaks at offset ``+shift`` (what
    :func:`ring_indices` reports). In the dynamics, a bump at cell ``j`` drives cell
    ``j − shift`` hardest: a positive shift pushes the bump towards lower indices.
    """
    i = np.arange(n)
    d = (i[None, :] - i[:, None] - shift + n / 2) % n - n / 2
    return np.exp(-(d**2) / (2 * excitation_width**2)) - inhibition
