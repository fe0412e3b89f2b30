"""Running experiments end to end: the HDF5 layout, resume, a killed run, errors, plots.

These run the real co-simulation on a small experiment (the two-spine MSN, 300 ms,
three inputs); the full quickstart is marked slow.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest

from multiscale import experiment as ex
from multiscale import runner
from multiscale.cli import main
from multiscale.output import Results, checkpoint_path, iter_datasets, read_checkpoint

from ...conftest import REFERENCE, REPO

TINY = """
[experiment]
name = "tiny"
seed = 3

[model]
spines = "two"

[pathway]
spines = [1, 2]

[simulation]
t_stop_ms = 300.0
equilibrate_biochem_s = 10.0

[[stimuli.train]]
spines = [1]
start_ms = 150.0
number = 3
frequency_hz = 50.0

[recording]
species_interval_ms = 1.0

[output]
flush_interval_ms = 25.0
checkpoint_interval_ms = 100.0
"""

#: Wall-clock values differ between runs; everything else must be equal.
WALL_CLOCK_DATASETS = ("sync/wall_s/value",)


def _write(tmp_path, text=TINY, name="tiny.toml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def _datasets(path) -> dict[str, np.ndarray]:
    with h5py.File(path, "r") as f:
        return {name: ds[()] for name, ds in iter_datasets(f)}


def _assert_same_results(a, b):
    da, db = _datasets(a), _datasets(b)
    assert sorted(da) == sorted(db)
    for name in da:
        if name in WALL_CLOCK_DATASETS:
            continue
        assert da[name].shape == db[name].shape, name
        if da[name].dtype.kind in "OS":
            assert list(da[name]) == list(db[name]), name
        else:
            np.testing.assert_array_equal(da[name], db[name], err_msg=name)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """One uninterrupted run of the tiny experiment: (experiment file, results file)."""
    d = tmp_path_factory.mktemp("tiny")
    exp_path = _write(d)
    out = d / "tiny.h5"
    res = runner.run(ex.load(exp_path), out, quiet=True)
    assert res.status == "complete"
    return exp_path, out


# ----------------------------------------------------------------------------- layout


def test_results_hold_the_documented_datasets(tiny):
    exp_path, out = tiny
    exp = ex.load(exp_path)
    with Results(out) as r:
        a = r.attrs
        assert r.status == "complete" and a["t_done_ms"] == 300.0
        assert a["rank_count"] == 1 and a["seed"] == 3 and a["format_version"] == 1
        assert ex.loads(a["experiment_toml"]).to_dict() == exp.to_dict()
        assert r.experiment == exp.to_dict()
        assert "numpy" in a["versions"] and "libroadrunner" in a["versions"]
        f = r.f
        t = f["electrical/t_ms"][()]
        np.testing.assert_allclose(t, np.arange(3001) * 0.1, rtol=0, atol=1e-9)
        for loc in ("soma", "spine1_head", "spine2_head"):
            for var, unit in (("v", "mV"), ("cai", "mM"), ("cali", "mM"), ("ica", "mA/cm2")):
                ds = f[f"electrical/{loc}/{var}"]
                assert ds.shape == t.shape and ds.attrs["unit"] == unit
        assert f["spines/spine1/electrical/v"].shape == t.shape  # link to the head's traces
        for n in (1, 2):
            g = f[f"spines/spine{n}"]
            assert g.attrs["biochemical"] and g.attrs["stimulated"] == (n == 1)
            assert g["weight"].shape == g["weight_t_ms"].shape and g["weight"][0] == 1.0
            assert g["t_ms"].shape == g["species/CaMKIIbar"].shape
            assert g["species/ca"].attrs["unit"] == "mol/L"
            assert g["species/ca"].attrs["quantity"] == "concentration"
        # the stimulated spine potentiates more than its unstimulated neighbour (both also
        # drift a little: a 10-s pathway pre-run is short of the pathway's steady state)
        assert f["spines/spine1/weight"][-1] > f["spines/spine2/weight"][-1]
        assert f["spines/spine2/weight"].shape[0] < f["spines/spine1/weight"].shape[0]
        events = r.events()
        np.testing.assert_allclose(events["t_ms"], [150, 150, 170, 170, 190, 190])
        assert set(events["synapse"]) == {"ampa", "nmda"} and set(events["spine"]) == {1}
        stats = r.sync()
        assert stats["exchanges"]["spine1"] == f["sync/exchanges/value"][0] > 0
        for name, ds in iter_datasets(f):
            assert "unit" in ds.attrs, f"{name} has no unit attribute"
    assert not checkpoint_path(out).exists()  # removed when the run completes


def test_every_dataset_is_documented(tiny):
    doc = (REPO / "docs" / "output.md").read_text()
    _, out = tiny
    with h5py.File(out, "r") as f:
        names = [name for name, _ in iter_datasets(f)]
        attrs = list(f.attrs)
    for name in names:
        generic = re.sub(r"spine\d+_head", "<section>", name)
        generic = re.sub(r"spines/spine\d+", "spines/spine<N>", generic)
        generic = re.sub(r"electrical/soma/", "electrical/<section>/", generic)
        generic = re.sub(r"species/\w+", "species/<id>", generic)
        generic = re.sub(r"electrical/<section>/\w+", "electrical/<section>/<variable>", generic)
        generic = re.sub(r"^sync/\w+/(name|value)$", r"sync/<statistic>/\1", generic)
        generic = re.sub(r"^sync/(?!<)\w+$", "sync/<statistic>", generic)
        assert f"/{generic}" in doc, f"docs/output.md does not document /{generic} ({name})"
    for a in attrs:
        assert f"`{a}`" in doc, f"docs/output.md does not document the root attribute {a}"


# ----------------------------------------------------------------------------- resume


def test_resumed_run_equals_the_uninterrupted_one(tiny, tmp_path):
    exp_path, full = tiny
    exp = ex.load(exp_path)
    out = tmp_path / "stopped.h5"
    res = runner.run(exp, out, quiet=True, stop_after_ms=150.0)
    assert res.status == "running" and res.t_done_ms == 150.0
    ck = read_checkpoint(checkpoint_path(out))
    assert ck["t_ms"] == 100.0
    with Results(out) as r:  # the file runs ahead of its checkpoint: resume must cut it back
        assert r.status == "running" and r.f["electrical/t_ms"][-1] == pytest.approx(150.0)
    res = runner.run(exp, out, quiet=True, resume=True)
    assert res.status == "complete" and res.resumed_from_ms == 100.0
    _assert_same_results(full, out)


def test_killed_run_keeps_its_data_and_resumes_to_the_same_result(tiny, tmp_path):
    exp_path, full = tiny
    out = tmp_path / "killed.h5"
    ck = checkpoint_path(out)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "multiscale", "run", str(exp_path), "-o",
                             str(out), "--quiet"], env=env, cwd=tmp_path,
                            stderr=subprocess.PIPE)  # fmt: skip
    deadline = time.monotonic() + 240
    while not ck.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before its first checkpoint"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    with Results(out) as r:  # readable, with everything up to the last flush
        assert r.status == "running" and r.t_done_ms >= 100.0
        t, v = r.trace("soma", "v")
        assert t[-1] >= 100.0 and np.all(np.isfinite(v))
    assert main(["run", str(exp_path), "-o", str(out), "--resume", "--quiet"]) == 0
    _assert_same_results(full, out)


def test_resume_of_a_complete_file_does_nothing(tiny, capsys):
    exp_path, out = tiny
    before = os.stat(out).st_mtime_ns
    assert main(["run", str(exp_path), "-o", str(out), "--resume"]) == 0
    assert "already complete" in capsys.readouterr().out
    assert os.stat(out).st_mtime_ns == before


def test_resume_refuses_another_experiment_and_a_missing_checkpoint(tiny, tmp_path, capsys):
    exp_path, _ = tiny
    out = tmp_path / "s.h5"
    runner.run(ex.load(exp_path), out, quiet=True, stop_after_ms=125.0)
    assert main(["run", str(exp_path), "-o", str(out), "--resume", "--quiet",
                 "--set", "simulation.t_stop_ms=275"]) == 1  # fmt: skip
    err = capsys.readouterr().err
    assert "different experiment" in err and "simulation.t_stop_ms" in err
    assert "Traceback" not in err
    checkpoint_path(out).unlink()
    assert main(["run", str(exp_path), "-o", str(out), "--resume", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "no checkpoint" in err and len(err.strip().splitlines()) == 1


# ----------------------------------------------------------------------------- errors


def test_unknown_mechanism_variable_is_bad_input_naming_the_key(tmp_path, capsys):
    text = TINY.replace("species_interval_ms = 1.0", 'variables = ["v", "kir.mm"]')
    p = _write(tmp_path, text)
    assert main(["run", str(p), "-o", str(tmp_path / "x.h5"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "recording.variables[1]" in err[0] and "'kir'" in err[0]
    assert err[0].startswith(str(p))


def test_unwritable_output_is_a_failed_run(tiny, tmp_path, capsys):
    exp_path, _ = tiny
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["run", str(exp_path), "-o", str(blocker / "x.h5"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "x.h5" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


# ----------------------------------------------------------------------------- CLI run


def test_cli_run_electrical_only_with_progress_and_plots(tmp_path, capsys):
    text = TINY.replace("spines = [1, 2]", 'spines = "none"').replace(
        "t_stop_ms = 300.0", "t_stop_ms = 200.0")  # fmt: skip
    p = _write(tmp_path, text)
    out = tmp_path / "el.h5"
    assert main(["run", str(p), "-o", str(out)]) == 0
    cap = capsys.readouterr()
    progress = cap.err.strip().splitlines()
    assert progress and all("ETA" in line and "exchanges 0" in line for line in progress)
    assert "t = 200.0 / 200.0 ms" in progress[-1]
    assert f"wrote {out}" in cap.out
    with Results(out) as r:
        assert r.status == "complete" and "spines/spine1/weight" not in r.f
        assert (
            r.f["spines/spine1"].attrs["stimulated"]
            and not r.f["spines/spine1"].attrs["biochemical"]
        )
    assert main(["plot", str(out), "--out-dir", str(tmp_path / "png")]) == 0
    made = sorted(x.name for x in (tmp_path / "png").iterdir())
    assert made == ["el_calcium.png", "el_morphology.png", "el_voltage.png"]
    q = tmp_path / "q" / "q.h5"
    assert main(["run", str(p), "-o", str(q), "--quiet", "--set", "output.plots=true"]) == 0
    assert capsys.readouterr().err == ""
    assert sorted(x.name for x in q.parent.glob("*.png")) == [
        "q_calcium.png", "q_morphology.png", "q_voltage.png"]  # fmt: skip


def test_plots_of_a_coupled_run(tiny, tmp_path):
    from multiscale.plots import plot_results

    _, out = tiny
    written = plot_results(out, tmp_path)
    assert [p.name for p in written] == ["tiny_voltage.png", "tiny_calcium.png",
                                         "tiny_weights.png", "tiny_species.png",
                                         "tiny_morphology.png"]  # fmt: skip
    for p in written:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 10_000


def test_plot_of_a_bad_file_is_bad_input(tmp_path, capsys):
    (tmp_path / "x.h5").write_text("not hdf5")
    assert main(["plot", str(tmp_path / "x.h5")]) == 2
    err = capsys.readouterr().err
    assert "not a readable HDF5 file" in err and "Traceback" not in err


def test_chunk_ends_hit_flushes_checkpoints_and_the_end():
    exp = ex.loads(TINY.replace("t_stop_ms = 300.0", "t_stop_ms = 260.0"))
    ends = runner._chunk_ends(0.0, exp)
    assert [t for t, _ in ends][:4] == pytest.approx([25.0, 50.0, 75.0, 100.0])
    assert ends[-1] == (pytest.approx(260.0), False)
    assert [t for t, c in ends if c] == pytest.approx([100.0, 200.0])
    assert runner._chunk_ends(100.0, exp)[0][0] == pytest.approx(125.0)


# ----------------------------------------------------------------------------- quickstart


needs_positions = pytest.mark.skipif(
    not (REFERENCE / "msn" / "spine_positions.csv").is_file(),
    reason="published spine positions (../shared/reference/msn) are needed for onebranch",
)


@needs_positions
def test_quickstart_quick_runs_end_to_end(tmp_path):
    out = tmp_path / "qs.h5"
    qs = REPO / "examples" / "experiments" / "quickstart.toml"
    assert main(["run", str(qs), "--quick", "-o", str(out), "--quiet"]) == 0
    with Results(out) as r:
        assert r.status == "complete" and r.attrs["quick"]
        assert {"spine59", "spine60", "spine61", "spine94"} <= set(r.spines())
        _, w60 = r.weights("spine60")
        assert w60[-1] > 1.0


@pytest.mark.slow
@needs_positions
def test_quickstart_full_run_holds_the_documented_datasets(tmp_path):
    out = tmp_path / "quickstart.h5"
    qs = REPO / "examples" / "experiments" / "quickstart.toml"
    assert main(["run", str(qs), "-o", str(out), "--quiet"]) == 0
    with Results(out) as r:
        assert r.status == "complete" and r.t_done_ms == 1600.0
        for loc in ("soma", "dend3_1[1](0.33)", "spine60_head", "spine94_head"):
            assert "v" in r.variables(loc)
        _, w60 = r.weights("spine60")
        _, w94 = r.weights("spine94")
        _, w59 = r.weights("spine59")
        assert w60[-1] > 1.0 and w94[-1] > 1.0
        assert w59[-1] == pytest.approx(1.0, abs=1e-3)  # the unstimulated neighbour stays
