"""Cross-check of :mod:`hippo.learning.active_inference` against pymdp's numpy API.

Reference: ``pymdp.legacy`` of the ``inferactively-pymdp`` package (a test dependency).
On 60 random models (1–3 modalities, 2–7 states, 1–3 actions, policies of 1–3 steps)
the state posteriors, expected free energies (pymdp's ``G`` is the negative of ours),
policy posteriors and Dirichlet updates agree to 1e-5.

pymdp adds ``exp(−16) ≈ 1.1e-7`` inside the logarithm of every joint outcome
probability when it computes the state information gain, which biases its ``G`` by
about ``1.1e-7 × (number of joint outcomes) × (policy length)``; the random models
keep that product at most 36 so that this bias stays below 1e-5.
"""

from __future__ import annotations

import numpy as np
import pytest

try:
    from pymdp.legacy import control, inference, learning, utils
except ImportError as error:  # pragma: no cover - reported as a collection error
    raise ImportError("the pymdp cross-check needs the test dependency inferactively-pymdp "
                      "(pip install inferactively-pymdp); it provides pymdp.legacy") from error

from hippo.learning import active_inference as ai
from hippo.world.gridworld_model import gridworld_model

N_MODELS = 60
TOLERANCE = 1e-5


def _columns(rng, shape):
    """Random categorical columns (first axis sums to 1)."""
    x = rng.gamma(1.0, size=shape)
    return x / x.sum(axis=0, keepdims=True)


def _random_model(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    while True:
        n_obs = rng.integers(2, 5, size=rng.integers(1, 4))
        horizon = int(rng.integers(1, 4))
        if np.prod(n_obs) * horizon <= 36:
            break
    n_states, n_actions = int(rng.integers(2, 8)), int(rng.integers(1, 4))
    return {
        "A": [_columns(rng, (k, n_states)) for k in n_obs],
        "B": _columns(rng, (n_states, n_states, n_actions)),
        "C": [rng.normal(size=k) for k in n_obs],
        "qs": _columns(rng, n_states),
        "qs_prev": _columns(rng, n_states),
        "pA": [rng.gamma(1.0, size=(k, n_states)) + 0.05 for k in n_obs],
        "pB": rng.gamma(1.0, size=(n_states, n_states, n_actions)) + 0.05,
        "obs": [int(rng.integers(k)) for k in n_obs],
        "action": int(rng.integers(n_actions)),
        "policies": ai.construct_policies(n_actions, horizon),
        "gamma": float(rng.uniform(0.5, 16.0)),
        "lr": float(rng.uniform(0.1, 2.0)),
    }


def _obj(arrays):
    return utils.obj_array_from_list(list(arrays))


MODELS = [_random_model(seed) for seed in range(N_MODELS)]


@pytest.mark.parametrize("model", MODELS)
def test_state_posterior_matches_pymdp(model):
    reference = inference.update_posterior_states(_obj(model["A"]), model["obs"], prior=_obj([model["qs"]]))[0]
    np.testing.assert_allclose(ai.infer_states(model["obs"], model["A"], model["qs"]), reference, rtol=0, atol=TOLERANCE)


@pytest.mark.parametrize("use_param_info_gain", [False, True])
@pytest.mark.parametrize("model", MODELS)
def test_expected_free_energy_and_policy_posterior_match_pymdp(model, use_param_info_gain):
    pA = model["pA"] if use_param_info_gain else None
    q_ref, neg_G_ref = control.update_posterior_policies(
        _obj([model["qs"]]), _obj(model["A"]), _obj([model["B"]]), _obj(model["C"]),
        [p[:, None] for p in model["policies"]], use_param_info_gain=use_param_info_gain,
        pA=_obj(pA) if pA is not None else None, gamma=model["gamma"])
    q_pi, G = ai.infer_policies(model["qs"], model["A"], model["B"], model["C"], model["policies"],
                                gamma=model["gamma"], pA=pA, use_param_info_gain=use_param_info_gain)
    np.testing.assert_allclose(G, -neg_G_ref, rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(q_pi, q_ref, rtol=0, atol=TOLERANCE)
    single = ai.expected_free_energy(model["qs"], model["A"], model["B"], model["C"], model["policies"][-1],
                                     pA=pA, use_param_info_gain=use_param_info_gain)
    assert single == pytest.approx(-neg_G_ref[-1], abs=TOLERANCE)


@pytest.mark.parametrize("model", MODELS)
def test_dirichlet_updates_match_pymdp(model):
    pA_ref = learning.update_obs_likelihood_dirichlet(_obj(model["pA"]), _obj(model["A"]), model["obs"],
                                                      _obj([model["qs"]]), lr=model["lr"])
    pA = ai.update_dirichlet_A(model["pA"], model["A"], model["obs"], model["qs"], lr=model["lr"])
    for mine, reference in zip(pA, pA_ref):
        np.testing.assert_allclose(mine, reference, rtol=0, atol=TOLERANCE)
    pB_ref = learning.update_state_likelihood_dirichlet(_obj([model["pB"]]), _obj([model["B"]]), [model["action"]],
                                                        _obj([model["qs"]]), _obj([model["qs_prev"]]), lr=model["lr"])[0]
    pB = ai.update_dirichlet_B(model["pB"], model["B"], model["qs"], model["qs_prev"], model["action"], lr=model["lr"])
    np.testing.assert_allclose(pB, pB_ref, rtol=0, atol=TOLERANCE)


def test_sparse_gridworld_model_matches_pymdp():
    """A gridworld large enough for the sparse transition path (221 states)."""
    A, B, C, _ = gridworld_model("two-rooms")
    rng = np.random.default_rng(0)
    qs = _columns(rng, B.shape[0])
    C = [rng.normal(size=len(c)) for c in C]
    pA = [rng.gamma(1.0, size=a.shape) + 0.05 for a in A]
    policies = ai.construct_policies(5, 2)
    _, neg_G_ref = control.update_posterior_policies(_obj([qs]), _obj(A), _obj([B]), _obj(C),
                                                     [p[:, None] for p in policies], use_param_info_gain=True, pA=_obj(pA))
    _, G = ai.infer_policies(qs, A, B, C, policies, pA=pA, use_param_info_gain=True)
    np.testing.assert_allclose(G, -neg_G_ref, rtol=0, atol=TOLERANCE)
