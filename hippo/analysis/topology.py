"""Topology of population activity: persistent homology and Betti numbers.

Population vectors (one point per time step, one coordinate per cell) of a ring
attractor lie on a ring: Betti numbers ``(b0, b1, b2) = (1, 1, 0)``; a torus has
``(1, 2, 1)``. :func:`persistent_homology` computes the Vietoris–Rips persistence
diagrams (Euclidean distances, coefficients in Z/2, with ``ripser``) of a random subsample
of ``n_points`` points and counts the bars that stand out:

- dimensions ``k ≥ 1`` (loops, voids): a bar counts when its lifetime (death − birth)
  exceeds ``margin`` times the longest loop or void (any dimension ``1 … max_dim``) of
  ``n_shuffles`` shuffled clouds, in which every coordinate (cell) is permuted
  independently across points. The shuffle keeps each cell's distribution of rates and
  destroys their joint structure. (Shuffled clouds rarely hold voids at all, so the
  voids of the data are held to the loops' threshold.)
- dimension 0 (connected components): a shuffle keeps clusters that show in single
  coordinates, so it cannot serve as reference. The single-linkage tree of the cloud
  (whose merge heights are the H0 deaths) is used instead: a merge is *large* when both
  merging clusters hold at least ``min_component_fraction`` of the points, *small*
  otherwise (a stray point or a few joining a cluster). The sampling gaps of the cloud
  show in its small merges, so ``b0`` is 1 plus the number of large merges at heights
  above ``margin`` times the highest small merge. Lone outliers never count as
  components.

The cost grows steeply with the number of points and the top dimension (H2 of 300 points
takes seconds, H1 a fraction of a second), so the cloud is subsampled.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.cluster.hierarchy import linkage

from hippo.errors import HippoError



@dataclass(frozen=True)
class Persistence:
    """Persistence diagrams and Betti numbers of a point cloud.

    Attributes:
        diagrams: per dimension ``0 … max_dim``, an ``(n_bars, 2)`` array of (birth,
            death) in the units of the points (deaths ``inf`` for bars that never end).
        thresholds: ``(max_dim + 1,)`` lifetimes above which a bar counts; entry 0 is the
            merge height above which a component counts (see the module docstring).
        betti: ``(max_dim + 1,)`` Betti numbers.
        n_points: points in the subsample.
    """

    diagrams: list[np.ndarray]
    thresholds: np.ndarray
    betti: tuple[int, ...]
    n_points: int

    def metrics(self) -> dict:
        """Betti numbers and thresholds for ``metrics.json``."""
        return {"betti": list(self.betti), "thresholds": [float(x) for x in self.thresholds],
                "n_points": self.n_points}


def lifetimes(diagram: np.ndarray) -> np.ndarray:
    """Lifetimes ``death − birth`` of a diagram's bars (``inf`` for bars that never end)."""
    return diagram[:, 1] - diagram[:, 0]


def _shuffled(points: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Every column of ``points`` permuted independently."""
    return np.column_stack([rng.permutation(column) for column in points.T])


def _components(points: np.ndarray, margin: float, min_size: int) -> tuple[int, float]:
    """``(b0, height threshold)`` from the single-linkage tree of ``points`` (module docstring)."""
    tree = linkage(points, method="single")  # rows: cluster a, cluster b, height, size of the merged cluster
    sizes = np.concatenate([np.ones(len(points)), tree[:, 3]])
    large = np.minimum(sizes[tree[:, 0].astype(int)], sizes[tree[:, 1].astype(int)]) >= min_size
    threshold = margin * float(tree[~large, 2].max())  # the first merge joins two single points: always small
    return 1 + int(np.sum(large & (tree[:, 2] > threshold))), threshold


def leading_components(points: np.ndarray, n_components: int) -> np.ndarray:
    """``points`` ``(m, d)`` centred and projected onto their ``n_components`` leading principal components.

    In a code of localised fields (place cells, a bump), population vectors of distant
    positions are all about equally far apart, so the Rips complex of the raw vectors fills
    loops late and a sheet reads as holding loops; the leading components keep the
    manifold's large-scale shape (Gardner et al. 2022 kept 6 for grid-cell tori).
    """
    centred = points - points.mean(axis=0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    return centred @ components[:n_components].T


def maxmin_landmarks(points: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``n`` landmarks of ``points`` ``(m, d)`` chosen by farthest-point (max-min) sampling.

    The first landmark is drawn from ``rng``; each next one is the point farthest from
    those chosen. Landmarks cover the cloud evenly, so a sparse subsample of a 2-D sheet
    does not leave holes that read as loops (de Silva & Carlsson 2004).
    """
    chosen = [int(rng.integers(len(points)))]
    distance = np.linalg.norm(points - points[chosen[0]], axis=1)
    for _ in range(min(n, len(points)) - 1):
        chosen.append(int(np.argmax(distance)))
        distance = np.minimum(distance, np.linalg.norm(points - points[chosen[-1]], axis=1))
    return np.array(chosen)


def persistent_homology(points: np.ndarray, rng: np.random.Generator, max_dim: int = 1, n_points: int = 300,
                        n_shuffles: int = 5, margin: float = 2.0,
                        min_component_fraction: float = 0.05, subsample: str = "random") -> Persistence:
    """Vietoris–Rips persistent homology of a point cloud and its Betti numbers.

    Args:
        points: ``(n, d)`` points, e.g. population vectors (time steps × cells).
        rng: random generator for the subsample and the shuffles.
        max_dim: highest homology dimension (1: components and loops; 2 adds voids).
        n_points: points drawn without replacement (all when there are fewer).
        subsample: ``"random"`` (uniformly) or ``"maxmin"`` (:func:`maxmin_landmarks`; for
            sheets and tori sampled sparsely).
        n_shuffles: shuffled clouds that set the thresholds of dimensions ≥ 1.
        margin: how many times longer than the reference a bar (or merge height) must be.
        min_component_fraction: smallest fraction of the points a component must hold.

    Returns:
        The :class:`Persistence` of the subsample.
    """
    points = np.asarray(points, dtype=float)
    if points.ndim != 2 or len(points) < 3:
        raise HippoError(f"points must have shape (n, d) with n >= 3, got {points.shape}")
    if not np.all(np.isfinite(points)):
        raise HippoError("points must be finite")
    if max_dim < 0 or n_shuffles < 1 or margin <= 0 or not 0 < min_component_fraction <= 0.5:
        raise HippoError(f"need max_dim >= 0, n_shuffles >= 1, margin > 0 and 0 < min_component_fraction <= 0.5, "
                         f"got {max_dim}, {n_shuffles}, {margin} and {min_component_fraction}")
    from ripser import ripser  # imports scikit-learn (about 3 s): only when homology is computed

    if subsample not in ("random", "maxmin"):
        raise HippoError(f"subsample must be 'random' or 'maxmin', got {subsample!r}")
    if len(points) > n_points:
        points = points[rng.choice(len(points), n_points, replace=False) if subsample == "random"
                        else maxmin_landmarks(points, n_points, rng)]
    with warnings.catch_warnings():
        # ripser guesses that a cloud of fewer points than dimensions (a short run's few
        # population vectors of many cells) was meant transposed; hippo's are always clouds
        warnings.filterwarnings("ignore", "The input point cloud has more columns than rows", UserWarning)
        warnings.filterwarnings("ignore", "The input matrix is square, but the distance_matrix", UserWarning)
        diagrams = ripser(points, maxdim=max_dim)["dgms"]
        shuffles = [ripser(_shuffled(points, rng), maxdim=max_dim)["dgms"]
                    for _ in range(n_shuffles if max_dim >= 1 else 0)]
    thresholds = np.zeros(max_dim + 1)
    for shuffled in shuffles:
        longest = max(lifetimes(shuffled[k]).max(initial=0.0) for k in range(1, max_dim + 1))
        thresholds[1:] = np.maximum(thresholds[1:], margin * longest)
    b0, thresholds[0] = _components(points, margin, max(2, int(np.ceil(min_component_fraction * len(points)))))
    betti = (b0,) + tuple(int(np.sum(lifetimes(diagrams[k]) > thresholds[k])) for k in range(1, max_dim + 1))
    return Persistence([np.asarray(d) for d in diagrams], thresholds, betti, len(points))
