"""Active inference on a discrete state space with one hidden-state factor, as pure functions.

The generative model is a partially observed Markov decision process. Arrays follow
the conventions of pymdp's numpy API (``pymdp.legacy``), so a model moves between the
two unchanged:

* ``A`` — observation likelihood: a list with one array per modality, ``A[m]`` of shape
  ``(n_obs_m, n_states)`` with ``A[m][o, s] = p(o_m = o | s)`` (columns sum to 1). A
  single 2-D array stands for a one-modality list everywhere.
* ``B`` — transitions, shape ``(n_states, n_states, n_actions)``,
  ``B[s', s, a] = p(s' | s, a)`` (columns sum to 1).
* ``C`` — log-preferences over observations: one ``(n_obs_m,)`` array per modality.
  Only differences within a modality matter: they enter through ``log softmax(C[m])``.
* ``D`` — prior over the first state, ``(n_states,)``.
* ``qs`` — a belief over states, ``(n_states,)``.
* a policy — a sequence of action indices, ``(T,)``; ``policies`` is ``(n_policies, T)``
  (pymdp's list of ``(T, 1)`` arrays is accepted too).
* ``pA``, ``pB`` — Dirichlet concentration parameters (pseudo-counts), shaped as ``A``, ``B``.

The expected free energy ``G`` returned here is the quantity itself (lower is better;
pymdp returns its negative). Information quantities are in nats.

Modules, as in pymdp: :mod:`~hippo.learning.active_inference.inference` (state
posteriors), :mod:`~hippo.learning.active_inference.control` (policies, expected free
energy, action choice), :mod:`~hippo.learning.active_inference.learning` (Dirichlet and
preference updates), with :mod:`~hippo.learning.active_inference.checks` (validation)
and :mod:`~hippo.learning.active_inference.maths`. The agent built on them is
:class:`hippo.agents.ActiveInferenceAgent`; the model of a gridworld is
:func:`hippo.world.gridworld_model.gridworld_model`.
"""

from hippo.learning.active_inference.checks import (
    check_dirichlet,
    check_distribution,
    check_likelihood,
    check_observation,
    check_policies,
    check_preferences,
    check_transitions,
)
from hippo.learning.active_inference.control import (
    construct_policies,
    expected_free_energy,
    infer_policies,
    policy_posterior,
    sample_action,
    transition_operators,
)
from hippo.learning.active_inference.inference import infer_states
from hippo.learning.active_inference.learning import update_dirichlet_A, update_dirichlet_B, update_preferences
from hippo.learning.active_inference.maths import dirichlet_expectation, kl_likelihood

__all__ = [
    "check_dirichlet", "check_distribution", "check_likelihood", "check_observation", "check_policies",
    "check_preferences", "check_transitions", "construct_policies", "dirichlet_expectation",
    "expected_free_energy", "infer_policies", "infer_states", "kl_likelihood", "policy_posterior",
    "sample_action", "transition_operators", "update_dirichlet_A", "update_dirichlet_B", "update_preferences",
]
