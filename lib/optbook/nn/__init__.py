r"""The network toolkit: small networks written by hand, trained by the book's update rules.

Every layer has a hand-written forward and backward pass (:mod:`~optbook.nn.layers`); a
:class:`~optbook.nn.network.Sequential` network keeps all parameters in one flat vector, so
one call of an update rule from :mod:`optbook.optimizers` moves the whole network
(:mod:`~optbook.nn.stepping`, the only module that calls them). Around that: losses,
initialisers, a gradient check, the training loop with its records, the instruments later
chapters use, and a scalar autograd for the backpropagation chapter::

    from optbook import data, nn, optimizers

    d = data.digits(seed=0)
    net = nn.Sequential(nn.Linear(64, 100), nn.ReLU(), nn.Linear(100, 10), seed=0)
    history = nn.train(net, "cross_entropy", optimizers.adam(1e-3), (d.X_train, d.y_train),
                       validation=(d.X_val, d.y_val), epochs=20, batch_size=64)

Element-wise work runs in numba kernels (:mod:`~optbook.nn.kernels`); matrix products are
NumPy's (BLAS).
"""

from . import init
from .autograd import Value, draw_graph, topological_order
from .gradcheck import GradientCheck, gradient_check, relative_error
from .instruments import (
    Predictions,
    TopEigenvalue,
    ensemble_predict,
    hessian,
    hessian_vector_product,
    loss_along_segment,
    mc_dropout_predict,
    permute_units,
    softmax,
    top_hessian_eigenvalue,
)
from .layers import (
    Activation,
    BatchNorm1d,
    Dropout,
    Layer,
    LeakyReLU,
    Linear,
    ReLU,
    Sigmoid,
    Tanh,
    activation_statistics,
)
from .losses import MSE, CrossEntropy, Loss
from .network import Sequential, Trace, mlp
from .symmetry import permutation_average, unit_statistics
from .threads import single_blas_thread
from .train import History, train

__all__ = [
    "MSE",
    "Activation",
    "BatchNorm1d",
    "CrossEntropy",
    "Dropout",
    "GradientCheck",
    "History",
    "Layer",
    "LeakyReLU",
    "Linear",
    "Loss",
    "Predictions",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Tanh",
    "TopEigenvalue",
    "Trace",
    "Value",
    "activation_statistics",
    "draw_graph",
    "ensemble_predict",
    "gradient_check",
    "hessian",
    "hessian_vector_product",
    "init",
    "loss_along_segment",
    "mc_dropout_predict",
    "mlp",
    "permutation_average",
    "permute_units",
    "relative_error",
    "single_blas_thread",
    "softmax",
    "top_hessian_eigenvalue",
    "topological_order",
    "train",
    "unit_statistics",
]
