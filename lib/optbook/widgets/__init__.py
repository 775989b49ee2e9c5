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
* :class:`~optbook.widgets.momentum_map.MomentumRateMap`: heavy ball's measured rate
  over the :math:`(\eta, \gamma)` plane, the stability boundary and Polyak's optimum over it,
  and the path at the chosen point.

The drawing engine they share (layered redraws, the published image, weak callbacks) is
:mod:`optbook.widgets.engine`. Values past a stability bound are allowed: divergence is part of
the lesson. A run that diverges is drawn up to its last finite iterate and labelled "diverged at
step k". Values outside a control's range raise ``ValueError`` naming the control and the range.
"""

from optbook.widgets.controls import LABEL_SLIDERS, check, hyper_spec, make_widget, spec
from optbook.widgets.engine import ARTISTS, FIGURE, SCENERY, Explorer
from optbook.widgets.momentum_map import MomentumRateMap
from optbook.widgets.quadratic_rate import QuadraticRateExplorer
from optbook.widgets.trajectory import TrajectoryExplorer

__all__ = [
    "ARTISTS",
    "FIGURE",
    "LABEL_SLIDERS",
    "SCENERY",
    "Explorer",
    "MomentumRateMap",
    "QuadraticRateExplorer",
    "TrajectoryExplorer",
    "check",
    "hyper_spec",
    "make_widget",
    "spec",
]
