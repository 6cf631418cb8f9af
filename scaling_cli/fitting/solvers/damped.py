"""The bounded Levenberg-Marquardt step both batched solvers take (``solver.py``, ``form_solver.py``).

Each problem (row) solves (H + lambda diag(H)) step = -g and the trial point is clipped into the
search box. Clipping alone goes wrong when the optimum lies on a bound: the step is computed as if
the bound parameter could still move, the clip then cancels that part but not what the others did
to make room for it, the trial is rejected, the damping grows, and the problem creeps along the
bound (the OLMo ladder's step 2, whose sigmoid ceiling b = 1: 200 steps without converging). So a
parameter that sits on a bound with the gradient pushing it outward is held: its row and column of
the system become the identity's and its step is 0, and the others take the step of the problem
restricted to them (a projected Newton step). When the gradient turns inward it moves again.
"""

from __future__ import annotations

import numpy as np


def held_at_bounds(theta: np.ndarray, gradient: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """The parameters on a bound whose descent direction (-gradient) points out of the box."""
    return ((theta <= lower) & (gradient > 0)) | ((theta >= upper) & (gradient < 0))


def damped_trial(
    theta: np.ndarray, gradient: np.ndarray, matrix: np.ndarray, damping: np.ndarray, lower: np.ndarray, upper: np.ndarray
) -> np.ndarray:
    """The clipped trial point of every problem: theta (rows), its gradient and Gauss-Newton matrix."""
    eye = np.eye(theta.shape[1])
    scale = np.maximum(np.diagonal(matrix, axis1=1, axis2=2), 1e-12)
    system = matrix + damping[:, None, None] * scale[:, None, :] * eye
    held = held_at_bounds(theta, gradient, lower, upper)
    if held.any():
        free = ~held
        system = np.where(free[:, :, None] & free[:, None, :], system, eye)
        gradient = np.where(free, gradient, 0.0)
    try:
        step = -np.linalg.solve(system, gradient[..., None])[..., 0]
    except np.linalg.LinAlgError:
        step = -np.array([np.linalg.lstsq(m, g, rcond=None)[0] for m, g in zip(system, gradient)])
    return np.clip(theta + step, lower, upper)
