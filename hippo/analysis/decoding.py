"""Decoding position from population activity.

Three decoders share one interface: construct from the :class:`~hippo.world.gridworld.Gridworld`,
``fit(activity, position)`` on recorded activity ``(T, N)`` and true positions
``(T, dim)`` in metres, then ``predict(activity)`` returns positions ``(T, dim)`` in
metres, inside the world (wrapped on periodic worlds, clipped to the extent on solid
ones).

- :class:`TemplateDecoder`: rate map of every cell on a grid of spatial bins; each time
  step decodes to the bin whose population template correlates best with the activity.
- :class:`RidgeDecoder`: linear ridge regression onto ``cos``/``sin`` of the angle on
  periodic dimensions (plain coordinates on solid ones), then ``atan2`` back.
- :class:`KNNDecoder`: ``k`` nearest training samples in activity space; their positions
  are averaged with a circular mean on periodic dimensions.

:func:`decoding_error` measures errors in metres, the shortest way round on periodic
worlds; :func:`chance_error` gives the error of a decoder that guesses uniformly.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from hippo.errors import HippoError
from hippo.world.gridworld import Gridworld

_CHUNK = 4096  # time steps decoded at once by the template decoder (bounds memory)


# ------------------------------------------------------------------ helpers
def binned_mean(values: np.ndarray, bin_index: np.ndarray, n_bins: int) -> np.ndarray:
    """Mean of ``values`` ``(T, N)`` per bin, for ``bin_index`` ``(T,)`` in ``[0, n_bins)``.

    Returns ``(n_bins, N)``; bins that no sample falls in are NaN.
    """
    counts = np.bincount(bin_index, minlength=n_bins).astype(float)
    sums = np.stack([np.bincount(bin_index, weights=column, minlength=n_bins) for column in values.T], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / counts[:, None]


def encode_position(env: Gridworld, position: np.ndarray) -> np.ndarray:
    """Positions ``(T, dim)`` as regression targets ``(T, F)``.

    A periodic dimension of length ``L`` becomes two columns ``cos(2πx/L), sin(2πx/L)``;
    a solid dimension stays the coordinate in metres.
    """
    position = np.asarray(position, dtype=float)
    if not env.periodic:
        return position
    angle = 2 * np.pi * position / env.size
    return np.concatenate([np.cos(angle), np.sin(angle)], axis=1)


def decode_position(env: Gridworld, encoded: np.ndarray) -> np.ndarray:
    """Inverse of :func:`encode_position`: ``(T, F)`` → positions ``(T, dim)`` inside the world.

    Periodic dimensions go back through ``atan2`` (so averaging encoded positions is a
    circular mean); solid ones are clipped to ``[0, size]``.
    """
    if not env.periodic:
        return np.clip(encoded, 0.0, env.size)
    dim = env.dim
    angle = np.arctan2(encoded[:, dim:], encoded[:, :dim])
    return np.mod(angle / (2 * np.pi) * env.size, env.size)


def _check_activity(activity: np.ndarray, n_cells: int | None = None) -> np.ndarray:
    activity = np.asarray(activity, dtype=float)
    if activity.ndim != 2:
        raise HippoError(f"activity must have shape (T, N), got {activity.shape}")
    if n_cells is not None and activity.shape[1] != n_cells:
        raise HippoError(f"activity has {activity.shape[1]} cells, the decoder was fitted on {n_cells}")
    return activity


def _check_fit_inputs(env: Gridworld, activity: np.ndarray, position: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    activity = _check_activity(activity)
    position = np.asarray(position, dtype=float)
    if position.ndim == 1 and env.dim == 1:
        position = position[:, None]
    if position.shape != (len(activity), env.dim):
        raise HippoError(f"position must have shape ({len(activity)}, {env.dim}) to match activity, got {position.shape}")
    return activity, env.wrap(position)


def _require_fitted(decoder) -> None:
    if not decoder.fitted:
        raise HippoError(f"{type(decoder).__name__}.predict called before fit")


# ------------------------------------------------------------------ decoders
class TemplateDecoder:
    """Population-vector decoder: best-correlated rate-map template.

    ``fit`` bins the world into a regular grid of squares of side ``bin_size`` metres
    (default: the map's cell size) and stores every cell's mean activity per bin.
    ``predict`` decodes each time step to the centre of the occupied bin whose
    population template (the vector of all cells' rates there) has the highest Pearson
    correlation with the activity vector. Correlation ignores the overall gain of the
    population, so templates fitted in wake still match weaker or stronger generated
    activity. Bins never visited during ``fit`` (walls, unexplored space) are never
    decoded. A time step whose activity is the same in every cell carries no
    information and decodes to the first occupied bin.
    """

    def __init__(self, env: Gridworld, bin_size: float | None = None):
        self.env = env
        self.bin_size = float(bin_size if bin_size is not None else env.cell_size)
        if self.bin_size <= 0:
            raise HippoError(f"bin_size must be > 0 metres, got {self.bin_size}")
        self.n_bins = np.maximum(np.round(env.size / self.bin_size).astype(int), 1)  # bins per dimension
        self.fitted = False

    def bin_of(self, position: np.ndarray) -> np.ndarray:
        """Flat bin index ``(T,)`` of positions ``(T, dim)``."""
        edges = self.env.size / self.n_bins
        index = np.clip(np.floor(position / edges).astype(int), 0, self.n_bins - 1)
        return np.ravel_multi_index(tuple(index.T), tuple(self.n_bins))

    def bin_centres(self) -> np.ndarray:
        """Centres ``(n_bins_total, dim)`` in metres of all bins, in flat-index order."""
        widths = self.env.size / self.n_bins
        axes = [(np.arange(n) + 0.5) * w for n, w in zip(self.n_bins, widths)]
        grids = np.meshgrid(*axes, indexing="ij")
        return np.stack([g.ravel() for g in grids], axis=1)

    def fit(self, activity: np.ndarray, position: np.ndarray) -> TemplateDecoder:
        """Store the rate maps of ``activity`` ``(T, N)`` at ``position`` ``(T, dim)``."""
        activity, position = _check_fit_inputs(self.env, activity, position)
        maps = binned_mean(activity, self.bin_of(position), int(np.prod(self.n_bins)))
        occupied = ~np.isnan(maps).any(axis=1)
        self.rate_maps = maps  # (n_bins_total, N), NaN in unvisited bins
        self.centres = self.bin_centres()[occupied]
        self._templates = _standardise(maps[occupied])
        self.n_cells = activity.shape[1]
        self.fitted = True
        return self

    def predict(self, activity: np.ndarray) -> np.ndarray:
        """Decoded positions ``(T, dim)`` in metres for ``activity`` ``(T, N)``."""
        _require_fitted(self)
        activity = _check_activity(activity, self.n_cells)
        best = np.empty(len(activity), dtype=int)
        for start in range(0, len(activity), _CHUNK):
            chunk = _standardise(activity[start:start + _CHUNK])
            best[start:start + _CHUNK] = np.argmax(chunk @ self._templates.T, axis=1)
        return self.centres[best]


def _standardise(rows: np.ndarray) -> np.ndarray:
    """Rows ``(R, N)`` centred and scaled to unit norm (zero rows stay zero), so dot products are correlations."""
    centred = rows - rows.mean(axis=1, keepdims=True)
    norm = np.linalg.norm(centred, axis=1, keepdims=True)
    return np.divide(centred, norm, out=np.zeros_like(centred), where=norm > 0)


class RidgeDecoder:
    """Linear ridge regression from activity to (encoded) position.

    Targets are :func:`encode_position` (``cos``/``sin`` of the angle on periodic
    dimensions, metres on solid ones); activity and targets are centred, so the
    intercept is not penalised. ``alpha`` is the ridge penalty added to the diagonal of
    ``XᵀX`` (units of activity² × samples).
    """

    def __init__(self, env: Gridworld, alpha: float = 1.0):
        if alpha < 0:
            raise HippoError(f"alpha must be >= 0, got {alpha}")
        self.env = env
        self.alpha = float(alpha)
        self.fitted = False

    def fit(self, activity: np.ndarray, position: np.ndarray) -> RidgeDecoder:
        """Solve the ridge problem for ``activity`` ``(T, N)`` and ``position`` ``(T, dim)``."""
        activity, position = _check_fit_inputs(self.env, activity, position)
        target = encode_position(self.env, position)
        self.activity_mean = activity.mean(axis=0)
        self.target_mean = target.mean(axis=0)
        x = activity - self.activity_mean
        gram = x.T @ x + self.alpha * np.eye(x.shape[1])
        self.coef = np.linalg.solve(gram, x.T @ (target - self.target_mean))  # (N, F)
        self.fitted = True
        return self

    def predict(self, activity: np.ndarray) -> np.ndarray:
        """Decoded positions ``(T, dim)`` in metres for ``activity`` ``(T, N)``."""
        _require_fitted(self)
        activity = _check_activity(activity, len(self.activity_mean))
        encoded = (activity - self.activity_mean) @ self.coef + self.target_mean
        return decode_position(self.env, encoded)


class KNNDecoder:
    """k-nearest-neighbour regression in activity space.

    Neighbours are found with a k-d tree (Euclidean distance) in the leading
    ``n_components`` principal components of the training activity — this removes most
    independent noise and keeps the search fast for 100-dimensional activity; pass
    ``n_components=None`` to search the raw activity. The decoded position is the mean
    of the ``k`` neighbours' positions, a circular mean on periodic dimensions
    (via :func:`encode_position` / :func:`decode_position`).
    """

    def __init__(self, env: Gridworld, k: int = 10, n_components: int | None = 20):
        if k < 1:
            raise HippoError(f"k must be >= 1, got {k}")
        if n_components is not None and n_components < 1:
            raise HippoError(f"n_components must be >= 1 or None, got {n_components}")
        self.env = env
        self.k = int(k)
        self.n_components = n_components
        self.fitted = False

    def fit(self, activity: np.ndarray, position: np.ndarray) -> KNNDecoder:
        """Index ``activity`` ``(T, N)`` with its ``position`` ``(T, dim)``."""
        activity, position = _check_fit_inputs(self.env, activity, position)
        if len(activity) < self.k:
            raise HippoError(f"KNNDecoder needs at least k = {self.k} training samples, got {len(activity)}")
        self.mean = activity.mean(axis=0)
        if self.n_components is None or self.n_components >= activity.shape[1]:
            self.projection = np.eye(activity.shape[1])
        else:
            centred = activity - self.mean
            _, eigenvectors = np.linalg.eigh(centred.T @ centred)  # ascending eigenvalues
            self.projection = eigenvectors[:, ::-1][:, :self.n_components]  # (N, n_components)
        self.tree = cKDTree((activity - self.mean) @ self.projection)
        self.targets = encode_position(self.env, position)
        self.fitted = True
        return self

    def predict(self, activity: np.ndarray) -> np.ndarray:
        """Decoded positions ``(T, dim)`` in metres for ``activity`` ``(T, N)``."""
        _require_fitted(self)
        activity = _check_activity(activity, len(self.mean))
        _, neighbours = self.tree.query((activity - self.mean) @ self.projection, k=self.k, workers=-1)
        neighbours = neighbours.reshape(len(activity), self.k)
        return decode_position(self.env, self.targets[neighbours].mean(axis=1))


# ------------------------------------------------------------------ errors
def decoding_error(env: Gridworld, predicted: np.ndarray, true: np.ndarray) -> np.ndarray:
    """Distance ``(T,)`` in metres between predicted and true positions ``(T, dim)``.

    The shortest way round on periodic worlds. In 1-D, ``(T,)`` positions are accepted too.
    """
    shape = (-1, env.dim)
    return env.distance(np.reshape(predicted, shape), np.reshape(true, shape))


def chance_error(env: Gridworld, true_positions: np.ndarray | None = None, points_per_cell: int = 2) -> float:
    """Expected error in metres of a decoder that guesses uniformly over the free space.

    The true position is ``true_positions`` ``(T, dim)`` when given (the error is
    averaged over them), else uniform over the free space too. On a fully free 1-D
    periodic world of length ``L`` the answer is exactly ``L / 4`` whatever the true
    positions. Otherwise it is computed numerically by the midpoint rule: guesses (and
    true positions, when not given) are ``points_per_cell`` evenly spaced points per
    side of every free map cell.
    """
    if env.dim == 1 and env.periodic and env.free.all():
        return float(env.size[0] / 4)
    guesses = _free_space_points(env, points_per_cell)
    if true_positions is None:
        true_positions = guesses
    true_positions = np.asarray(true_positions, dtype=float).reshape(-1, env.dim)
    total = 0.0
    chunk = max(1, 2**22 // len(guesses))
    for start in range(0, len(true_positions), chunk):
        block = true_positions[start:start + chunk]
        total += env.distance(block[:, None, :], guesses[None, :, :]).sum()
    return float(total / (len(true_positions) * len(guesses)))


def _free_space_points(env: Gridworld, points_per_cell: int) -> np.ndarray:
    """Evenly spaced points ``(n_free · p^dim, dim)`` in metres covering every free cell."""
    fraction = (np.arange(points_per_cell) + 0.5) / points_per_cell - 0.5  # offsets from the cell centre, in cells
    offsets = np.stack([g.ravel() for g in np.meshgrid(*[fraction] * env.dim, indexing="ij")], axis=1)
    centres = env.cell_centres(env.free_cells)
    return (centres[:, None, :] + offsets[None, :, :] * env.cell_size).reshape(-1, env.dim)
