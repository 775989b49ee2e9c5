"""Plain-NumPy update rules written straight from the formulas, to check the numba kernels.

Deliberately simple and independent of ``optbook.optimizers``: whole-array NumPy expressions,
powers with ``**`` (the library keeps running products), hyper-parameters by keyword.
``grad(x)`` returns the gradient at ``x``; ``lr_at(t)`` the learning rate of step ``t``.
"""

import numpy as np


def reference_run(name, grad, x0, steps, *, form=None, lr_at=None, clip=None, **h):
    """Iterates ``x_0 .. x_steps`` (float64) of rule ``name`` with hyper-parameters ``h``."""
    x = np.array(x0, dtype=np.float64)
    z = np.zeros_like(x)
    m, v, v_max, s, u, rates, bar = z.copy(), z.copy(), z.copy(), z.copy(), z.copy(), z, z.copy()
    if name == "delta_bar_delta":
        rates = np.full_like(x, h["lr"])
    mu_product = 1.0
    out = [x.copy()]
    for t in range(1, steps + 1):
        lr = h["lr"] if lr_at is None else lr_at(t)
        if name == "nesterov" and form == "lookahead":
            g = grad(x - h["gamma"] * v)
        else:
            g = grad(x)
        if clip is not None and clip[0] == "value":
            g = np.clip(g, -clip[1], clip[1])
        elif clip is not None and np.linalg.norm(g) > clip[1]:
            g = g * (clip[1] / np.linalg.norm(g))
        if name == "gd":
            x = x - lr * g
        elif name == "momentum" and form == "pytorch":  # b = mu b + g, x -= lr b
            v = h["gamma"] * v + g
            x = x - lr * v
        elif name in ("momentum", "nesterov") and form != "reformulated":  # v = g v + lr g
            v = h["gamma"] * v + lr * g
            x = x - v
        elif name == "nesterov":  # Bengio et al. 2012: x -= gamma v_new + lr g
            v = h["gamma"] * v + lr * g
            x = x - h["gamma"] * v - lr * g
        elif name == "delta_bar_delta":  # Jacobs 1988
            rates = np.where(bar * g > 0, rates + h["kappa"], rates)
            rates = np.where(bar * g < 0, (1 - h["phi"]) * rates, rates)
            x = x - (lr / h["lr"]) * rates * g
            bar = (1 - h["theta"]) * g + h["theta"] * bar
        elif name == "adagrad":
            s = s + g**2
            x = x - lr * g / (np.sqrt(s) + h["eps"])
        elif name == "rmsprop":
            s = h["rho"] * s + (1 - h["rho"]) * g**2
            x = x - lr * g / (np.sqrt(s) + h["eps"])
        elif name == "adadelta":  # Zeiler 2012, Algorithm 1, with a learning rate as PyTorch
            s = h["rho"] * s + (1 - h["rho"]) * g**2
            delta = np.sqrt(u + h["eps"]) / np.sqrt(s + h["eps"]) * g
            u = h["rho"] * u + (1 - h["rho"]) * delta**2
            x = x - lr * delta
        elif name in ("adam", "adamw", "amsgrad"):
            if name == "adamw":
                x = x - lr * h["weight_decay"] * x
            m = h["beta1"] * m + (1 - h["beta1"]) * g
            v = h["beta2"] * v + (1 - h["beta2"]) * g**2
            v_max = np.maximum(v_max, v)
            m_hat = m / (1 - h["beta1"] ** t)
            v_hat = (v_max if name == "amsgrad" else v) / (1 - h["beta2"] ** t)
            x = x - lr * m_hat / (np.sqrt(v_hat) + h["eps"])
        elif name == "nadam":  # torch.optim.NAdam's algorithm box
            psi = h["momentum_decay"]
            mu = h["beta1"] * (1 - 0.5 * 0.96 ** (t * psi))
            mu_next = h["beta1"] * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
            mu_product = mu_product * mu
            m = h["beta1"] * m + (1 - h["beta1"]) * g
            v = h["beta2"] * v + (1 - h["beta2"]) * g**2
            v_hat = v / (1 - h["beta2"] ** t)
            m_bar = mu_next * m / (1 - mu_product * mu_next) + (1 - mu) * g / (1 - mu_product)
            x = x - lr * m_bar / (np.sqrt(v_hat) + h["eps"])
        else:
            raise ValueError(f"no reference for {name!r} form {form!r}")
        out.append(x.copy())
    return np.array(out)
