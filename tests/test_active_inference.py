"""Active inference: hand-computed values on small models, gridworld models, the agent,
exploration against a random walk, trajectories and the active-exploration experiment."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hippo.analysis.exploration import coverage_curves, steps_to_coverage
from hippo.errors import HippoError
from hippo.experiments import run_experiment
from hippo.experiments.active_exploration import random_walk
from hippo.io import read_metrics
from hippo.agents import ActiveInferenceAgent, active_inference_trajectory, explore_gridworld
from hippo.learning.active_inference import (
    construct_policies,
    dirichlet_expectation,
    expected_free_energy,
    infer_policies,
    infer_states,
    kl_likelihood,
    update_dirichlet_A,
    update_dirichlet_B,
    update_preferences,
)
from hippo.world.gridworld import load_environment, parse_environment
from hippo.world.gridworld_model import cue_outcomes, gridworld_model

# Two states; action 0 stays, action 1 switches state.
STAY_SWITCH = np.stack([np.eye(2), np.array([[0.0, 1.0], [1.0, 0.0]])], axis=-1)
IDENTITY = np.eye(2)
NOISY = np.array([[0.9, 0.2], [0.1, 0.8]])


def entropy(p):
    p = np.asarray(p, dtype=float)
    return -sum(x * math.log(x) for x in p if x > 0)


# ------------------------------------------------------------------ state inference
def test_infer_states_one_modality_bayes_rule():
    qs = infer_states(0, np.array([[0.8, 0.3], [0.2, 0.7]]), np.array([0.5, 0.5]))
    np.testing.assert_allclose(qs, [0.4 / 0.55, 0.15 / 0.55])


def test_infer_states_multimodal_with_prior():
    A = [np.array([[0.8, 0.3], [0.2, 0.7]]), np.array([[0.5, 0.1], [0.5, 0.9]])]
    qs = infer_states((0, 1), A, np.array([0.25, 0.75]))
    unnormalised = np.array([0.25 * 0.8 * 0.5, 0.75 * 0.3 * 0.9])
    np.testing.assert_allclose(qs, unnormalised / unnormalised.sum())


def test_infer_states_default_prior_is_uniform():
    np.testing.assert_allclose(infer_states([1], [NOISY]), [0.1 / 0.9, 0.8 / 0.9])


def test_impossible_observation_is_a_clear_error():
    with pytest.raises(HippoError, match="probability 0"):
        infer_states(1, IDENTITY, np.array([1.0, 0.0]))


# ------------------------------------------------------------------ expected free energy
def test_utility_of_one_and_multi_step_policies():
    C = np.array([0.0, math.log(3.0)])  # softmax: p(o=0) = 1/4, p(o=1) = 3/4
    qs = np.array([1.0, 0.0])
    assert expected_free_energy(qs, IDENTITY, STAY_SWITCH, C, [0]) == pytest.approx(-math.log(0.25))
    assert expected_free_energy(qs, IDENTITY, STAY_SWITCH, C, [1]) == pytest.approx(-math.log(0.75))
    # switch, switch: state 1 then state 0
    assert expected_free_energy(qs, IDENTITY, STAY_SWITCH, C, [1, 1]) == pytest.approx(-math.log(0.75) - math.log(0.25))
    assert expected_free_energy(qs, IDENTITY, STAY_SWITCH, C, [1, 0, 0]) == pytest.approx(-3 * math.log(0.75))


def test_preferences_enter_through_log_softmax():
    qs = np.array([0.3, 0.7])
    G = expected_free_energy(qs, NOISY, STAY_SWITCH, np.array([1.0, 2.0]), [1])
    assert expected_free_energy(qs, NOISY, STAY_SWITCH, np.array([11.0, 12.0]), [1]) == pytest.approx(G)


def test_state_information_gain_with_noisy_likelihood():
    qs = np.array([0.5, 0.5])
    qo = NOISY @ qs  # (0.55, 0.45)
    mutual_information = entropy(qo) - 0.5 * entropy(NOISY[:, 0]) - 0.5 * entropy(NOISY[:, 1])
    G = expected_free_energy(qs, NOISY, STAY_SWITCH, np.zeros(2), [0], use_utility=False)
    assert G == pytest.approx(-mutual_information)
    assert mutual_information == pytest.approx(0.68813 - 0.5 * (0.32508 + 0.50040), abs=1e-4)  # nats


def test_one_modality_free_energy_is_risk_plus_ambiguity():
    rng = np.random.default_rng(3)
    A = rng.dirichlet(np.ones(4), size=5).T
    B = np.moveaxis(rng.dirichlet(np.ones(5), size=(5, 3)), -1, 0)
    C = rng.normal(size=4)
    qs = rng.dirichlet(np.ones(5))
    qs_next = B[:, :, 2] @ qs
    qo = A @ qs_next
    log_preference = C - np.log(np.exp(C).sum())
    risk = float(qo @ (np.log(qo) - log_preference))
    ambiguity = float(sum(qs_next[s] * entropy(A[:, s]) for s in range(5)))
    assert expected_free_energy(qs, A, B, C, [2]) == pytest.approx(risk + ambiguity)


def test_information_gain_uses_the_joint_observation_of_all_modalities():
    # Two identical, noiseless channels: together they tell log 2 nats, not 2 log 2.
    qs = np.array([0.5, 0.5])
    G = expected_free_energy(qs, [IDENTITY, IDENTITY], STAY_SWITCH, [np.zeros(2), np.zeros(2)], [0], use_utility=False)
    assert G == pytest.approx(-math.log(2.0))
    # Two independent noisy channels: less than the sum of their separate information.
    separate = expected_free_energy(qs, NOISY, STAY_SWITCH, np.zeros(2), [0], use_utility=False)
    joint = expected_free_energy(qs, [NOISY, NOISY], STAY_SWITCH, [np.zeros(2), np.zeros(2)], [0], use_utility=False)
    assert 2 * separate < joint < separate


def test_multimodal_utility_is_summed():
    C1, C2 = np.array([0.0, math.log(3.0)]), np.array([math.log(4.0), 0.0])
    G = expected_free_energy(np.array([1.0, 0.0]), [IDENTITY, IDENTITY], STAY_SWITCH, [C1, C2], [1],
                             use_states_info_gain=False)
    assert G == pytest.approx(-math.log(0.75) - math.log(0.2))


def test_parameter_information_gain_hand_computed():
    pA = np.array([[2.0, 1.0], [1.0, 1.0]])
    A = dirichlet_expectation(pA)  # columns (2/3, 1/3) and (1/2, 1/2)
    qs = np.array([1.0, 0.0])
    flags = dict(pA=pA, use_utility=False, use_states_info_gain=False, use_param_info_gain=True)
    # staying in state 0: Σ_o A[o,0] (1/pA[o,0] − 1/Σ pA[:,0]) = 2/3·(1/2 − 1/3) + 1/3·(1 − 1/3) = 1/3
    assert expected_free_energy(qs, A, STAY_SWITCH, np.zeros(2), [0], **flags) == pytest.approx(-1 / 3)
    # moving to the less-visited state 1: 1/2·(1 − 1/2) · 2 = 1/2, more novel
    assert expected_free_energy(qs, A, STAY_SWITCH, np.zeros(2), [1], **flags) == pytest.approx(-1 / 2)
    assert expected_free_energy(qs, A, STAY_SWITCH, np.zeros(2), [1, 1], **flags) == pytest.approx(-1 / 2 - 1 / 3)


def test_parameter_information_gain_ignores_zero_counts():
    pA = np.array([[3.0, 1.0], [0.0, 1.0]])
    A = dirichlet_expectation(pA)
    G = expected_free_energy(np.array([1.0, 0.0]), A, STAY_SWITCH, np.zeros(2), [0], pA=pA,
                             use_utility=False, use_states_info_gain=False, use_param_info_gain=True)
    assert G == pytest.approx(-(1 / 3 - 1 / 3))


def test_infer_policies_softmax_of_negative_free_energy_and_habits():
    C = np.array([0.0, math.log(3.0)])
    qs = np.array([1.0, 0.0])
    policies = construct_policies(2, 2)
    q_pi, G = infer_policies(qs, IDENTITY, STAY_SWITCH, C, policies, gamma=2.0)
    expected_G = [expected_free_energy(qs, IDENTITY, STAY_SWITCH, C, p) for p in policies]
    np.testing.assert_allclose(G, expected_G)
    np.testing.assert_allclose(q_pi, np.exp(-2.0 * G) / np.exp(-2.0 * G).sum())
    E = np.array([0.5, 0.5, 0.0, 0.0])
    q_pi, _ = infer_policies(qs, IDENTITY, STAY_SWITCH, C, policies, gamma=2.0, E=E)
    weights = E * np.exp(-2.0 * G)
    np.testing.assert_allclose(q_pi, weights / weights.sum())


def test_infer_policies_accepts_pymdp_policy_lists():
    policies = [np.array([[a], [b]]) for a in range(2) for b in range(2)]
    q_pi, G = infer_policies(np.array([0.3, 0.7]), NOISY, STAY_SWITCH, np.zeros(2), policies)
    np.testing.assert_allclose(G, infer_policies(np.array([0.3, 0.7]), NOISY, STAY_SWITCH, np.zeros(2),
                                                 construct_policies(2, 2))[1])


def test_construct_policies_enumerates_all_sequences():
    policies = construct_policies(5, 3)
    assert policies.shape == (125, 3)
    assert len({tuple(p) for p in policies}) == 125
    np.testing.assert_array_equal(policies[:2], [[0, 0, 0], [0, 0, 1]])


# ------------------------------------------------------------------ learning
def test_update_dirichlet_A_adds_counts_where_the_model_is_nonzero():
    A = np.array([[1.0, 0.5], [0.0, 0.5]])
    pA = np.ones((2, 2))
    new = update_dirichlet_A(pA, A, 1, np.array([0.25, 0.75]), lr=2.0)
    np.testing.assert_allclose(new, [[1.0, 1.0], [1.0, 2.5]])
    np.testing.assert_array_equal(pA, np.ones((2, 2)))  # input untouched


def test_update_dirichlet_A_multimodal_keeps_the_list_form():
    A = [np.full((2, 2), 0.5), np.full((3, 2), 1 / 3)]
    pA = [np.ones((2, 2)), np.ones((3, 2))]
    new = update_dirichlet_A(pA, A, (0, 2), np.array([1.0, 0.0]))
    assert isinstance(new, list)
    np.testing.assert_allclose(new[0], [[2.0, 1.0], [1.0, 1.0]])
    np.testing.assert_allclose(new[1], [[1.0, 1.0], [1.0, 1.0], [2.0, 1.0]])


def test_update_dirichlet_B_outer_product_of_new_and_previous_beliefs():
    pB = np.ones((2, 2, 2))
    new = update_dirichlet_B(pB, STAY_SWITCH, np.array([0.2, 0.8]), np.array([0.5, 0.5]), action=1, lr=1.0)
    expected = np.ones((2, 2, 2))
    expected[:, :, 1] += np.outer([0.2, 0.8], [0.5, 0.5]) * (STAY_SWITCH[:, :, 1] > 0)
    np.testing.assert_allclose(new, expected)
    np.testing.assert_array_equal(new[:, :, 0], 1.0)


def test_update_preferences_moves_the_observed_outcome_towards_the_reward():
    C = update_preferences(np.zeros(3), 2, reward=1.0, lr=0.5)
    np.testing.assert_allclose(C, [0.0, 0.0, 0.5])
    np.testing.assert_allclose(update_preferences(C, 2, reward=1.0, lr=0.5), [0.0, 0.0, 0.75])
    both = update_preferences([np.zeros(2), np.ones(3)], (1, 0), reward=-1.0, lr=1.0)
    np.testing.assert_allclose(both[0], [0.0, -1.0])
    np.testing.assert_allclose(both[1], [-1.0, 1.0, 1.0])


def test_kl_likelihood_per_state():
    P = np.array([[1.0, 0.5], [0.0, 0.5]])
    Q = np.array([[0.5, 0.5], [0.5, 0.5]])
    np.testing.assert_allclose(kl_likelihood(P, Q), [math.log(2.0), 0.0])


# ------------------------------------------------------------------ validation
@pytest.mark.parametrize("call, message", [
    (lambda: infer_states(0, np.array([[0.5, 0.5], [0.4, 0.5]])), r"A: column \[:, 0\] sums to 0.9"),
    (lambda: infer_states(2, IDENTITY), r"obs\[0\]: index 2 out of range"),
    (lambda: infer_states((0, 1), IDENTITY), "expected 1 observation"),
    (lambda: infer_states(0, IDENTITY, np.array([0.5, 0.6])), "prior: sums to 1.1"),
    (lambda: infer_states(0, [IDENTITY, np.eye(3)]), r"A\[1\]: has 3 states"),
    (lambda: expected_free_energy(np.array([1.0, 0.0]), IDENTITY, np.eye(2)[:, :, None][:, :1], np.zeros(2), [0]),
     "B: expected shape"),
    (lambda: expected_free_energy(np.array([1.0, 0.0]), IDENTITY, STAY_SWITCH, np.zeros(2), [2]),
     "policies: action index out of range"),
    (lambda: expected_free_energy(np.array([1.0, 0.0]), IDENTITY, STAY_SWITCH, np.zeros(3), [0]), r"C: expected shape \(2,\)"),
    (lambda: expected_free_energy(np.array([1.0, 0.0]), IDENTITY, STAY_SWITCH, np.zeros(2), [0], use_param_info_gain=True),
     "needs the Dirichlet parameters pA"),
    (lambda: infer_policies(np.array([1.0, 0.0]), IDENTITY, STAY_SWITCH, np.zeros(2), [[0]], gamma=0.0), "gamma"),
    (lambda: update_dirichlet_A(-np.ones((2, 2)), IDENTITY, 0, np.array([1.0, 0.0])), "pA: contains negative"),
    (lambda: update_dirichlet_B(np.ones((2, 2, 2)), STAY_SWITCH, np.array([1.0, 0.0]), np.array([1.0, 0.0]), 5),
     "action index out of range"),
    (lambda: gridworld_model("tem-grid", ("smell",)), "modalities: invalid value"),
    (lambda: gridworld_model("two-rooms", start=(0, 10)), "not a free cell"),
])
def test_bad_input_gives_one_clear_error(call, message):
    with pytest.raises(HippoError, match=message):
        call()


# ------------------------------------------------------------------ gridworld models
def test_tem_grid_model_shapes_and_moves():
    env = load_environment("tem-grid")
    A, B, C, D = gridworld_model(env, start=(0, 0))
    assert len(A) == 1 and A[0].shape == (12, 64) and B.shape == (64, 64, 5)
    assert cue_outcomes(env) == list("ABCDEFGHIJKL")
    np.testing.assert_allclose(B.sum(axis=0), 1.0)
    next_state = B.argmax(axis=0)
    np.testing.assert_array_equal(next_state[0], [0, 0, 1, 8, 0])  # stay, N (edge), E, S, W (edge)
    assert A[0][cue_outcomes(env).index("F"), 0] == 1.0  # top-left cell carries F
    np.testing.assert_array_equal(D, np.eye(64)[0])
    np.testing.assert_array_equal(C[0], np.zeros(12))


def test_two_rooms_walls_block_and_cues():
    env = load_environment("two-rooms")
    A, B, _, D = gridworld_model(env)
    assert cue_outcomes(env) == ["none", "A", "B"]
    index = env.state_index()
    next_state = B.argmax(axis=0)
    assert next_state[index[0, 9], 2] == index[0, 9]  # east of (0, 9) is the wall
    assert next_state[index[5, 9], 2] == index[5, 10]  # the doorway
    assert A[0][1, index[2, 3]] == 1.0 and A[0][2, index[8, 17]] == 1.0
    np.testing.assert_allclose(D, 1.0 / env.n_free)


def test_periodic_world_wraps_and_location_channel_is_noisy():
    env = load_environment("ring-1m")
    A, B, _, _ = gridworld_model(env, modalities=("cue", "location"), location_noise=0.2)
    next_state = B.argmax(axis=0)
    assert next_state[0, 4] == 99 and next_state[99, 2] == 0  # W from the first cell, E from the last
    location = A[1]
    np.testing.assert_allclose(location.sum(axis=0), 1.0)
    assert location[0, 0] == pytest.approx(0.8)
    assert location[99, 0] == pytest.approx(0.1) and location[1, 0] == pytest.approx(0.1)


# ------------------------------------------------------------------ the agent
def test_agent_infers_states_like_the_function_and_moves_to_preferred_outcome():
    env = load_environment("tem-grid")
    A, B, C, D = gridworld_model(env, start=(7, 4))
    index = env.state_index()
    labels = cue_outcomes(env)
    C[0][labels.index("H")] = 4.0  # the only H is two cells east of the start
    agent = ActiveInferenceAgent(A, B, C, D, policy_len=2, seed=1)
    first = agent.step(labels.index("J"))
    np.testing.assert_allclose(agent.qs, infer_states(labels.index("J"), A, D))
    assert first == 2  # east
    state = B[:, index[7, 4], first].argmax()
    second = agent.step(int(A[0][:, state].argmax()))
    assert second == 2 and B[:, state, second].argmax() == index[7, 6]
    assert agent.step(labels.index("H")) == 0  # stays on the preferred cue


def test_agent_learns_A_by_counts_and_records_diagnostics():
    A, B, C, D = gridworld_model("tem-grid", start=(3, 3))
    pA = [np.full(A[0].shape, 0.5)]
    agent = ActiveInferenceAgent(None, B, C, D, pA=pA, use_param_info_gain=True, seed=0)
    obs = int(A[0][:, 27].argmax())
    agent.step(obs)
    np.testing.assert_allclose(agent.pA[0], update_dirichlet_A(pA, dirichlet_expectation(pA), obs, D)[0])
    for _ in range(20):
        state = int(agent.qs.argmax())
        agent.step(int(A[0][:, B[:, state, agent.action].argmax()].argmax()))
    history = agent.history
    assert set(history) == {"action", "belief_entropy", "dA", "dB", "dC", "stability"}
    assert all(len(v) == 21 for v in history.values())
    assert np.all(history["dA"] > 0) and np.all(history["dB"] == 0)
    assert np.isnan(history["stability"][0]) and np.all((history["stability"][1:] > 0) & (history["stability"][1:] <= 1))
    np.testing.assert_allclose(history["belief_entropy"], 0.0, atol=1e-12)  # start and moves are known


def test_agent_learns_transitions_from_flat_counts(tmp_path):
    path = tmp_path / "corridor.toml"
    path.write_text('cell_size = 0.1\nboundary = "solid"\nmap = """\n...\n"""\n')
    A, B_true, C, D = gridworld_model(parse_environment(path), modalities=("location",), start=(0, 0), location_noise=0.0)
    agent = ActiveInferenceAgent(A, None, C, D, pB=np.ones_like(B_true), policy_len=1, seed=2)
    state, moves = 0, []
    for _ in range(200):
        action = agent.step(state)
        moves.append((state, action))
        state = int(B_true[:, state, action].argmax())
    assert np.all(agent.history["dB"][1:] > 0)
    learned_next = agent.B.argmax(axis=0)
    np.testing.assert_array_equal(learned_next, B_true.argmax(axis=0))
    # the location is observed without noise, so each move adds one whole count to its column of
    # flat counts (1, 1, 1): east from the middle cell reaches (1 + n) / (3 + n) after n such moves
    # (a move is learned at the next step, so the last one is not)
    n = moves[:-1].count((1, 2))
    assert n > 0
    assert agent.B[2, 1, 2] == pytest.approx((1 + n) / (3 + n))


def test_agent_preference_learning_from_reward():
    A, B, C, D = gridworld_model("tem-grid", start=(0, 0))
    agent = ActiveInferenceAgent(A, B, C, D, lr_C=0.5, policy_len=1)
    agent.step(5, reward=2.0)
    assert agent.C[0][5] == pytest.approx(1.0)
    assert agent.history["dC"][0] == pytest.approx(1.0)


def test_agent_is_reproducible_from_its_seed():
    def actions(seed):
        return explore_gridworld("tem-grid", 40, seed).actions

    np.testing.assert_array_equal(actions(3), actions(3))
    assert not np.array_equal(actions(3), actions(4))


def test_agent_rejects_inconsistent_model():
    A, B, C, D = gridworld_model("tem-grid")
    with pytest.raises(HippoError, match="expectation of pA"):
        ActiveInferenceAgent(A, B, C, D, pA=[np.ones_like(A[0])])
    with pytest.raises(HippoError, match="needs the Dirichlet parameters pA"):
        ActiveInferenceAgent(A, B, C, D, use_param_info_gain=True)


# ------------------------------------------------------------------ exploration
@pytest.mark.parametrize("name, n_steps", [("tem-grid", 150), ("two-rooms", 500)])
def test_curious_agent_covers_the_map_faster_than_a_random_walk(name, n_steps):
    env = load_environment(name)
    rng = np.random.default_rng(0)
    starts = rng.integers(env.n_free, size=5)
    runs = [explore_gridworld(env, n_steps, seed, start=env.free_cells[s], record_kl=True) for seed, s in enumerate(starts)]
    agent = steps_to_coverage(coverage_curves(np.stack([r.states for r in runs]), env.n_free), 0.9)
    B = gridworld_model(env)[1]
    walks = random_walk(B.argmax(axis=0), starts, 20 * n_steps, rng)
    walk = steps_to_coverage(coverage_curves(walks, env.n_free), 0.9)
    assert np.all(np.isfinite(agent))
    assert 3 * np.median(agent) < np.median(walk)
    kl = np.stack([r.kl for r in runs])
    assert np.all(kl[:, -1] < 0.5 * kl[:, 0])
    assert np.all(np.diff(np.median(kl, axis=0)[:: n_steps // 10]) < 0)


def test_coverage_helpers():
    curves = coverage_curves(np.array([[0, 0, 1, 2, 1], [3, 2, 1, 0, 0]]), 4)
    np.testing.assert_allclose(curves, [[0.25, 0.25, 0.5, 0.75, 0.75], [0.25, 0.5, 0.75, 1.0, 1.0]])
    np.testing.assert_array_equal(steps_to_coverage(curves, 0.75), [3, 2])
    assert steps_to_coverage(curves, 1.0)[0] == np.inf


# ------------------------------------------------------------------ trajectories
@pytest.mark.parametrize("seed", [5, 6, 7])
def test_trajectory_stays_in_free_cells_at_the_requested_speed(seed):
    env = load_environment("two-rooms")
    trajectory = active_inference_trajectory(env, duration=20.0, dt=0.02, speed=0.25, seed=seed)
    assert len(trajectory) == 1000 and trajectory.position.shape == (1000, 2)
    np.testing.assert_allclose(trajectory.t[:3], [0.0, 0.02, 0.04])
    assert np.all(env.is_free(trajectory.position))
    speed = np.linalg.norm(trajectory.velocity, axis=1)
    assert speed.max() <= 0.25 * 1.01
    assert np.median(speed) > 0.2  # mostly moving, at the requested speed
    np.testing.assert_allclose(np.diff(trajectory.position, axis=0), 0.02 * trajectory.velocity[:-1], atol=2e-3)
    again = active_inference_trajectory(env, duration=20.0, dt=0.02, speed=0.25, seed=seed)
    np.testing.assert_array_equal(trajectory.position, again.position)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_trajectory_on_a_ring_wraps_and_uses_the_location_sense(seed):
    env = load_environment("ring-1m")
    trajectory = active_inference_trajectory(env, duration=4.0, dt=0.025, speed=0.3, seed=seed, smoothing=0.0)
    assert trajectory.position.shape == (160, 1)
    assert np.all((trajectory.position >= 0) & (trajectory.position < 1.0))
    visited = np.unique(env.cell_of(trajectory.position)[:, 1])
    assert len(visited) > 60  # a cue-less ring is still explored (120 moves)


def test_trajectory_rejects_bad_speed():
    with pytest.raises(HippoError, match="speed"):
        active_inference_trajectory("two-rooms", duration=1.0, dt=0.025, speed=0.0, seed=0)


# ------------------------------------------------------------------ experiment
def test_active_exploration_experiment_writes_curves_and_figures(tmp_path):
    run_dir, metrics = run_experiment(
        "active-exploration",
        ["environments=['tem-grid']", "n_seeds=2", "agent_steps=120", "random_walk_steps=3000"],
        out=tmp_path / "run", quiet=True)
    assert read_metrics(run_dir.path)["tem-grid.free_cells"] == 64
    assert metrics["tem-grid.agent_steps_to_target"] < metrics["tem-grid.random_steps_to_target"]
    assert metrics["tem-grid.kl_start"] == pytest.approx(math.log(12))  # flat counts against one of 12 cues
    assert metrics["tem-grid.kl_end"] < metrics["tem-grid.kl_start"]
    for name in ("trajectory", "likelihood", "coverage", "kl"):
        assert (run_dir.path / "figures" / f"{name}.png").stat().st_size > 0
    arrays = np.load(run_dir.path / "exploration.npz")
    assert arrays["tem_grid_coverage_agent"].shape == (2, 121)
    assert arrays["tem_grid_coverage_random"].shape == (2, 3001)
    assert arrays["tem_grid_kl"].shape == (2, 121)


def test_active_exploration_bad_setting_names_the_key():
    with pytest.raises(HippoError, match="coverage_target"):
        run_experiment("active-exploration", ["coverage_target=1.5"], quiet=True)
