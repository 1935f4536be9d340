"""The true generative model of a gridworld, in the arrays of active inference, and sampling from it.

States are the free cells (in :attr:`~hippo.world.gridworld.Gridworld.free_cells`
order); actions are :data:`~hippo.world.gridworld.ACTIONS` (stay/N/E/S/W). The arrays
follow :mod:`hippo.learning.active_inference`: ``A`` a list of ``(n_obs_m, n_states)``
likelihoods, ``B`` ``(n_states, n_states, n_actions)``, ``C`` log-preferences, ``D`` the
prior over the first state.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from hippo.errors import HippoError
from hippo.world.gridworld import ACTIONS, Gridworld, load_environment

#: Modalities :func:`gridworld_model` can build.
GRIDWORLD_MODALITIES = ("cue", "location")
#: Outcome of the cue modality on a free cell without a cue letter.
NO_CUE = "none"


def as_gridworld(env) -> Gridworld:
    """``env`` itself when it is a :class:`~hippo.world.gridworld.Gridworld`, else the environment it names."""
    if isinstance(env, Gridworld):
        return env
    if isinstance(env, (str, Path)):
        return load_environment(env)
    raise HippoError(f"env: expected a Gridworld or an environment name, got {type(env).__name__}")


def gridworld_transitions(env) -> np.ndarray:
    """``B`` of a gridworld: ``(n_free, n_free, 5)`` for the actions stay/N/E/S/W.

    A move into a wall or off a solid edge stays in place; periodic worlds wrap.

    Args:
        env: a :class:`~hippo.world.gridworld.Gridworld` or an environment name.

    Returns:
        One-hot columns ``B[s', s, a]``.
    """
    env = as_gridworld(env)
    cells = env.free_cells
    n, n_actions = len(cells), len(ACTIONS)
    targets = env.step_cell(np.repeat(cells[:, None, :], n_actions, axis=1), np.arange(n_actions)[None, :])
    next_state = env.state_index()[targets[..., 0], targets[..., 1]]
    B = np.zeros((n, n, n_actions))
    B[next_state, np.arange(n)[:, None], np.arange(n_actions)[None, :]] = 1.0
    return B


def cue_outcomes(env) -> list[str]:
    """Labels of the cue modality's outcomes: ``"none"`` (if some free cell has no cue), then the cue letters."""
    env = as_gridworld(env)
    letters = env.cue_letters
    has_blank = np.any(~np.char.isalpha(env.grid[env.free].astype(str)))
    return ([NO_CUE] if has_blank else []) + letters


def _cue_likelihood(env: Gridworld) -> np.ndarray:
    outcomes = cue_outcomes(env)
    under = env.cue_at(env.free_cells).astype(str)
    index = np.array([outcomes.index(c if c.isalpha() else NO_CUE) for c in under])
    A = np.zeros((len(outcomes), len(under)))
    A[index, np.arange(len(under))] = 1.0
    return A


def _location_likelihood(B: np.ndarray, noise: float) -> np.ndarray:
    """Reports the true cell with probability ``1 − noise``, else one of its neighbours uniformly."""
    n = B.shape[0]
    neighbours = (B.sum(axis=2) > 0) & ~np.eye(n, dtype=bool)
    counts = neighbours.sum(axis=0)
    spread = np.divide(neighbours, counts, out=np.zeros((n, n)), where=counts > 0)
    keep = np.where(counts > 0, 1.0 - noise, 1.0)
    return np.eye(n) * keep + spread * noise


def _start_prior(env: Gridworld, start) -> np.ndarray:
    n = env.n_free
    if start is None:
        return np.full(n, 1.0 / n)
    cell = np.asarray(start)
    rows, cols = env.shape
    if cell.shape != (2,) or not np.issubdtype(cell.dtype, np.integer):
        raise HippoError(f"start: expected (row, col) integers, got {start!r}")
    if not (0 <= cell[0] < rows and 0 <= cell[1] < cols) or not env.free[cell[0], cell[1]]:
        raise HippoError(f"start: cell {tuple(int(c) for c in cell)} is not a free cell of {env.name}")
    D = np.zeros(n)
    D[env.state_index()[cell[0], cell[1]]] = 1.0
    return D


def gridworld_model(env, modalities: Sequence[str] = ("cue",), start=None, location_noise: float = 0.1):
    """The true generative model of a gridworld.

    Args:
        env: a :class:`~hippo.world.gridworld.Gridworld` or an environment name.
        modalities: any of ``"cue"`` (the cue letter under the agent, outcomes
            :func:`cue_outcomes`) and ``"location"`` (the cell index, reported wrongly —
            as a uniformly chosen neighbouring cell — with probability ``location_noise``).
        start: ``(row, col)`` of the first cell, known to the agent (``D`` one-hot);
            ``None`` makes ``D`` uniform over free cells.
        location_noise: probability in [0, 1) that the location channel reports a neighbour.

    Returns:
        ``(A, B, C, D)``: ``A`` a list with one ``(n_obs_m, n_free)`` array per modality,
        ``B`` ``(n_free, n_free, 5)``, ``C`` a list of zero log-preferences, ``D`` ``(n_free,)``.
    """
    env = as_gridworld(env)
    modalities = tuple(modalities) if not isinstance(modalities, str) else (modalities,)
    if not modalities or len(set(modalities)) != len(modalities) or any(m not in GRIDWORLD_MODALITIES for m in modalities):
        raise HippoError(f"modalities: invalid value {modalities!r} (allowed: distinct names among {', '.join(GRIDWORLD_MODALITIES)})")
    if not 0 <= location_noise < 1:
        raise HippoError(f"location_noise: value {location_noise!r} out of range (allowed: >= 0 and < 1)")
    B = gridworld_transitions(env)
    builders = {"cue": lambda: _cue_likelihood(env), "location": lambda: _location_likelihood(B, location_noise)}
    A = [builders[m]() for m in modalities]
    C = [np.zeros(A_m.shape[0]) for A_m in A]
    D = _start_prior(env, start)
    return A, B, C, D


def sample_observation(A: list[np.ndarray], state: int, rng: np.random.Generator) -> list[int]:
    """One outcome per modality drawn from ``A[m][:, state]`` (the world's side of an observation).

    Args:
        A: the true likelihood, one ``(n_obs_m, n_states)`` array per modality.
        state: index of the occupied state.
        rng: the random generator (one uniform draw per modality).

    Returns:
        The outcome index of each modality.
    """
    draws = rng.random(len(A))
    return [min(int(np.searchsorted(np.cumsum(A_m[:, state]), u, side="right")), A_m.shape[0] - 1)
            for A_m, u in zip(A, draws)]
