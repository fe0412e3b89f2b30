"""What every package of the framework shares: units and constants, the whole-steps rule,
the internal-error root and the one did-you-mean helper.

``common`` imports no other package of the project, so ``electrical``, ``biochem``,
``sync`` and ``multiscale`` may all import it without depending on each other
(DESIGN.md section 2).
"""

from .errors import InternalError, did_you_mean
from .steps import TICK_ROUNDING, whole_steps

__all__ = ["TICK_ROUNDING", "InternalError", "did_you_mean", "whole_steps"]
