"""HTNeuron description: parameters, validation, receptor normalisation, initial state."""

from __future__ import annotations

import math

import numpy as np
import pytest

from electrical import ModelError, UnknownParameterError
from electrical.point import HTNeuron, beta_normalization_factor
from electrical.point import _ht_kernel as K
from electrical.point.models import PARAM_NAMES, m_eq_NMDA

#: SEEDS.md 0.4 prints c_X / g_peak with 5 significant digits.
TABLE_RTOL = 1e-4
#: SEEDS.md 0.5 and 0.7 print values to 3-4 decimals.
TABLE_ATOL = 1e-3


def test_defaults_are_nests():
    v = HTNeuron().values
    assert set(v) == set(PARAM_NAMES)
    assert v["tau_m"] == 16.0 and v["E_K"] == -90.0 and v["g_NaL"] == 0.2
    assert v["tau_Mg_fast_NMDA"] == 0.68 and v["tau_D_KNa"] == 1250.0
    assert HTNeuron().flag_values == {"voltage_clamp": False, "instant_unblock_NMDA": False}


def test_cond_steps_table():
    m = HTNeuron()
    g = np.array([0.1, 0.075, 0.33, 0.0132])
    np.testing.assert_allclose(
        m.cond_steps() / g, [3.0221, 0.32289, 1.3831, 0.027922], rtol=TABLE_RTOL
    )


@pytest.mark.parametrize(("tr", "td"), [(0.5, 2.4), (4.0, 40.0), (60.0, 200.0)])
def test_beta_peak_is_one(tr, td):
    c = beta_normalization_factor(tr, td)
    t_p = td * tr * math.log(td / tr) / (td - tr)
    # solution of dg' = -dg/tr, g' = dg - g/td from dg(0) = c, g(0) = 0
    peak = c * tr * td / (td - tr) * (math.exp(-t_p / td) - math.exp(-t_p / tr))
    assert peak == pytest.approx(1.0, rel=1e-12)


def test_beta_equal_taus_is_alpha():
    assert beta_normalization_factor(3.0, 3.0) == pytest.approx(math.e / 3.0)


def test_unknown_parameter_did_you_mean():
    with pytest.raises(UnknownParameterError, match="did you mean 'g_peak_NaP'"):
        HTNeuron(g_peak_NAP=1.0)
    with pytest.raises(LookupError):
        HTNeuron(nonsense=1.0)


@pytest.mark.parametrize(
    ("kw", "msg"),
    [
        ({"tau_rise_AMPA": 3.0}, "tau_rise_AMPA = 3.0 ms must be < tau_decay_AMPA"),
        ({"tau_rise_GABA_B": 200.0}, "tau_rise_GABA_B"),
        ({"tau_Mg_fast_NMDA": 30.0}, "tau_Mg_fast_NMDA = 30.0 ms must be < tau_Mg_slow_NMDA"),
        ({"g_peak_h": -1.0}, "outside its bounds"),
        ({"tau_m": 0.0}, "outside its bounds"),
        ({"t_ref": "x"}, "not a number"),
        ({"voltage_clamp": 1}, "True or False"),
    ],
)
def test_invalid_parameters(kw, msg):
    with pytest.raises(ModelError, match=msg):
        HTNeuron(**kw)


def test_repr_lists_changes():
    assert repr(HTNeuron(g_peak_h=0.5)) == "<HTNeuron name=ht_neuron g_peak_h=0.5>"


def test_m_eq_nmda_table():
    v = np.array([-80, -70, -60, -50, -40, -30, -20, 0.0])
    ref = [0.0120, 0.0266, 0.0579, 0.1214, 0.2371, 0.4112, 0.6109, 0.8881]
    np.testing.assert_allclose(m_eq_NMDA(v), ref, atol=1e-4)


def test_initial_state_and_currents():
    m = HTNeuron()
    y = m.initial_state(1)[:, 0]
    assert y[0] == pytest.approx(-70.0) and y[1] == -51.0
    assert np.all(y[2:10] == 0.0)
    f = np.empty(16)
    cur = np.empty(4)
    K.rhs(y, f, m.param_array(), False, 0.0, False, 0.0, False, cur)
    i_nap, i_kna, i_t, i_h = cur
    assert f[0] == pytest.approx(0.557, abs=TABLE_ATOL)
    assert i_h == pytest.approx(8.62, abs=5e-3)
    assert i_nap == pytest.approx(0.246, abs=TABLE_ATOL)
    assert i_t == pytest.approx(0.055, abs=TABLE_ATOL)
    assert abs(i_kna) < 1e-3, "I_KNa is negligible at rest"
    assert np.all(f[2:10] == 0.0)
