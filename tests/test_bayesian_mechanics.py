"""Bayesian mechanics of learning: fixed points, saddle spectrum, least action, Oja vs Hebb, per-synapse rule."""

from dataclasses import replace

import numpy as np
import pytest
from numba import njit
from scipy.integrate import solve_bvp, solve_ivp

from hippo.learning import bayesian_mechanics as bm
from hippo.learning.bayesian_mechanics_rule import bayesian_mechanics_step


def sinusoid(offset=1.0, amplitude=1.0, frequency=0.5):
    return lambda t: (offset + amplitude * np.sin(2 * np.pi * frequency * t))[None, :]


def state_at_learning_fixed_point(model, s, mu):
    """Full state with μ given, (W, p_W) at the analytical fixed point, p_μ = 0, a = 0."""
    s, mu = np.atleast_1d(s), np.atleast_1d(mu)
    W, p_W = bm.learning_fixed_point(model, np.outer(s, mu), np.outer(mu, mu), s ** 2)
    return bm.pack(model, mu, np.zeros_like(mu), W, p_W, np.zeros_like(s)), W, p_W


@pytest.mark.parametrize("rule", ["hebb-decay", "oja"])
@pytest.mark.parametrize("n_s, n_mu", [(1, 1), (2, 3)])
def test_learning_equations_vanish_at_analytical_fixed_point(rule, n_s, n_mu):
    rng = np.random.default_rng(0)
    model = bm.Model(n_s=n_s, n_mu=n_mu, rule=rule)
    s, mu = rng.uniform(0.5, 1.5, n_s), rng.uniform(0.3, 1.0, n_mu)
    y, W, p_W = state_at_learning_fixed_point(model, s, mu)
    rate = bm.unpack(model, bm.vector_field(model, 0.0, y, bm.constant_stream(s)))
    assert np.max(np.abs(rate["W"])) < 1e-12
    assert np.max(np.abs(rate["p_W"])) < 1e-12
    assert np.max(np.abs(W)) > 0.1  # a non-trivial fixed point


def test_analytical_fixed_point_limits():
    s, mu = 1.3, 0.7
    hebbian = bm.Model(m_z=0.0, alpha=0.5, gamma=0.2)
    assert bm.learning_fixed_point(hebbian, [[s * mu]], [[mu * mu]])[0][0, 0] == pytest.approx(0.5 * s * mu / 0.2)
    generative = bm.Model(alpha=0.0, gamma=1e-6)
    assert bm.learning_fixed_point(generative, [[s * mu]], [[mu * mu]])[0][0, 0] == pytest.approx(s / mu, rel=1e-6)


@pytest.mark.parametrize("rule", ["hebb-decay", "oja"])
def test_least_action_learning_path_approaches_the_fixed_point(rule):
    """The seed's eqs. 3–4 for constant s, μ, solved by least action over a long horizon."""
    model = bm.Model(rule=rule)
    s, mu = np.array([1.2]), np.array([0.8])
    W_star, p_star = bm.learning_fixed_point(model, np.outer(s, mu), np.outer(mu, mu), s ** 2)

    def fun(t, y):
        dW, dp = bm.learning_rhs(model, s[:, None], np.repeat(mu[:, None], len(t), 1), y[0][None, None], y[1][None, None])
        return np.vstack([dW[0, 0], dp[0, 0]])

    def bc(ya, yb):
        return np.array([ya[0] - 0.1, yb[1]])

    t = np.linspace(0.0, 60.0, 400)
    sol = solve_bvp(fun, bc, t, np.zeros((2, t.size)), tol=1e-9, max_nodes=100_000)
    assert sol.success
    middle = sol.sol(30.0)
    assert middle[0] == pytest.approx(W_star[0, 0], rel=1e-5)
    assert middle[1] == pytest.approx(p_star[0, 0], rel=1e-5)


@pytest.mark.parametrize("rule", ["hebb-decay", "oja"])
def test_linear_stability_matches_analytical_saddle(rule):
    model = bm.Model(rule=rule, m_w=3.0, m_z=1.5, gamma=0.3, eta_oja=0.25)
    s, mu = 1.1, 0.9
    y, W, _ = state_at_learning_fixed_point(model, s, mu)
    decay = model.gamma if rule == "hebb-decay" else model.eta_oja * s ** 2
    rate = np.sqrt(decay ** 2 + model.m_z * mu ** 2 / model.m_w)
    learning = np.sort(bm.linear_stability(model, y, [s], free=("W", "p_W")))
    np.testing.assert_allclose(learning.real, [-rate, rate], atol=1e-7)
    np.testing.assert_allclose(learning.imag, 0.0, atol=1e-7)
    assert bm.learning_saddle_rate(model, s, mu) == pytest.approx(rate)
    w = W[0, 0]
    perception = np.sort(bm.linear_stability(model, y, [s], free=("mu", "p_mu")).real)
    expected = np.sqrt(model.kappa ** 2 + model.m_z * w ** 2 / model.m_mu)
    np.testing.assert_allclose(perception, [-expected, expected], atol=1e-7)


def test_forward_integration_departs_at_the_saddle_rate():
    """An error of 1e-9 in the momentum grows like exp(λ₊ t) when integrating forward."""
    model = replace(bm.Model(), kappa_a=0.0)  # a frozen: s stays constant
    s, mu = 1.0, 0.8
    y, _, _ = state_at_learning_fixed_point(model, s, mu)
    kick = np.zeros_like(y)
    kick[model.indices("p_W")] = 1e-9

    def field(t, state):  # the learning pair with μ held
        rate = bm.vector_field(model, t, state, bm.constant_stream([s]))
        rate[model.indices("mu", "p_mu")] = 0.0
        return rate

    run = solve_ivp(field, (0.0, 20.0), y + kick, method="DOP853", rtol=1e-12, atol=1e-15, dense_output=True)
    learning = model.indices("W", "p_W")
    gap = np.linalg.norm(run.sol(np.array([10.0, 20.0]))[learning] - y[learning, None], axis=0)
    growth = np.log(gap[1] / gap[0]) / 10.0
    assert growth == pytest.approx(np.sqrt(model.gamma ** 2 + model.m_z * mu ** 2 / model.m_w), rel=1e-3)


def test_integrate_forward_agrees_with_least_action_over_a_short_horizon():
    model = bm.Model()
    stream = sinusoid()
    q0 = bm.initial_configuration(model, [0.2], [[1.0]], [0.0])
    bvp = bm.least_action(model, 0.0, 3.0, q0, stream, tol=1e-10)
    assert bvp.success
    ivp = bm.integrate_forward(model, bvp.sol(0.0), (0.0, 1.5), stream)
    t = np.linspace(0.0, 1.5, 31)
    np.testing.assert_allclose(ivp.sol(t), bvp.sol(t), atol=1e-6)


def test_least_action_satisfies_equations_and_boundary_conditions():
    model = bm.Model()
    stream = sinusoid()
    q0 = bm.initial_configuration(model, [0.2], [[1.0]], [-0.1])
    result = bm.least_action(model, 0.0, 4.0, q0, stream, tol=1e-9)
    assert result.success
    t = np.linspace(0.0, 4.0, 4001)
    assert np.max(bm.residual(model, result.sol, t, stream)) < 1e-6
    start, end = result.sol(0.0), result.sol(4.0)
    np.testing.assert_allclose(start[model.indices("mu", "W", "a")], q0, atol=1e-12)
    np.testing.assert_allclose(end[model.indices("p_mu", "p_W")], 0.0, atol=1e-12)


def test_receding_horizon_converges_as_the_horizon_grows():
    """The end condition's influence on the kept part decays like exp(−λ₊ T_h)."""
    model = bm.Model()
    q0 = bm.initial_configuration(model, [0.0], [[0.5]], [0.0])
    paths = {h: bm.receding_horizon(model, sinusoid(), 8.0, q0, horizon=h, keep=0.5, dt_out=0.05, tol=1e-7)
             for h in (8.0, 10.0, 12.0, 15.0)}
    reference = paths[15.0]
    assert reference.t.shape == (160,) and reference.y.shape == (model.n_state, 160)
    assert reference.n_solves == 16
    assert max(np.max(p.residual) for p in paths.values()) < 1e-6
    w = {h: bm.unpack(model, p.y)["W"][0, 0] for h, p in paths.items()}
    gaps = [np.max(np.abs(w[h] - w[15.0])) for h in (8.0, 10.0, 12.0)]
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 0.02 * np.max(w[15.0])
    jumps = [paths[h].momentum_jump for h in (8.0, 10.0, 12.0, 15.0)]
    assert np.all(np.diff(jumps) < 0) and jumps[-1] < 0.005
    assert w[15.0][-1] > 2.0 * w[15.0][0]  # the weight learns


def weight_windows(rule, gamma):
    model = bm.Model(rule=rule, gamma=gamma)
    q0 = bm.initial_configuration(model, [0.0], [[0.5]], [0.0])
    path = bm.receding_horizon(model, sinusoid(), 24.0, q0, horizon=8.0, keep=0.5, dt_out=0.05, tol=1e-6)
    w = bm.unpack(model, path.y)["W"][0, 0]
    return np.array([w[(path.t >= a) & (path.t < a + 4.0)].mean() for a in range(0, 24, 4)])


def test_oja_keeps_the_weight_bounded_where_hebb_without_decay_grows():
    hebb = weight_windows("hebb-decay", gamma=0.0)
    oja = weight_windows("oja", gamma=0.0)
    assert np.all(np.diff(hebb) > 0.1)
    assert hebb[-1] > 1.2 * hebb[-3]
    assert abs(oja[-1] - oja[-2]) < 0.01 * oja[-1]
    assert oja[-1] < 0.5 * hebb[-1]


def test_model_rejects_bad_parameters():
    with pytest.raises(ValueError, match="m_w"):
        bm.Model(m_w=0.0)
    with pytest.raises(ValueError, match="rule"):
        bm.Model(rule="bcm")
    with pytest.raises(ValueError, match="unknown variables"):
        bm.linear_stability(bm.Model(), np.zeros(5), [1.0], free=("w",))
    with pytest.raises(ValueError, match="decay rate is 0"):
        bm.learning_fixed_point(bm.Model(gamma=0.0), [[1.0]], [[1.0]])


def test_rule_reaches_the_fixed_point_of_the_learning_equations():
    model = bm.Model(m_w=1.0, m_z=2.0, alpha=0.3, gamma=0.5)
    s, mu = 1.4, 0.6
    W, p = np.zeros((1, 1)), np.zeros((1, 1))
    for _ in range(20_000):
        err = np.array([s - W[0, 0] * mu])
        bayesian_mechanics_step(W, p, err, np.array([mu]), np.array([s]), 0.01, model.m_w, model.m_z, model.alpha,
                                model.gamma)
    W_star, p_star = bm.learning_fixed_point(model, [[s * mu]], [[mu * mu]])
    assert W[0, 0] == pytest.approx(W_star[0, 0], rel=1e-6)
    assert p[0, 0] == pytest.approx(p_star[0, 0], rel=1e-6)


@pytest.mark.parametrize("seed", range(5))
def test_rule_learns_a_linear_target(seed):
    rng = np.random.default_rng(seed)
    n_post, n_pre, dt = 3, 5, 0.025
    m_w, m_z, alpha, gamma = 1.0, 10.0, 0.05, 0.2
    W_true = rng.normal(size=(n_post, n_pre))
    W, p = np.zeros((n_post, n_pre)), np.zeros((n_post, n_pre))
    errors = []
    for _ in range(4000):
        pre = rng.uniform(0.0, 1.0, n_pre)
        target = W_true @ pre
        err = target - W @ pre
        errors.append(np.mean(np.abs(err)))
        bayesian_mechanics_step(W, p, err, pre, target, dt, m_w, m_z, alpha, gamma)
    assert np.mean(errors[:100]) > 10 * np.mean(errors[-100:])
    assert np.linalg.norm(W - W_true) < 0.1 * np.linalg.norm(W_true)
    C = np.full((n_pre, n_pre), 0.25) + np.eye(n_pre) / 12.0  # ⟨pre preᵀ⟩ for uniform(0, 1) rates
    model = bm.Model(n_s=n_post, n_mu=n_pre, m_w=m_w, m_z=m_z, alpha=alpha, gamma=gamma)
    W_star, _ = bm.learning_fixed_point(model, W_true @ C, C)
    assert np.linalg.norm(W - W_star) < 0.05 * np.linalg.norm(W_star)


@pytest.mark.parametrize("seed", range(5))
def test_rule_learns_a_target_split_over_two_projections(seed):
    """Two projections into one compartment share its error and its target: together they reach
    the fixed point of one projection from the concatenated inputs."""
    rng = np.random.default_rng(seed)
    sizes, W_true = (4, 3), [rng.normal(size=(2, 4)), rng.normal(size=(2, 3))]
    W, p = [np.zeros((2, n)) for n in sizes], [np.zeros((2, n)) for n in sizes]
    for _ in range(4000):
        pres = [rng.uniform(0.0, 1.0, n) for n in sizes]
        target = sum(Wt @ x for Wt, x in zip(W_true, pres))
        err = target - sum(Wk @ x for Wk, x in zip(W, pres))
        for Wk, pk, x in zip(W, p, pres):
            bayesian_mechanics_step(Wk, pk, err, x, target, 0.025, 1.0, 10.0, 0.05, 0.2)
    n_pre = sum(sizes)
    C = np.full((n_pre, n_pre), 0.25) + np.eye(n_pre) / 12.0  # ⟨pre preᵀ⟩ for uniform(0, 1) rates
    model = bm.Model(n_s=2, n_mu=n_pre, m_w=1.0, m_z=10.0, alpha=0.05, gamma=0.2)
    W_star, _ = bm.learning_fixed_point(model, np.hstack(W_true) @ C, C)
    assert np.linalg.norm(np.hstack(W) - W_star) < 0.05 * np.linalg.norm(W_star)


@njit
def _engine_loop(W, p, pres, targets, dt):
    for k in range(pres.shape[0]):
        err = targets[k] - W @ pres[k]
        bayesian_mechanics_step(W, p, err, pres[k], targets[k], dt, 1.0, 5.0, 0.1, 0.2)


def test_rule_runs_inside_a_compiled_loop_as_from_python():
    rng = np.random.default_rng(2)
    pres = rng.uniform(size=(50, 4))
    targets = pres @ rng.normal(size=(4, 2))
    W1, p1 = np.zeros((2, 4)), np.zeros((2, 4))
    W2, p2 = W1.copy(), p1.copy()
    _engine_loop(W1, p1, pres, targets, 0.025)
    for pre, target in zip(pres, targets):
        bayesian_mechanics_step(W2, p2, target - W2 @ pre, pre, target, 0.025, 1.0, 5.0, 0.1, 0.2)
    np.testing.assert_array_equal(W1, W2)
    np.testing.assert_array_equal(p1, p2)
    assert np.any(W1 != 0.0)


SHORT_RUN = ["duration=12.0", "switch_time=6.0", "stream.frequency_before=1.0", "stream.frequency_after=0.5",
             "solver.horizon=6.0", "solver.dt_out=0.05"]


def test_experiment_writes_figures_and_metrics(tmp_path):
    from hippo.experiments import run_experiment

    run_dir, metrics = run_experiment("bayesian-mechanics", SHORT_RUN, out=tmp_path, quiet=True)
    for name in ("phase_space", "learning", "hebb_vs_oja"):
        assert (tmp_path / "figures" / f"{name}.png").stat().st_size > 10_000
    assert (tmp_path / "trajectories.npz").exists() and (tmp_path / "metrics.json").exists()
    assert metrics["max_residual_hebb_decay"] < 1e-6 and metrics["max_residual_oja"] < 1e-6
    assert metrics["attractor_size_after"] > metrics["attractor_size_before"]  # the amplitude doubled
    _weight_relaxes_to_the_fixed_point_at_the_saddle_rate(tmp_path, metrics)


def _weight_relaxes_to_the_fixed_point_at_the_saddle_rate(run_path, metrics):
    """After the switch, the Hebb + decay weight moves from its value at the switch towards the
    new fixed point ``w*`` along the stable direction of the learning saddle:
    ``w(t) = w* − (w* − w_switch)·exp(−λ(t − t_switch))`` with λ the saddle rate.

    The mean over the last two driving periods must match that course within the accuracy
    of the period-averaged fixed point (a few %, see :mod:`hippo.experiments.bayesian_mechanics`),
    and the final weight must lie on it within half the weight's peak-to-peak swing over those periods.
    """
    switch, duration, horizon = 6.0, 12.0, 6.0  # SHORT_RUN
    with np.load(run_path / "trajectories.npz") as arrays:
        t, w = arrays["hebb_decay_t"], arrays["hebb_decay_w"]
    rate = metrics["horizon_times_saddle_rate_hebb_decay"] / horizon
    w_star = metrics["fixed_point_weight_after_hebb_decay"]
    gap = w_star - np.interp(switch, t, w)
    window = t >= duration - 2 / 0.5  # two periods at stream.frequency_after
    course = w_star - gap * np.exp(-rate * (t - switch))
    assert gap > 0.5  # the amplitude doubled: the fixed point moved up by a large step
    assert metrics["mean_weight_after_hebb_decay"] == pytest.approx(np.mean(course[window]), rel=0.05)
    assert abs(metrics["final_weight_hebb_decay"] - course[-1]) <= 0.5 * np.ptp(w[window])


def test_experiment_rejects_a_switch_without_room_for_the_attractors():
    from hippo.errors import ConfigError
    from hippo.experiments import resolve

    with pytest.raises(ConfigError, match="switch_time"):
        resolve("bayesian-mechanics", ["switch_time=1.0"])
