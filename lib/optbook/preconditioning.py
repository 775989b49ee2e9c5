r"""Diagonal preconditioning of a quadratic, seen as a change of coordinates.

Preconditioned gradient descent with :math:`D = \mathrm{diag}(H_{11}, \dots, H_{nn})`,

.. math:: x_{t+1} = x_t - \eta\,D^{-1}\nabla f(x_t),

becomes plain gradient descent in the coordinates :math:`y = D^{1/2}x`: with
:math:`f(x) = \tfrac12 (x-x^*)^\top H (x-x^*)` the cost in :math:`y` has the Hessian
:math:`D^{-1/2}HD^{-1/2}`, whose diagonal is all ones (EE 628 Lecture 5 on preconditioning;
Nocedal and Wright 2006, section 5.1 on preconditioners). :func:`diagonal_preconditioned`
returns that quadratic, so the library's own gradient descent runs the preconditioned method
and its condition number is the landscape's ``condition_number``.
"""

from __future__ import annotations

import math

import numpy as np

from optbook import landscapes


def diagonal_preconditioned(landscape):
    r"""The quadratic seen by diagonally preconditioned GD, and the scale :math:`d` with
    :math:`y = d \odot x`, :math:`d_j = \sqrt{H_{jj}}`.

    ``landscape`` must be a 2-D quadratic (code ``QUADRATIC``) with a positive diagonal.
    Returns ``(preconditioned, d)``: ``preconditioned`` is the quadratic
    :math:`\tfrac12 (y-y^*)^\top D^{-1/2}HD^{-1/2}(y-y^*)` with :math:`y^* = d\odot x^*`, built
    by :func:`optbook.landscapes.quadratic` from its eigenvalues and eigenvector angle; map a
    path back with ``positions / d``. Its minimum value is 0 (the landscape's :math:`f^*` is
    not carried over).
    """
    if not (isinstance(landscape, landscapes.Landscape) and landscape.code == landscapes.QUADRATIC
            and landscape.dim == 2):
        raise ValueError(f"landscape must be a 2-D quadratic Landscape, got {landscape!r}")
    hess = landscape.hessian(landscape.minimizers[0])
    if np.any(np.diag(hess) <= 0):
        raise ValueError(f"the Hessian's diagonal must be > 0, got {np.diag(hess)}")
    d = np.sqrt(np.diag(hess))
    mu, vecs = np.linalg.eigh(hess / np.outer(d, d))
    angle = math.atan2(vecs[1, 0], vecs[0, 0])
    return landscapes.quadratic(mu, angle=angle, center=d * landscape.minimizers[0]), d
