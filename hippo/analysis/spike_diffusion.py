"""A spiking bump against its noise bound: width, spike rate, diffusion and the spikes' regularity.

A bump of activity on a ring read out through synapses of time constant ``τ`` cannot
diffuse more slowly than the information its spikes carry about its position allows
(Burak & Fiete 2012): ``D ≥ 1 / (τ² J)``, ``J`` the Fisher information per second of the
spikes about the position. For Poisson units with tuning curves ``f_i(x)`` (Hz),
``J = Σ_i f_i′(x)² / f_i(x)``. A Gaussian bump of peak ``A``, standard deviation ``σ``
(metres) over units of density ``ρ`` per metre gives ``f_i′ = −f_i·(x − x_i)/σ²`` and, the
sum taken as an integral,

    J = ρ ∫ A e^{−u²/2σ²} u²/σ⁴ du = ρ A √(2π) σ · σ² / σ⁴ = R / σ²,

with ``R = ρ A √(2π) σ`` the bump's total spike rate (Hz). Hence

    D_min = σ² / (τ² R)                                          (m²/s)

(:func:`diffusion_bound`); ``σ = FWHM / (2√(2 ln 2))`` for a Gaussian, the FWHM that of the
units' tuning curves ``f_i`` against the bump's position
(:func:`~hippo.analysis.bump.tuning_width`). Spikes more regular than Poisson carry more
information: counts of Fano factor ``F`` carry ``J / F`` (Burak & Fiete 2009's ``D ∝ CV²``,
with ``F ≈ CV²`` for renewal trains), so ``F·D_min`` is the bound of the measured spikes.
A measured ``D`` far above it says the network loses information elsewhere (synchrony,
lag, the mapping of weights into synaptic currents), close to it that spike noise sets
the diffusion.

:func:`bump_noise` measures, on the generative part of path-integration test trials:
the bump's width, its total spike rate ``R``, its diffusion ``D`` (the bump's position,
the population vector of the rates, against the true position, through
:func:`~hippo.analysis.error_decomposition.decompose_errors`: gain error and drift
removed), ``D / D_min``, the spikes' Fano factors (:func:`fano_factors`) and
``D / (F·D_min)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hippo.analysis.bump import population_vector, tuning_width
from hippo.analysis.error_decomposition import decompose_errors
from hippo.errors import HippoError
from hippo.world.gridworld import periodic_displacement

#: FWHM of a Gaussian over its standard deviation, ``2√(2 ln 2)``.
FWHM_PER_SIGMA = 2.0 * np.sqrt(2.0 * np.log(2.0))


def diffusion_bound(sigma: float, tau: float, rate: float) -> float:
    """``D_min = σ² / (τ² R)`` (m²/s): the least diffusion of a Gaussian bump of standard deviation
    ``sigma`` (m) whose Poisson spikes, ``rate`` Hz in all, are read through synapses of time
    constant ``tau`` (s); derivation in the module docstring."""
    if not (sigma > 0 and tau > 0 and rate > 0):
        raise HippoError(f"the bound needs sigma, tau and rate > 0, got {sigma}, {tau}, {rate}")
    return sigma ** 2 / (tau ** 2 * rate)


def effective_tau(taus, weights) -> float:
    """Time constant (s) of the synapses that drive a population, each projection's ``τ_p``
    weighted by its summed absolute weights ``Σ|W_p|``: the mean time over which the
    population's input integrates presynaptic spikes.

    Args:
        taus: ``(P,)`` synaptic time constants of the projections (s).
        weights: ``P`` weight matrices of those projections (any shapes).
    """
    taus = np.asarray(taus, dtype=float)
    mass = np.array([np.abs(np.asarray(w, dtype=float)).sum() for w in weights])
    if len(taus) != len(mass) or len(taus) == 0 or mass.sum() <= 0:
        raise HippoError(f"effective_tau needs as many time constants as weight matrices, with some weight; "
                         f"got {len(taus)} and {len(mass)} (summed weight {mass.sum()})")
    return float((taus * mass).sum() / mass.sum())


def fano_factors(counts: np.ndarray, expected: np.ndarray, in_bump: np.ndarray) -> tuple[float, float]:
    """Fano factors of spike counts in windows of a moving bump.

    * unit: ``Σ (k − μ)² / Σ μ`` over the windows and units inside the bump, ``k`` the count
      of a unit in a window and ``μ`` its expected count (the unit's rate over the window):
      1 for Poisson spikes, ``< 1`` for more regular, ``> 1`` for burstier trains. For a
      renewal train and windows long against its intervals it is ``CV²``.
    * population: variance over the windows of each trial of the bump's total count (all
      units), over its mean, averaged over trials: 1 for independent Poisson units with a
      steady total rate, ``> 1`` when units fire together (synchrony) or the bump's
      amplitude fluctuates.

    Args:
        counts: ``(n_trials, n_windows, n_units)`` spike counts.
        expected: expected counts, same shape.
        in_bump: boolean mask, same shape: the unit is inside the bump in that window.

    Returns:
        ``(unit, population)`` Fano factors (NaN where no window has spikes).
    """
    counts, expected = np.asarray(counts, dtype=float), np.asarray(expected, dtype=float)
    if counts.shape != expected.shape or counts.shape != np.shape(in_bump) or counts.ndim != 3:
        raise HippoError(f"counts {counts.shape}, expected {expected.shape} and in_bump {np.shape(in_bump)} "
                         "must share one (n_trials, n_windows, n_units) shape")
    mean_in_bump = expected[in_bump].sum()
    unit = float(((counts - expected)[in_bump] ** 2).sum() / mean_in_bump) if mean_in_bump > 0 else float("nan")
    total = counts.sum(axis=2)
    means = total.mean(axis=1)
    spiking = means > 0
    population = float(np.mean(total[spiking].var(axis=1, ddof=1) / means[spiking])) if spiking.any() else float("nan")
    return unit, population


@dataclass(frozen=True)
class BumpNoise:
    """A bump's width, spike rate, diffusion and spike statistics against the Poisson bound.

    Attributes:
        fwhm_m: the bump's full width at half maximum (m): the median width of its units'
            tuning to its position (:func:`~hippo.analysis.bump.tuning_width`).
        sigma_m: the Gaussian standard deviation of that width, ``FWHM / 2√(2 ln 2)`` (m).
        diffusion_m2_per_s: measured diffusion ``D`` of the bump's position (m²/s).
        diffusion_sem: its jackknife standard error over trials (m²/s).
        spike_rate_hz: the bump's total spike rate ``R`` (Hz); NaN without spikes.
        tau_s: the synaptic time constant of the bound (s); NaN without spikes.
        d_min_m2_per_s: ``σ² / (τ² R)`` (m²/s); NaN without spikes.
        d_over_d_min: ``D / D_min``; NaN without spikes.
        fano_unit: Fano factor of a unit's counts inside the bump (:func:`fano_factors`).
        cv: ``√fano_unit``, the interval CV of a renewal train with that Fano factor.
        fano_population: Fano factor of the bump's total count per window.
        d_over_d_min_counts: ``D / (fano_unit·D_min)``: the diffusion against the bound of
            counts as variable as the measured ones (1: at the bound).
    """

    fwhm_m: float
    sigma_m: float
    diffusion_m2_per_s: float
    diffusion_sem: float
    spike_rate_hz: float = float("nan")
    tau_s: float = float("nan")
    d_min_m2_per_s: float = float("nan")
    d_over_d_min: float = float("nan")
    fano_unit: float = float("nan")
    cv: float = float("nan")
    fano_population: float = float("nan")
    d_over_d_min_counts: float = float("nan")

    def metrics(self) -> dict:
        """The fields as a flat dict of floats (for ``metrics.json``)."""
        return {key: float(value) for key, value in vars(self).items()}


def bump_noise(t: np.ndarray, rates: np.ndarray, true: np.ndarray, preferred: np.ndarray, length: float,
               fit_window: tuple[float, float], counts: np.ndarray | None = None, window_s: float = float("nan"),
               rate_scale: float = float("nan"), tau: float = float("nan")) -> BumpNoise:
    """Width, diffusion and, given spikes, spike rate, ``D / D_min`` and Fano factors of a bump in generation.

    Args:
        t: ``(n_t,)`` seconds from the switch to generation; samples with ``t ≤ 0`` are left out.
        rates: ``(n_trials, n_t, n_units)`` rates of the bump's units (rate units: a rate
            ``r`` fires ``rate_scale·r`` Hz).
        true: ``(n_trials, n_t)`` true positions on the ring (m).
        preferred: ``(n_units,)`` preferred positions (m), finite.
        length: ring length (m).
        fit_window: ``(start, stop)`` seconds after the switch of the diffusion fit.
        counts: ``(n_trials, n_t, n_units)`` spike counts in the window that ends at each
            sample, or None (a rate network: no spike statistics).
        window_s: length of a count window (s).
        rate_scale: Hz per unit rate (the expected count of a window is
            ``rate_scale·window_s`` times the mean of the rates at its two ends).
        tau: the synaptic time constant of the bound (s), e.g. :func:`effective_tau`.

    Returns:
        The :class:`BumpNoise`; the bump (for the Fano factors) is the units within half
        its FWHM of its population-vector centre.
    """
    t = np.asarray(t, dtype=float)
    rates = np.asarray(rates, dtype=float)
    if rates.ndim != 3 or rates.shape[1] != len(t) or rates.shape[2] != len(preferred):
        raise HippoError(f"rates must have shape (n_trials, {len(t)}, {len(preferred)}), got {rates.shape}")
    generative, after = t > 0, t >= 0
    n_trials, n_units = rates.shape[0], rates.shape[2]
    width = tuning_width(rates[:, generative].reshape(-1, n_units), preferred, length)
    centre = np.full(rates.shape[:2], np.nan)  # the bump's position (m) at each sample from the switch on
    centre[:, after] = population_vector(rates[:, after].reshape(-1, n_units), preferred, length).reshape(n_trials, -1)
    decomposition = decompose_errors(t[after], centre[:, after], np.asarray(true, dtype=float)[:, after], length,
                                     fit_window)
    diffusion = decomposition.diffusion_m2_per_s
    sigma = width / FWHM_PER_SIGMA
    if counts is None:
        return BumpNoise(width, sigma, diffusion, decomposition.diffusion_sem)
    counts = np.asarray(counts, dtype=float)
    if counts.shape != rates.shape:
        raise HippoError(f"counts {counts.shape} must have the rates' shape {rates.shape}")
    # windows that start and end in generation
    inside = np.flatnonzero(generative)[1:]
    expected = rate_scale * window_s * 0.5 * (np.clip(rates[:, inside], 0, None) + np.clip(rates[:, inside - 1], 0, None))
    distance = np.abs(periodic_displacement(preferred[None, None, :] - centre[:, inside, None], length))
    in_bump = distance <= width / 2
    unit, population = fano_factors(counts[:, inside], expected, in_bump)
    spike_rate = float(counts[:, inside].sum(axis=2).mean() / window_s)
    # no spikes in the bump, or no bump: the bound is not measurable (NaN), not a failed run
    d_min = diffusion_bound(sigma, tau, spike_rate) if spike_rate > 0 and sigma > 0 else float("nan")
    return BumpNoise(width, sigma, diffusion, decomposition.diffusion_sem, spike_rate, float(tau), d_min,
                     diffusion / d_min, unit, float(np.sqrt(unit)), population, diffusion / (unit * d_min))
