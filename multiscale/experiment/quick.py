"""``--quick``: the same model with a short protocol."""

from __future__ import annotations

import dataclasses
import math

from .schema import QUICK_BIOCHEM_EQUILIBRATION_S, QUICK_LEAD_MS, Experiment

__all__ = ["apply_quick"]


def apply_quick(exp: Experiment) -> Experiment:
    """The ``--quick`` variant of an experiment: the same model, a short protocol.

    - every input (spikes, trains, Poisson trains, original descriptions, current
      pulses) moves earlier by the same whole number of ms, so that the first one
      comes :data:`QUICK_LEAD_MS` after the equilibration (``quick.shift_inputs``);
    - the run ends ``quick.after_first_input_ms`` (default
      :data:`QUICK_AFTER_FIRST_INPUT_MS`) after that first input, never later than the
      full run would (a run that ends before its first input keeps its end);
    - the pathway pre-run lasts ``quick.equilibrate_biochem_s`` (default: at most
      :data:`QUICK_BIOCHEM_EQUILIBRATION_S`).

    Everything else (model, spines, which spines are biochemical, recording) is kept.
    """
    sim = exp.simulation
    q = exp.quick
    dt = sim.dt_ms
    eq = sim.equilibrate_ms
    first = exp.first_input_ms()
    shift = 0.0
    if first is None or first >= sim.t_stop_ms:
        t_stop = min(sim.t_stop_ms, eq + q.after_first_input_ms)
    else:
        if q.shift_inputs:
            shift = float(max(0.0, math.floor(first - (eq + QUICK_LEAD_MS))))
        t_stop = min(sim.t_stop_ms - shift, first - shift + q.after_first_input_ms)
    t_stop = math.ceil(t_stop / dt - 1e-9) * dt
    eq_bio = q.equilibrate_biochem_s
    if eq_bio is None:
        eq_bio = min(sim.equilibrate_biochem_s, QUICK_BIOCHEM_EQUILIBRATION_S)
    sim = dataclasses.replace(sim, t_stop_ms=t_stop, equilibrate_biochem_s=eq_bio)
    stimuli = exp.stimuli
    if shift:
        r = dataclasses.replace
        st = stimuli
        stimuli = r(
            st,
            iclamp=tuple(r(c, delay_ms=c.delay_ms - shift) for c in st.iclamp),
            spikes=tuple(r(c, times_ms=tuple(t - shift for t in c.times_ms)) for c in st.spikes),
            train=tuple(r(c, start_ms=c.start_ms - shift) for c in st.train),
            poisson=tuple(r(c, start_ms=c.start_ms - shift, stop_ms=c.stop_ms - shift)
                          for c in st.poisson),
            timescales=tuple(r(c, t_stim_s=c.t_stim_s - shift / 1000.0)  # ms -> s
                             for c in st.timescales),
        )  # fmt: skip
    return dataclasses.replace(exp, simulation=sim, stimuli=stimuli, is_quick=True,
                               quick_shift_ms=shift)  # fmt: skip
