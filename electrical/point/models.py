"""Point-neuron model descriptions: the Hill-Tononi neuron (NEST's ``ht_neuron``).

A point-neuron model is a small ODE system per neuron: named state variables,
receptor ports (spikes of weight w on port X add ``w * c_X`` to a state), a
threshold/reset/refractory rule and recordables.  A model description holds
parameters only (no run-time state); :class:`electrical.point.Network` builds
populations of it and integrates them in compiled code (:mod:`._ht_kernel`).

Units: the Hill-Tononi model has no capacitance.  Conductances are dimensionless
and "currents" are in mV (they enter dV/dt divided by tau_m [ms]); NEST's figure
labels "nS" and "pA" are nominal.  Equations, defaults and the numerical scheme:
Hill & Tononi (2005) as implemented by NEST 3.10 ``ht_neuron`` (SEEDS.md section 0).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np

from ..errors import ModelError, UnknownParameterError, did_you_mean
from ..mechanisms.base import Param

__all__ = ["HTNeuron", "beta_normalization_factor"]

_INF = math.inf
_POS = (0.0, _INF)


def _p(default, unit, bounds=(-_INF, _INF), doc=""):
    return Param(float(default), unit, bounds, doc)


def beta_normalization_factor(tau_rise_ms: float, tau_decay_ms: float) -> float:
    """Jump into ``dg`` [1/ms] per unit weight that makes the beta function peak at 1.

    c = (1/tau_rise - 1/tau_decay) / (exp(-t_p/tau_decay) - exp(-t_p/tau_rise)) with
    t_p = tau_decay tau_rise ln(tau_decay/tau_rise) / (tau_decay - tau_rise); when the
    two time constants (or the peak value) are equal to machine precision, the alpha
    function's e/tau_decay (NEST's ``beta_normalization_factor``).
    """
    eps = np.finfo(float).eps
    diff = tau_decay_ms - tau_rise_ms
    peak = 0.0
    if abs(diff) > eps:
        t_p = tau_decay_ms * tau_rise_ms * math.log(tau_decay_ms / tau_rise_ms) / diff
        peak = math.exp(-t_p / tau_decay_ms) - math.exp(-t_p / tau_rise_ms)
    if abs(peak) < eps:
        return math.e / tau_decay_ms
    return (1.0 / tau_rise_ms - 1.0 / tau_decay_ms) / peak


# The parameter order is the layout of the compiled kernel's parameter array
# (electrical.point._ht_kernel reads them by these positions).
_PARAMS: dict[str, Param] = {
    "E_Na": _p(30.0, "mV", doc="Na leak reversal; V and theta are set to it at a spike"),
    "E_K": _p(-90.0, "mV", doc="K leak reversal; target of the post-spike current"),
    "g_NaL": _p(0.2, "1", _POS, "Na leak conductance"),
    "g_KL": _p(1.0, "1", _POS, "K leak conductance"),
    "tau_m": _p(16.0, "ms", (1e-12, _INF), "membrane time constant (all currents but I_spike)"),
    "theta_eq": _p(-51.0, "mV", doc="threshold equilibrium"),
    "tau_theta": _p(2.0, "ms", (1e-12, _INF), "threshold relaxation time constant"),
    "tau_spike": _p(1.75, "ms", (1e-12, _INF), "time constant of the repolarising K current"),
    "t_ref": _p(2.0, "ms", _POS, "refractory period = duration of I_spike"),
    "g_peak_AMPA": _p(0.1, "1", _POS, "AMPA peak conductance per unit weight"),
    "tau_rise_AMPA": _p(0.5, "ms", (1e-12, _INF), "AMPA rise time constant"),
    "tau_decay_AMPA": _p(2.4, "ms", (1e-12, _INF), "AMPA decay time constant"),
    "E_rev_AMPA": _p(0.0, "mV", doc="AMPA reversal"),
    "g_peak_NMDA": _p(0.075, "1", _POS, "NMDA peak conductance per unit weight"),
    "tau_rise_NMDA": _p(4.0, "ms", (1e-12, _INF), "NMDA rise time constant"),
    "tau_decay_NMDA": _p(40.0, "ms", (1e-12, _INF), "NMDA decay time constant"),
    "E_rev_NMDA": _p(0.0, "mV", doc="NMDA reversal"),
    "V_act_NMDA": _p(-25.57, "mV", doc="NMDA unblock half-activation"),
    "S_act_NMDA": _p(0.081, "1/mV", doc="NMDA unblock slope"),
    "tau_Mg_slow_NMDA": _p(22.7, "ms", (1e-12, _INF), "slow Mg unblock time constant"),
    "tau_Mg_fast_NMDA": _p(0.68, "ms", (1e-12, _INF), "fast Mg unblock time constant"),
    "g_peak_GABA_A": _p(0.33, "1", _POS, "GABA_A peak conductance per unit weight"),
    "tau_rise_GABA_A": _p(1.0, "ms", (1e-12, _INF), "GABA_A rise time constant"),
    "tau_decay_GABA_A": _p(7.0, "ms", (1e-12, _INF), "GABA_A decay time constant"),
    "E_rev_GABA_A": _p(-70.0, "mV", doc="GABA_A reversal"),
    "g_peak_GABA_B": _p(0.0132, "1", _POS, "GABA_B peak conductance per unit weight"),
    "tau_rise_GABA_B": _p(60.0, "ms", (1e-12, _INF), "GABA_B rise time constant"),
    "tau_decay_GABA_B": _p(200.0, "ms", (1e-12, _INF), "GABA_B decay time constant"),
    "E_rev_GABA_B": _p(-90.0, "mV", doc="GABA_B reversal"),
    "g_peak_NaP": _p(1.0, "1", _POS, "persistent Na peak conductance"),
    "E_rev_NaP": _p(30.0, "mV", doc="persistent Na reversal"),
    "N_NaP": _p(3.0, "1", _POS, "exponent of m_inf in I_NaP"),
    "g_peak_KNa": _p(1.0, "1", _POS, "Na-dependent K peak conductance"),
    "E_rev_KNa": _p(-90.0, "mV", doc="Na-dependent K reversal"),
    "tau_D_KNa": _p(1250.0, "ms", (1e-12, _INF), "time constant of the Na-influx variable D"),
    "g_peak_T": _p(1.0, "1", _POS, "low-threshold Ca (T) peak conductance"),
    "E_rev_T": _p(0.0, "mV", doc="T-current reversal"),
    "N_T": _p(2.0, "1", _POS, "exponent of m in I_T"),
    "g_peak_h": _p(1.0, "1", _POS, "h-current peak conductance"),
    "E_rev_h": _p(-40.0, "mV", doc="h-current reversal"),
}

_FLAGS = {
    "voltage_clamp": "testing switch: V held at its value at the start of the run",
    "instant_unblock_NMDA": "NMDA unblock m_NMDA = m_eq(V) instead of the two-stage kinetics",
}

# State layout (as in NEST's ht_neuron: index = position in the kernel's state array).
STATE_NAMES = (
    "V_m",
    "theta",
    "dg_AMPA",
    "g_AMPA",
    "dg_NMDA_TIMECOURSE",
    "g_NMDA_TIMECOURSE",
    "dg_GABA_A",
    "g_GABA_A",
    "dg_GABA_B",
    "g_GABA_B",
    "m_fast_NMDA",
    "m_slow_NMDA",
    "m_Ih",
    "D_IKNa",
    "m_IT",
    "h_IT",
)
STATE_UNITS = {n: "1" for n in STATE_NAMES} | {
    "V_m": "mV",
    "theta": "mV",
    "dg_AMPA": "1/ms",
    "dg_NMDA_TIMECOURSE": "1/ms",
    "dg_GABA_A": "1/ms",
    "dg_GABA_B": "1/ms",
}
RECEPTORS = MappingProxyType({"AMPA": 1, "NMDA": 2, "GABA_A": 3, "GABA_B": 4})
# recordable -> unit (g are dimensionless; the model's "currents" are in mV, see module doc)
RECORDABLES = MappingProxyType(
    {
        "V_m": "mV",
        "theta": "mV",
        "g_AMPA": "1",
        "g_NMDA": "1",
        "g_GABA_A": "1",
        "g_GABA_B": "1",
        "I_NaP": "mV",
        "I_KNa": "mV",
        "I_T": "mV",
        "I_h": "mV",
    }
)


# --- steady states and rate functions (NumPy; the kernel has its own compiled copies) ---
def m_eq_NMDA(v, S_act=0.081, V_act=-25.57):
    """Equilibrium NMDA unblock m_eq(V) [1]."""
    return 1.0 / (1.0 + np.exp(-S_act * (v - V_act)))


def m_eq_h(v):
    """Steady-state I_h activation [1]."""
    return 1.0 / (1.0 + np.exp((v + 75.0) / 5.5))


def m_eq_T(v):
    """Steady-state I_T activation [1]."""
    return 1.0 / (1.0 + np.exp(-(v + 59.0) / 6.2))


def h_eq_T(v):
    """Steady-state I_T inactivation [1]."""
    return 1.0 / (1.0 + np.exp((v + 83.0) / 4.0))


def D_eq_KNa(v, tau_D=1250.0):
    """Steady-state Na-influx variable D [1]: tau_D * D_influx(V) + D_eq."""
    return tau_D * 0.025 / (1.0 + np.exp(-(v + 10.0) / 5.0)) + 0.001


class HTNeuron:
    """The Hill & Tononi (2005) point neuron as NEST's ``ht_neuron`` implements it.

    16 state variables (:data:`STATE_NAMES`), receptor ports AMPA, NMDA, GABA_A,
    GABA_B (beta-function conductances, peak-normalised), two-stage NMDA Mg unblock,
    intrinsic currents I_NaP, I_KNa, I_T, I_h, and a dynamic threshold: when V >= theta
    outside the refractory period, V and theta are set to E_Na and a repolarising
    current -(V - E_K)/tau_spike is on for t_ref.

    Parameters
    ----------
    **params
        Any of :attr:`params` (see ``HTNeuron.params[name].unit`` and ``.doc``) and the
        flags ``voltage_clamp`` and ``instant_unblock_NMDA`` (bool).

    Raises
    ------
    UnknownParameterError
        An unknown parameter name (with a did-you-mean).
    ModelError
        A value outside its bounds, tau_rise >= tau_decay for a receptor, or
        tau_Mg_fast_NMDA >= tau_Mg_slow_NMDA.

    Examples
    --------
    >>> HTNeuron(g_peak_h=0.0).values["g_peak_h"]
    0.0
    """

    name = "ht_neuron"
    params: Mapping[str, Param] = MappingProxyType(_PARAMS)
    flags: Mapping[str, str] = MappingProxyType(_FLAGS)
    states = STATE_NAMES
    receptors = RECEPTORS
    recordables = RECORDABLES

    def __init__(self, **params):
        values = {k: p.default for k, p in _PARAMS.items()}
        flags = {k: False for k in _FLAGS}
        for key, value in params.items():
            if key in _PARAMS:
                values[key] = _PARAMS[key].check(value, f"ht_neuron.{key}")
            elif key in _FLAGS:
                if not isinstance(value, (bool, np.bool_)):
                    raise ModelError(f"ht_neuron.{key} = {value!r} must be True or False")
                flags[key] = bool(value)
            else:
                raise UnknownParameterError(
                    f"ht_neuron has no parameter {key!r}"
                    + did_you_mean(key, list(_PARAMS) + list(_FLAGS))
                )
        for rec in RECEPTORS:
            tr, td = values[f"tau_rise_{rec}"], values[f"tau_decay_{rec}"]
            if not tr < td:
                raise ModelError(
                    f"ht_neuron: tau_rise_{rec} = {tr} ms must be < tau_decay_{rec} = {td} ms "
                    "(beta-function synapse); lower tau_rise or raise tau_decay"
                )
        if not values["tau_Mg_fast_NMDA"] < values["tau_Mg_slow_NMDA"]:
            raise ModelError(
                f"ht_neuron: tau_Mg_fast_NMDA = {values['tau_Mg_fast_NMDA']} ms must be < "
                f"tau_Mg_slow_NMDA = {values['tau_Mg_slow_NMDA']} ms"
            )
        self._values = MappingProxyType(values)
        self._flags = MappingProxyType(flags)

    @property
    def values(self) -> Mapping[str, float]:
        """Parameter values (read-only mapping name -> value in its unit)."""
        return self._values

    @property
    def flag_values(self) -> Mapping[str, bool]:
        """``voltage_clamp`` and ``instant_unblock_NMDA``."""
        return self._flags

    def __repr__(self) -> str:
        changed = {k: v for k, v in self._values.items() if v != _PARAMS[k].default}
        changed |= {k: v for k, v in self._flags.items() if v}
        extra = "".join(f" {k}={v}" for k, v in changed.items())
        return f"<{type(self).__name__} name={self.name}{extra}>"

    # -- derived quantities --------------------------------------------------------
    def cond_steps(self) -> np.ndarray:
        """Jump into dg per unit weight [1/ms], receptors in port order (SEEDS.md 0.4)."""
        v = self._values
        return np.array(
            [
                v[f"g_peak_{r}"]
                * beta_normalization_factor(v[f"tau_rise_{r}"], v[f"tau_decay_{r}"])
                for r in RECEPTORS
            ]
        )

    def resting_potential_mV(self) -> float:
        """Passive V_inf = (g_NaL E_Na + g_KL E_K) / (g_NaL + g_KL) [mV] (the initial V)."""
        v = self._values
        g = v["g_NaL"] + v["g_KL"]
        if g == 0.0:
            return v["E_K"]
        return (v["g_NaL"] * v["E_Na"] + v["g_KL"] * v["E_K"]) / g

    def equilibrium_gates(self, v_mV) -> dict[str, np.ndarray]:
        """The gating states at their steady state for the membrane potential ``v_mV``."""
        p = self._values
        v = np.asarray(v_mV, dtype=float)
        m = m_eq_NMDA(v, p["S_act_NMDA"], p["V_act_NMDA"])
        return {
            "m_fast_NMDA": m,
            "m_slow_NMDA": m.copy(),
            "m_Ih": m_eq_h(v),
            "D_IKNa": D_eq_KNa(v, p["tau_D_KNa"]),
            "m_IT": m_eq_T(v),
            "h_IT": h_eq_T(v),
        }

    def initial_state(self, n: int) -> np.ndarray:
        """(16, n) initial state: V = passive rest, theta = theta_eq, gates at equilibrium."""
        y = np.zeros((len(STATE_NAMES), n))
        v0 = self.resting_potential_mV()
        y[0] = v0
        y[1] = self._values["theta_eq"]
        for k, val in self.equilibrium_gates(np.full(n, v0)).items():
            y[STATE_NAMES.index(k)] = val
        return y

    def param_array(self) -> np.ndarray:
        """The parameters in kernel order (:data:`PARAM_NAMES`)."""
        return np.array([self._values[k] for k in PARAM_NAMES], dtype=float)


PARAM_NAMES = tuple(_PARAMS)
