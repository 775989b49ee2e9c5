r"""The book's explorers: ipywidgets controls over figures that the library recomputes live.

Each explorer is an object holding its ipywidgets layout (its ``widget`` attribute; the
explorer itself displays as that layout in a notebook) and an ``update(**values)``
method that sets controls by name, recomputes with :mod:`optbook.run` and :mod:`optbook.theory`
and redraws. Tests and benchmarks call ``update`` directly, with no browser and no kernel.
``control_specs()`` lists its controls as JSON-serialisable specifications
(:mod:`optbook.widgets.controls`), from which the ipywidgets controls are made and from which
the static book makes its own; ``alt_text()`` says in words what the figure shows, and is the
image's alternative text.

* :class:`~optbook.widgets.trajectory.TrajectoryExplorer`: up to three optimizers on a
  landscape, their paths over the level sets and their losses, with theory on quadratics.
* :class:`~optbook.widgets.quadratic_rate.QuadraticRateExplorer`: gradient descent on
  a quadratic of condition number :math:`\kappa`; the contraction :math:`|1-\eta\lambda_i|` per
  direction against :math:`\eta`, and the measured rate of a run.
* :class:`~optbook.widgets.cliff_clipping.CliffClippingExplorer`: gradient descent on the
  cliff landscape with its gradient clipped by value, by norm or not at all; the path and the
  step lengths (every control takes a few values: 48 combinations for the static book).
* :class:`~optbook.widgets.optimizer_race.OptimizerRace`: an adaptive rule against gradient
  descent at the same learning rate on one of four landscapes, with the first step's length
  against its closed form.
* :class:`~optbook.widgets.momentum_map.MomentumRateMap`: heavy ball's measured rate
  over the :math:`(\eta, \gamma)` plane, the stability boundary and Polyak's optimum over it,
  and the path at the chosen point.
* :class:`~optbook.widgets.depth_variance.DepthVarianceExplorer`: the mean squares of the
  signal and of the gradient through a deep network, layer by layer, measured in one network
  over the mean-field prediction, for a choice of activation, width, depth and weight scale.
* :class:`~optbook.widgets.dropout_digits.DropoutDigitsExplorer`: the dropout chapter's
  networks on the digits, trained once by :func:`optbook.dropout.digits_sweep`, one drop
  probability and width at a time; their training curves and the validation loss of their
  Monte-Carlo, geometric-mean and weight-scaled predictions.
* :class:`~optbook.widgets.noise_ball.NoiseBallExplorer`: mini-batch SGD runs on a
  least-squares problem at a chosen rate, batch size and schedule; their spread and excess loss
  over the exact moments and the noise floor of the current rate.
* :class:`~optbook.widgets.babysitter.BabysitterExplorer`: a run of the digits network at a
  learning rate, weight decay, initial scale and drop probability, seen through the monitors of
  the chapter on training in practice (losses, accuracies, update ratios, dead units); its 48
  slider stops are training runs computed once per version of the library.
* :class:`~optbook.widgets.batchnorm_sharpness.BatchNormSharpnessExplorer`: SGD on a deep ReLU
  network of the digits with and without batch norm, its loss and its sharpness against
  :math:`2/\eta`, over a grid of precomputed states (learning rate, depth, batch size).

The drawing engine they share (layered redraws, the published image, weak callbacks) is
:mod:`optbook.widgets.engine`. Values past a stability bound are allowed: divergence is part of
the lesson. A run that diverges is drawn up to its last finite iterate and labelled "diverged at
step k". Values outside a control's range raise ``ValueError`` naming the control and the range.
"""

from optbook.widgets.babysitter import BabysitterExplorer
from optbook.widgets.batchnorm_sharpness import BatchNormSharpnessExplorer
from optbook.widgets.cliff_clipping import CliffClippingExplorer
from optbook.widgets.controls import LABEL_SLIDERS, check, hyper_spec, make_widget, spec
from optbook.widgets.depth_variance import DepthVarianceExplorer
from optbook.widgets.dropout_digits import DropoutDigitsExplorer
from optbook.widgets.engine import ARTISTS, FIGURE, SCENERY, Explorer
from optbook.widgets.momentum_map import MomentumRateMap
from optbook.widgets.noise_ball import NoiseBallExplorer
from optbook.widgets.optimizer_race import OptimizerRace
from optbook.widgets.quadratic_rate import QuadraticRateExplorer
from optbook.widgets.trajectory import TrajectoryExplorer

__all__ = [
    "ARTISTS",
    "FIGURE",
    "LABEL_SLIDERS",
    "SCENERY",
    "BabysitterExplorer",
    "BatchNormSharpnessExplorer",
    "CliffClippingExplorer",
    "DepthVarianceExplorer",
    "DropoutDigitsExplorer",
    "Explorer",
    "MomentumRateMap",
    "NoiseBallExplorer",
    "OptimizerRace",
    "QuadraticRateExplorer",
    "TrajectoryExplorer",
    "check",
    "hyper_spec",
    "make_widget",
    "spec",
]
