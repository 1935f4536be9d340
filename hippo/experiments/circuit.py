"""The circuit study: build → restore → train → save → fit → measure → arrays and figures.

Every experiment that trains a circuit and then measures it runs the same skeleton,
:func:`run_study`; an experiment says only what is its own, in the hooks of a
:class:`CircuitStudy`:

1. ``build(config)`` — the world, the training stream and the engine (a :class:`Built`);
2. with ``start_from`` (``hippo run NAME --from RUN_DIR``) the engine takes that run's
   saved state and the training stream goes on where it stopped (:func:`restore`);
3. ``training(config, built)`` — the training phase, run with progress;
4. ``fit(config, built, trained)`` — what the test needs from training, fitted on its
   record or restored from the saved run when nothing was trained (a decoder, rate maps);
   returns what ``state.npz`` keeps of it;
5. the engine at the end of training, the stream's position and what ``fit`` returned are
   saved (:mod:`hippo.io.run_state`);
6. ``measure(config, built, trained, run_dir, progress)`` — the test and the analyses: metrics
   and arrays, figures queued on ``run_dir``;
7. the training's losses (``train.*`` arrays and the ``loss`` figure), ``arrays.npz`` and
   the learned weights (``weights.npz``) are written.

A run without training (``duration = 0``) is refused unless it starts from a saved run.

The path-integration circuit's settings, shared by the 1-D and 2-D experiments (and, through
the 1-D one, by ``transfer``), are declared once, in :class:`PathIntegrationCircuit`; each
experiment's ``Config`` subclasses it, adds its own and reads the defaults of all of them from the
experiment's TOML preset (``path-integration.toml``, ``path-integration-2d.toml``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from hippo import plotting
from hippo.analysis.path_integration import PathIntegrationTestConfig
from hippo.circuits.spiking_config import SpikingConfig
from hippo.circuits.wiring import PathIntegratorProjections, PyramidalConfig
from hippo.config import bounds, names_file
from hippo.errors import ConfigError
from hippo.io import RunDir
from hippo.io.run_state import load_run_state, save_run_state
from hippo.learning.schedule import ScheduleConfig
from hippo.protocol import Phase, PhaseRecord, run_phases
from hippo.theta import ThetaConfig
from hippo.world.motion import MotionConfig
from hippo.world.senses import SensesConfig

#: The key under which ``state.npz`` keeps the training stream's position (``run:training_cursor``).
CURSOR_KEY = "training_cursor"

#: Keys older saved runs kept the stream's position under (read, never written).
OLD_CURSOR_KEYS = ("stream_cursor",)


@dataclass(frozen=True)
class PathIntegrationCircuit:
    """The path-integration circuit, its training and its test: the settings every path-integration
    experiment shares (the keys stay flat: ``n_mec``, ``test.n_trials``). Times in seconds,
    distances in metres. It declares no defaults: each experiment's ``Config`` subclasses it and
    reads them from its TOML preset (:func:`~hippo.config.preset_defaults`).

    Place-like features of the position (``senses``) drive HPC; MEC receives HPC (basal) and,
    apically, its own recurrent input and conjunctive velocity × MEC cells, in one block per
    preferred direction; the network is trained by theta-gated local learning (``theta``,
    ``schedule``) and tested by the path-integration test (``test``).

    Velocity codings (``velocity_coding``): conjunctive cell ``j`` of the ``+x`` block
    pairs MEC cell ``j`` (rate ``m_j``, 0…1) with the velocity ``v`` (m/s), the ``−x``
    block with ``−v``:

    - ``"paper"``: ``relu(g·v/s + m_j − θ)`` (and ``relu(−g·v/s + m_j − θ)``), with
      ``s = |speed_mean| + speed_std`` of the motion, ``g = velocity_gain`` and
      ``θ = conjunctive_threshold`` (the paper: ``g = 1``, ``θ = 1``: no cell fires at rest).
    - ``"push-pull"``: ``relu(m_j − θ ± k·v)`` with ``k = velocity_slope`` (per m/s) and
      ``0 < θ < 1`` inside the bump: both blocks fire at ``v = 0``, and at speeds with
      ``k·|v| ≤ θ`` both stay selective to the bump, so a linear readout of them can push
      the bump in proportion to ``v``. ``k`` does not depend on the motion statistics.
    - ``"multiplicative"``: ``relu(m_j − θ)·[1 ± k·v]₊`` with ``0 ≤ θ < 1`` (gain
      modulation; rate engine only): at rest both blocks carry the bump, and while
      ``k·|v| ≤ 1`` their difference ``2k·v·relu(m_j − θ)`` is the bump's profile scaled
      by ``v``, so a linear readout can push the bump in proportion to ``v`` at every
      speed up to ``1/k``.

    ``velocity_directions`` sets the blocks' preferred directions ``e_d``
    (:func:`~hippo.circuits.wiring.preferred_directions`): 0 puts them on the world's axes (``±x``
    on a track, ``±x, ±y`` in 2-D); in 2-D an even number ``n ≥ 4`` spaces them ``360°/n`` apart,
    and ``v`` above is then the velocity along ``e_d``, ``v·e_d``.

    Controls (``control``): ``"no-theta"`` trains with θ ≡ 1 throughout; ``"no-velocity"``
    silences the velocity input to the conjunctive cells; ``"untrained"`` runs the training
    phase with learning off.
    """

    experiment: str
    seed: int
    engine: Literal["rate", "spiking"]
    precision: Literal["float32", "float64"]
    spiking: SpikingConfig
    control: Literal["none", "no-theta", "no-velocity", "untrained"]
    environment: str = field(metadata=names_file())
    duration: float = field(metadata=bounds(min=0.0))  # 0 only with --from RUN_DIR
    dt: float = field(metadata=bounds(gt=0.0))
    record_every: int = field(metadata=bounds(min=1))
    n_mec: int = field(metadata=bounds(min=2))
    velocity_coding: Literal["paper", "push-pull", "multiplicative"]
    conjunctive_threshold: float
    velocity_gain: float = field(metadata=bounds(gt=0.0))
    velocity_slope: float = field(metadata=bounds(gt=0.0))
    velocity_directions: int = field(metadata=bounds(min=0))
    motion: MotionConfig
    senses: SensesConfig
    theta: ThetaConfig
    hpc: PyramidalConfig
    mec: PyramidalConfig
    projections: PathIntegratorProjections
    schedule: ScheduleConfig
    test: PathIntegrationTestConfig


def refuse_untrained(duration: float, start_from: Path | None, key: str = "duration") -> None:
    """Refuse a run that trains for 0 s and starts from no saved run: it has no network to measure.

    Raises:
        ConfigError: naming ``--set`` and ``key``.
    """
    if duration == 0 and start_from is None:
        raise ConfigError("--set", key, "0 s of training leaves nothing to test",
                          "> 0 s, or 0 with --from RUN_DIR (test a saved run's network)")


def restore(start_from: Path | None, engine, stream) -> dict:
    """Put ``engine`` in the state saved by the run at ``start_from`` and ``stream`` where that run's
    training stopped; return the saved run's entries (empty, and nothing changed, without ``start_from``)."""
    if start_from is None:
        return {}
    saved = load_run_state(start_from, engine)
    for key in (CURSOR_KEY, *OLD_CURSOR_KEYS):
        if key in saved:
            stream.cursor = int(saved[key])
            break
    return saved


def save(run_dir: RunDir, engine_state: dict, network, stream, kept: dict) -> Path:
    """Write ``state.npz``: the engine's state at the end of training (``engine_state``, of ``network``),
    the training ``stream``'s position (:data:`CURSOR_KEY`) and what the study keeps for a run without
    training (``kept``)."""
    return save_run_state(run_dir, engine_state, network, {**kept, CURSOR_KEY: stream.cursor})


@dataclass
class Built:
    """A built circuit study. Attributes: ``env`` the world, ``stream`` the training session,
    ``engine`` the rate or spiking engine; an experiment's own builder may add more."""

    env: Any
    stream: Any
    engine: Any


@dataclass
class Trained:
    """What training left for the test.

    Attributes:
        record: the training phase's record (empty when nothing was trained).
        saved: the saved run's entries when the run started from one (else empty).
        fitted: what the study's ``fit`` hook set for its ``measure`` hook (a decoder, rate maps).
    """

    record: PhaseRecord
    saved: dict
    fitted: dict = field(default_factory=dict)

    @property
    def trained(self) -> bool:
        """Whether any step was trained (false for ``duration = 0`` from a saved run)."""
        return len(self.record.recording.t) > 0


@dataclass(frozen=True)
class CircuitStudy:
    """The hooks of a circuit study (see the module docstring for the order they run in).

    Attributes:
        build: ``config → Built`` (world, training stream, engine).
        training: ``(config, built) → Phase`` named ``"training"``.
        measure: ``(config, built, trained, run_dir, progress) → (metrics, arrays)``.
        fit: ``(config, built, trained) → kept`` (entries for ``state.npz``); fills ``trained.fitted``.
        duration: ``config →`` seconds of training and the key naming them (for the refusal).
        loss_layers: layers whose training loss becomes ``train.loss.<layer>``.
    """

    build: Callable[[Any], Built]
    training: Callable[[Any, Built], Phase]
    measure: Callable[[Any, Built, Trained, RunDir, bool], tuple[dict, dict]]
    fit: Callable[[Any, Built, Trained], dict] = lambda config, built, trained: {}
    duration: Callable[[Any], tuple[float, str]] = lambda config: (config.duration, "duration")
    loss_layers: tuple[str, ...] = ("hpc", "mec")


def run_study(study: CircuitStudy, config, run_dir: RunDir, progress: bool = True,
              start_from: Path | None = None) -> dict:
    """Run ``study`` on ``config``: the skeleton of the module docstring; returns the metrics.

    Raises:
        ConfigError: the config trains for 0 s without ``start_from``.
    """
    duration, key = study.duration(config)
    refuse_untrained(duration, start_from, key)
    built = study.build(config)
    saved = restore(start_from, built.engine, built.stream)
    record = run_phases(built.engine, [study.training(config, built)], progress)["training"]
    end_of_training = built.engine.get_state()
    trained = Trained(record, saved)
    save(run_dir, end_of_training, built.engine.network, built.stream, study.fit(config, built, trained))
    metrics, arrays = study.measure(config, built, trained, run_dir, progress)
    recording = record.recording
    arrays = {"train.t": recording.t, **{f"train.loss.{layer}": recording.loss[layer] for layer in study.loss_layers},
              **arrays}
    if trained.trained:
        run_dir.figure("loss", lambda path: plotting.loss_curves(recording, path))
    run_dir.write_arrays("arrays", arrays)
    run_dir.write_arrays("weights", built.engine.all_weights())
    return metrics
