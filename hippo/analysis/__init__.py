"""Analyses of recorded activity: decoding, ring attractors, path integration, exploration coverage, statistics.

Public names (imported on first use)::

    from hippo.analysis import TemplateDecoder, decoding_error, rate_maps, ring_indices
"""

from hippo._exports import lazy_exports

_EXPORTS = {
    **dict.fromkeys(["KNNDecoder", "RidgeDecoder", "TemplateDecoder", "chance_error", "decoding_error"],
                    "hippo.analysis.decoding"),
    **dict.fromkeys(["bump_score", "drift_m_per_s", "order_by_peak", "ring_indices"],
                    "hippo.analysis.ring_attractor"),
    **dict.fromkeys(["PathIntegrationResult", "PathIntegrationTestConfig"], "hippo.analysis.path_integration"),
    **dict.fromkeys(["coverage_curves", "steps_to_coverage"], "hippo.analysis.exploration"),
    **dict.fromkeys(["autocorrelation", "decorrelation_time", "sem"], "hippo.analysis.statistics"),
    **dict.fromkeys(["circular_spread", "fwhm", "population_vector", "preferred_positions", "tuning_width"],
                    "hippo.analysis.bump"),
    **dict.fromkeys(["ErrorDecomposition", "ErrorHorizon", "decompose_errors", "error_horizon", "error_horizons"],
                    "hippo.analysis.error_decomposition"),
    **dict.fromkeys(["Persistence", "leading_components", "maxmin_landmarks", "persistent_homology"],
                    "hippo.analysis.topology"),
    **dict.fromkeys(["RateMaps", "autocorrelogram", "bin_counts", "gridness", "rate_maps", "skaggs_information"],
                    "hippo.analysis.spatial"),
    **dict.fromkeys(["DirectionalGains", "bump_velocity", "directional_gains", "stationary_error"],
                    "hippo.analysis.path_integration_2d"),
    **dict.fromkeys(["GainCurve", "empirical_weights", "gain_curve", "gain_curve_summary", "gaussian_weights",
                     "max_integrated_speed", "measure_gain_curve", "probe_velocities", "speed_weighted_gain_error"],
                    "hippo.analysis.velocity_gain"),
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)
