"""Model kinds (multiscale.models): the registry, kind = "python" from validation to a run."""

from __future__ import annotations

import textwrap
from types import SimpleNamespace

import h5py
import numpy as np
import pytest

from electrical import Cell
from multiscale import experiment as ex
from multiscale import models, runner
from multiscale.cli import main
from multiscale.spine import add_spine

#: Two spikes onto spine1's AMPA and NMDA raise its head by tens of mV; a passive cell at
#: rest moves by far less than this without input.
MIN_EPSP_MV = 1.0

FACTORY = "tests.unit.multiscale.test_models:two_spine_cell"


def two_spine_cell(dend_L: float = 100.0):
    """A ball and stick (passive) with two spines on the dendrite."""
    cell = Cell("ball_and_stick")
    soma = cell.section("soma", L=20.0, diam=20.0)
    dend = cell.section("dend", L=dend_L, diam=1.0, nseg=5, parent=soma(1.0))
    for sec in (soma, dend):
        sec.insert("pas", g=1e-4, e=-70.0)
    spines = [add_spine(cell, dend(0.3), 1), add_spine(cell, dend(0.7), 2)]
    return SimpleNamespace(cell=cell, spines=spines)


def not_a_cell(**kwargs):
    return 42


PYTHON_EXP = f"""
[model]
kind = "python"
factory = "{FACTORY}"
parameters = {{dend_L = 120.0}}
celsius = 35.0

[pathway]
spines = []

[simulation]
t_stop_ms = 160.0
v_init_mV = -70.0

[[stimuli.train]]
spines = [1]
start_ms = 120.0
number = 2
frequency_hz = 100.0

[recording]
variables = ["v"]
sections = ["soma", "dend(0.3)"]

[output]
flush_interval_ms = 40.0
checkpoint_interval_ms = 0.0
"""


def test_registry_lists_the_shipped_kinds_and_refuses_duplicates():
    assert {"msn", "python"} <= set(models.model_kinds())
    with pytest.raises(ValueError, match="registered already"):
        models.register_model_kind(models.model_kind("msn"))
    with pytest.raises(LookupError, match="did you mean 'python'"):
        models.model_kind("pyhton")


def test_python_kind_validates_against_the_factory_model():
    exp = ex.loads(PYTHON_EXP, name="py")
    assert exp.model.kind == "python" and exp.n_spines == 2
    assert exp.stimulated_spines() == (1,) and exp.biochemical_spines() == ()
    facts = exp.model_facts()
    assert "dend" in facts.sections and "spine2_head" in facts.sections
    # the default kind is not written out: an MSN experiment's resolved TOML is unchanged
    assert "kind" not in ex.loads("[simulation]\nt_stop_ms = 200.0\n").to_dict()["model"]
    assert ex.loads(exp.to_toml()).to_dict() == exp.to_dict()


@pytest.mark.parametrize(
    ("change", "key", "words"),
    [
        (("spines = []", "spines = []\n[model.extra]"), "model.extra", "unknown key"),
        (('celsius = 35.0', 'celsius = 35.0\nspines = "all"'), "model.spines",
         "applies to another model kind"),
        ((FACTORY, "tests.unit.multiscale.test_models:nope"), "model.factory", "no function"),
        ((FACTORY, "no_such_module_xyz:f"), "model.factory", "cannot import module"),
        ((FACTORY, "tests.unit.multiscale.test_models:not_a_cell"), "model.factory",
         "must return an object with .cell"),
        (("dend_L = 120.0", "dend_length = 1.0"), "model.parameters", "TypeError"),
        (("spines = [1]", "spines = [3]"), "stimuli.train[0].spines[0]", "no spine3"),
        (('"soma", "dend(0.3)"', '"soma", "axon"'), "recording.sections[1]",
         "no section 'axon' in the model of"),
        (('kind = "python"', 'kind = "pyton"'), "model.kind", "did you mean 'python'"),
    ],
)  # fmt: skip
def test_python_kind_problems_name_the_key(change, key, words):
    text = PYTHON_EXP.replace(*change)
    assert text != PYTHON_EXP
    with pytest.raises(ex.ExperimentError) as info:
        ex.loads(text)
    hits = [p for p in info.value.problems if p.key == key]
    assert hits, [str(p) for p in info.value.problems]
    assert words in hits[0].message


def test_msn_keys_keep_working_and_python_keys_are_refused_for_the_msn():
    with pytest.raises(ex.ExperimentError, match="model.factory: applies to another model kind"):
        ex.loads('[model]\nfactory = "a:b"\n[simulation]\nt_stop_ms = 200.0\n')


def test_factory_module_beside_the_experiment_file(tmp_path):
    (tmp_path / "my_cells_beside.py").write_text(
        textwrap.dedent("""
            from tests.unit.multiscale.test_models import two_spine_cell as one
        """)
    )
    path = tmp_path / "beside.toml"
    path.write_text(PYTHON_EXP.replace(FACTORY, "my_cells_beside:one"))
    assert ex.load(path).n_spines == 2


def test_python_kind_runs_end_to_end(tmp_path):
    path = tmp_path / "py.toml"
    path.write_text(PYTHON_EXP)
    out = tmp_path / "py.h5"
    assert main(["run", str(path), "-o", str(out), "--quiet"]) == 0
    with h5py.File(out, "r") as f:
        assert f.attrs["status"] == "complete"
        names = [x.decode() if isinstance(x, bytes) else x for x in f["morphology/sections/name"]]
        assert names[:2] == ["soma", "dend"] and "spine2_psd" in names
        assert list(f["morphology/spines/number"]) == [1, 2]
        t = f["electrical/t_ms"][()]
        head = f["electrical/spine1_head/v"][()]
        soma = f["electrical/soma/v"][()]
        assert "dend(0.3)" in f["electrical"]
        assert sorted(set(f["events/spine"][()])) == [1]
    before = head[(t > 100.0) & (t < 120.0)]  # after the equilibration
    after = head[t > 121.0]
    assert np.ptp(before) < MIN_EPSP_MV  # at rest before the input
    assert after.max() - before[-1] > MIN_EPSP_MV  # the spike arrived at spine1
    assert soma.max() - soma[t < 120.0][-1] < after.max() - before[-1]  # attenuated at the soma


def test_build_gives_a_fresh_cell_every_time():
    exp = ex.loads(PYTHON_EXP)
    kind = models.model_kind("python")
    a, b = kind.build(exp), kind.build(exp)
    assert a.cell is not b.cell and len(a.spines) == 2
    assert a["dend"].name == "dend" and a.spine(2).name == "spine2"
    assert runner.BuildError is models.BuildError
