"""Analyses of recorded activity: decoding, ring attractors, path integration."""

from hippo.analysis.bump import circular_spread, fwhm, population_vector, preferred_positions
from hippo.analysis.error_decomposition import (
    ErrorDecomposition, ErrorHorizon, decompose_errors, error_horizon, error_horizons,
)
from hippo.analysis.topology import Persistence, persistent_homology
from hippo.analysis.velocity_gain import (
    GainCurve, empirical_weights, gain_curve, gain_curve_summary, gaussian_weights, max_integrated_speed,
    measure_gain_curve, probe_velocities, speed_weighted_gain_error,
)
