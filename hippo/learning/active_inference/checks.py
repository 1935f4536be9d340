"""Validation of active-inference arrays: one clear :class:`~hippo.errors.HippoError` per problem.

Each ``check_*`` function takes what a user passes (lists, arrays, numbers) and returns
it as float or int arrays, or raises an error naming the argument, what is wrong and
what is allowed. The inference, control and learning functions call them on their
inputs; an agent calls them once, on its model, and then uses the unchecked functions.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hippo.errors import HippoError

#: Tolerance on probabilities summing to one.
SUM_TOLERANCE = 1e-6


def as_modalities(A, name: str) -> tuple[list[np.ndarray], bool]:
    """``A`` as a list of float arrays, and whether it was given as one bare array.

    Args:
        A: one array (a single modality) or a list of arrays, one per modality.
        name: the argument's name, for error messages.

    Returns:
        The list of float arrays and ``True`` when ``A`` was one bare array.
    """
    single = isinstance(A, np.ndarray) and A.dtype != object
    items = [A] if single else list(A)
    if not items:
        raise HippoError(f"{name}: expected at least one modality, got an empty list")
    arrays = []
    for m, item in enumerate(items):
        try:
            array = np.asarray(item, dtype=float)
        except (TypeError, ValueError):
            raise HippoError(f"{name}[{m}]: expected an array of numbers, got {type(item).__name__}") from None
        arrays.append(array)
    return arrays, single


def in_given_form(arrays: list[np.ndarray], single: bool):
    """The inverse of :func:`as_modalities`: the one array when the input was bare, else the list."""
    return arrays[0] if single else arrays


def _check_finite_nonnegative(array: np.ndarray, name: str) -> None:
    if not np.all(np.isfinite(array)):
        raise HippoError(f"{name}: contains NaN or infinite values")
    if np.any(array < 0):
        raise HippoError(f"{name}: contains negative values (allowed: probabilities or counts >= 0)")


def _check_columns_sum_to_one(array: np.ndarray, name: str) -> None:
    sums = array.sum(axis=0)
    bad = np.argwhere(np.abs(sums - 1.0) > SUM_TOLERANCE)
    if len(bad):
        index = tuple(int(i) for i in bad[0])
        where = ", ".join(str(i) for i in index)
        raise HippoError(f"{name}: column [:, {where}] sums to {sums[index]:.6g} (allowed: columns summing to 1)")


def check_likelihood(A, name: str = "A") -> tuple[list[np.ndarray], bool]:
    """Validate an observation likelihood; returns the list of ``(n_obs_m, n_states)`` arrays and whether it was bare."""
    arrays, single = as_modalities(A, name)
    n_states = None
    for m, A_m in enumerate(arrays):
        label = name if single else f"{name}[{m}]"
        if A_m.ndim != 2:
            raise HippoError(f"{label}: expected shape (n_obs, n_states), got shape {A_m.shape}")
        if n_states is None:
            n_states = A_m.shape[1]
        elif A_m.shape[1] != n_states:
            raise HippoError(f"{label}: has {A_m.shape[1]} states where {name}[0] has {n_states}")
        _check_finite_nonnegative(A_m, label)
        _check_columns_sum_to_one(A_m, label)
    return arrays, single


def check_transitions(B, n_states: int | None = None, name: str = "B") -> np.ndarray:
    """Validate a transition array ``(n_states, n_states, n_actions)`` and return it as floats."""
    B = np.asarray(B, dtype=float)
    if B.ndim != 3 or B.shape[0] != B.shape[1]:
        raise HippoError(f"{name}: expected shape (n_states, n_states, n_actions), got shape {B.shape}")
    if n_states is not None and B.shape[0] != n_states:
        raise HippoError(f"{name}: has {B.shape[0]} states where A has {n_states}")
    _check_finite_nonnegative(B, name)
    _check_columns_sum_to_one(B, name)
    return B


def check_distribution(q, n: int, name: str) -> np.ndarray:
    """Validate a categorical distribution of length ``n`` and return it as floats."""
    q = np.asarray(q, dtype=float)
    if q.shape != (n,):
        raise HippoError(f"{name}: expected shape ({n},), got shape {q.shape}")
    _check_finite_nonnegative(q, name)
    if abs(q.sum() - 1.0) > SUM_TOLERANCE:
        raise HippoError(f"{name}: sums to {q.sum():.6g} (allowed: a probability vector summing to 1)")
    return q


def check_observation(obs, n_obs: Sequence[int]) -> np.ndarray:
    """Validate one observation index per modality; returns an int array ``(n_modalities,)``."""
    values = np.atleast_1d(np.asarray(obs))
    if values.ndim != 1 or len(values) != len(n_obs):
        raise HippoError(f"obs: expected {len(n_obs)} observation index(es), one per modality, got {obs!r}")
    if not (np.issubdtype(values.dtype, np.integer) or np.all(values == np.round(values))):
        raise HippoError(f"obs: expected integer observation indices, got {obs!r}")
    values = values.astype(int)
    for m, (o, n) in enumerate(zip(values, n_obs)):
        if not 0 <= o < n:
            raise HippoError(f"obs[{m}]: index {o} out of range (allowed: 0 to {n - 1})")
    return values


def check_preferences(C, n_obs: Sequence[int] | None = None, name: str = "C") -> tuple[list[np.ndarray], bool]:
    """Validate log-preferences, one ``(n_obs_m,)`` array per modality (``n_obs`` from ``A`` when given)."""
    arrays, single = as_modalities(C, name)
    if n_obs is not None and len(arrays) != len(n_obs):
        raise HippoError(f"{name}: expected {len(n_obs)} modality(ies) like A, got {len(arrays)}")
    for m, C_m in enumerate(arrays):
        label = name if single else f"{name}[{m}]"
        n = n_obs[m] if n_obs is not None else len(C_m)
        if C_m.shape != (n,):
            raise HippoError(f"{label}: expected shape ({n},), got shape {C_m.shape}")
        if not np.all(np.isfinite(C_m)):
            raise HippoError(f"{label}: contains NaN or infinite values")
    return arrays, single


def check_dirichlet(p, shapes: Sequence[tuple[int, ...]] | None, name: str) -> tuple[list[np.ndarray], bool]:
    """Validate Dirichlet concentration parameters (one array per modality, shapes checked when given)."""
    arrays, single = as_modalities(p, name)
    if shapes is not None and len(arrays) != len(shapes):
        raise HippoError(f"{name}: expected {len(shapes)} modality(ies), got {len(arrays)}")
    for m, p_m in enumerate(arrays):
        label = name if single else f"{name}[{m}]"
        if shapes is not None and p_m.shape != tuple(shapes[m]):
            raise HippoError(f"{label}: expected shape {tuple(shapes[m])}, got shape {p_m.shape}")
        _check_finite_nonnegative(p_m, label)
    return arrays, single


def check_policies(policies, n_actions: int) -> np.ndarray:
    """Validate policies; returns an int array ``(n_policies, T)`` of action indices."""
    try:
        array = np.asarray(policies)
    except ValueError:
        raise HippoError("policies: all policies must have the same length") from None
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
        raise HippoError(f"policies: expected shape (n_policies, T) with T >= 1, got shape {array.shape}")
    if not np.issubdtype(array.dtype, np.integer):
        raise HippoError(f"policies: expected integer action indices, got dtype {array.dtype}")
    if array.min() < 0 or array.max() >= n_actions:
        raise HippoError(f"policies: action index out of range (allowed: 0 to {n_actions - 1})")
    return array.astype(np.intp)


def check_number(value: float, name: str) -> float:
    """A finite number as a float, or an error naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not np.isfinite(value):
        raise HippoError(f"{name}: expected a finite number, got {value!r}")
    return float(value)


def check_positive(value: float, name: str, allow_zero: bool = False) -> float:
    """A number ``> 0`` (``>= 0`` with ``allow_zero``) as a float, or an error naming ``name``."""
    value = check_number(value, name)
    if value < 0 or (value == 0 and not allow_zero):
        raise HippoError(f"{name}: value {value!r} out of range (allowed: {'>= 0' if allow_zero else '> 0'})")
    return value


def check_count(value: int, name: str, minimum: int) -> int:
    """An integer ``>= minimum``, or an error naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise HippoError(f"{name}: expected an integer >= {minimum}, got {value!r}")
    return int(value)
