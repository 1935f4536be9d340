"""Loss-landscape navigation: closed forms against numerical solutions, and the published toy numbers within 1 %."""

import json

import numpy as np
import pytest

from hippo.experiments import run_experiment
from hippo.learning import navigation as nav


@pytest.mark.parametrize("gamma", [0.0, 1.0, 10.0])
@pytest.mark.parametrize("h", [1.0, 4.0])
@pytest.mark.parametrize("decay", [0.0, 2.0])
def test_quadratic_closed_forms_match_the_euler_lagrange_solution(gamma, h, decay):
    rate, end = nav.relaxation_rate(h, gamma, decay=decay), nav.shrinkage(h, gamma, decay)
    duration = 30.0 / rate
    path = nav.quadratic_euler_lagrange(0.3, h, 1.0, gamma, duration, decay=decay)
    assert nav.fitted_rate(path.t, path.theta[:, 0], end, duration / 3) == pytest.approx(rate, rel=1e-4)
    assert path.theta[len(path.t) // 2, 0] == pytest.approx(end, rel=1e-4)
    early = path.t < duration / 3
    closed = nav.quadratic_path(path.t[early], [0.3], [h], [1.0], gamma, decay=decay)[:, 0]
    assert np.allclose(path.theta[early, 0], closed, atol=1e-5)


def test_direct_minimisation_of_the_action_finds_the_shrunk_end_point():
    """Independent of the Euler–Lagrange equations: the discretised action's minimiser with a free-ish end."""
    h, decay = 4.0, 10.0
    rate, end = nav.relaxation_rate(h, 0.0, decay=decay), nav.shrinkage(h, 0.0, decay)
    path = nav.least_action(lambda th: 0.5 * h * np.sum((th - 1.0) ** 2, -1), lambda th: h * (th - 1.0), [0.0], [end],
                            12.0 / rate, 401, 0.0, drift=lambda th: -decay * th,
                            drift_jacobian=lambda th: -decay * np.ones(th.shape + (1,)), tol=1e-10)
    assert path.theta[200, 0] == pytest.approx(end, rel=0.01)
    assert nav.fitted_rate(path.t, path.theta[:, 0], end, path.t[-1] / 3) == pytest.approx(rate, rel=0.01)


@pytest.mark.parametrize("quadrature", ["midpoint", "left"])
def test_the_action_gradient_is_its_derivative(quadrature):
    rng = np.random.default_rng(0)
    theta = rng.normal(size=(8, 2))
    drift = (lambda th: np.stack([-th[..., 1], th[..., 0] - 0.5 * th[..., 0] ** 3], -1),
             lambda th: np.stack([np.stack([np.zeros(th.shape[:-1]), -np.ones(th.shape[:-1])], -1),
                                  np.stack([1.0 - 1.5 * th[..., 0] ** 2, np.zeros(th.shape[:-1])], -1)], -2))
    args = (0.1, nav.double_well, nav.double_well_gradient, 0.3, 1.5, 0.7, *drift, quadrature)
    action, grad = nav.discretised_action(theta, *args)
    numerical = np.zeros_like(theta)
    for index in np.ndindex(theta.shape):
        step = np.zeros_like(theta)
        step[index] = 1e-6
        numerical[index] = (nav.discretised_action(theta + step, *args)[0]
                            - nav.discretised_action(theta - step, *args)[0]) / 2e-6
    assert np.allclose(grad, numerical, rtol=1e-6, atol=1e-8)


def test_the_study_reproduces_the_published_toy_numbers_within_one_percent(tmp_path):
    run_experiment("loss-landscape", ["quadratic.points=801", "double_well.refined_points=100"], out=tmp_path / "run",
                   quiet=True)
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    published = {"rate_gamma_0": 1.0, "rate_gamma_1": 0.618, "rate_gamma_10": 0.099,
                 "rate_ratio_gamma_10": 3.89, "rate_ratio_gamma_0": 2.0,
                 "descent_final_theta1": -0.930, "descent_final_loss": 0.483,
                 "least_action_mean_lagrangian": 0.16957, "least_action_final_theta1": 1.0625,
                 "double_well_global_minimum": 1.057, "weight_decay_shrinkage": 4 / 104}
    for key, value in published.items():
        assert metrics[key] == pytest.approx(value, rel=0.01), key
        if f"{key}_numerical" in metrics:
            assert metrics[f"{key}_numerical"] == pytest.approx(value, rel=0.01), key
    assert metrics["least_action_crosses_barrier"] and metrics["least_action_final_loss"] < 0 < metrics["descent_final_loss"]
    assert {p.name for p in (tmp_path / "run" / "figures").iterdir()} == {"quadratic.png", "double_well.png",
                                                                          "weight_decay.png"}
