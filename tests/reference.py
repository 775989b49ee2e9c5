"""Plain-NumPy update rules written straight from the formulas, to check the numba kernels.

Deliberately simple and independent of ``optbook.optimizers``: whole-array NumPy expressions,
powers with ``**`` (the library keeps running products), hyper-parameters by keyword, each rule
transcribed from the algorithm its constructor documents (PyTorch's algorithm boxes for the
options PyTorch has). ``grad(x)`` returns the gradient at ``x``; ``lr_at(t)`` the learning rate
of step ``t``.
"""

import numpy as np

DEFAULTS = {
    "weight_decay": 0.0, "dampening": 0.0, "initial_accumulator": 0.0, "lr_decay": 0.0,
    "centered": False, "momentum": 0.0, "amsgrad": False,
}


def reference_run(name, grad, x0, steps, *, form=None, lr_at=None, clip=None, **h):
    """Iterates ``x_0 .. x_steps`` (float64) of rule ``name`` with hyper-parameters ``h``."""
    h = {**DEFAULTS, **h}
    form = form or {"momentum": "velocity", "nesterov": "lookahead"}.get(name)
    x = np.array(x0, dtype=np.float64)
    z = np.zeros_like(x)
    m, v, v_max, s, u, bar, g_avg, buf = (z.copy() for _ in range(8))
    rates = np.full_like(x, h["lr"])
    r = np.full_like(x, h["initial_accumulator"])
    mu_product = 1.0
    wd = h["weight_decay"]
    out = [x.copy()]
    for t in range(1, steps + 1):
        lr = h["lr"] if lr_at is None else lr_at(t)
        point = x - h["gamma"] * v if name == "nesterov" and form == "lookahead" else x
        g = grad(point)
        if clip is not None and clip[0] == "value":
            g = np.clip(g, -clip[1], clip[1])
        elif clip is not None and np.linalg.norm(g) > clip[1]:
            g = g * (clip[1] / np.linalg.norm(g))
        if wd != 0 and name != "adamw":  # coupled decay: the gradient of + wd/2 |point|^2
            g = g + wd * point
        if name == "gd":
            x = x - lr * g
        elif name == "momentum" and form == "pytorch":  # torch.optim.SGD's box
            buf = g if t == 1 else h["gamma"] * buf + (1 - h["dampening"]) * g
            x = x - lr * buf
        elif name in ("momentum", "nesterov") and form in ("velocity", "lookahead"):
            v = h["gamma"] * v + lr * g  # look-ahead: g was taken at x - gamma v
            x = x - v
        elif name == "nesterov" and form == "reformulated":  # Bengio et al. 2012
            v = h["gamma"] * v + lr * g
            x = x - h["gamma"] * v - lr * g
        elif name == "nesterov" and form == "pytorch":  # torch.optim.SGD(nesterov=True)'s box
            buf = g if t == 1 else h["gamma"] * buf + g
            x = x - lr * (g + h["gamma"] * buf)
        elif name == "delta_bar_delta":  # Jacobs 1988
            rates = np.where(bar * g > 0, rates + h["kappa"], rates)
            rates = np.where(bar * g < 0, (1 - h["phi"]) * rates, rates)
            x = x - (lr / h["lr"]) * rates * g
            bar = (1 - h["theta"]) * g + h["theta"] * bar
        elif name == "adagrad":  # torch.optim.Adagrad's box, sum starting at r_0
            decayed = lr / (1 + (t - 1) * h["lr_decay"])
            r = r + g**2
            x = x - decayed * g / (np.sqrt(r) + h["eps"])
        elif name == "rmsprop":  # torch.optim.RMSprop's box
            s = h["rho"] * s + (1 - h["rho"]) * g**2
            s_tilde = s
            if h["centered"]:
                g_avg = h["rho"] * g_avg + (1 - h["rho"]) * g
                s_tilde = s - g_avg**2
            if h["momentum"] > 0:
                buf = h["momentum"] * buf + g / (np.sqrt(s_tilde) + h["eps"])
                x = x - lr * buf
            else:
                x = x - lr * g / (np.sqrt(s_tilde) + h["eps"])
        elif name == "adadelta":  # Zeiler 2012, Algorithm 1, with a learning rate as PyTorch
            s = h["rho"] * s + (1 - h["rho"]) * g**2
            delta = np.sqrt(u + h["eps"]) / np.sqrt(s + h["eps"]) * g
            u = h["rho"] * u + (1 - h["rho"]) * delta**2
            x = x - lr * delta
        elif name in ("adam", "adamw", "amsgrad"):  # torch.optim.Adam / AdamW's boxes
            if name == "adamw":
                x = x - lr * wd * x
            m = h["beta1"] * m + (1 - h["beta1"]) * g
            v = h["beta2"] * v + (1 - h["beta2"]) * g**2
            v_max = np.maximum(v_max, v)
            m_hat = m / (1 - h["beta1"] ** t)
            use_max = name == "amsgrad" or h["amsgrad"]
            v_hat = (v_max if use_max else v) / (1 - h["beta2"] ** t)
            x = x - lr * m_hat / (np.sqrt(v_hat) + h["eps"])
        elif name == "adamax":  # torch.optim.Adamax's algorithm box
            m = h["beta1"] * m + (1 - h["beta1"]) * g
            u = np.maximum(h["beta2"] * u, np.abs(g) + h["eps"])
            x = x - lr / (1 - h["beta1"] ** t) * m / u
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
