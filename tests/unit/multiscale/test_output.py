"""HDF5 writer and reader, checkpoints, the progress bar (no simulation needed)."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap

import h5py
import numpy as np
import pytest

from multiscale.output import (
    FORMAT,
    Results,
    ResultsError,
    ResultsWriter,
    checkpoint_path,
    iter_datasets,
    read_checkpoint,
    write_checkpoint,
)
from multiscale.progress import Progress, format_duration

from ...conftest import REPO


def _synthetic(path, n=50, killed=False):
    """A small results file shaped like a run's: electrical traces, one spine, events."""
    w = ResultsWriter(path, "w")
    w.set_attrs(format=FORMAT, format_version=1, experiment_json='{"experiment": {"name": "s"}}',
                experiment_name="s", status="running", t_done_ms=0.0)  # fmt: skip
    w.series("electrical/t_ms", unit="ms")
    w.group("electrical/soma", {"section": "soma", "x": 0.5})
    w.series("electrical/soma/v", unit="mV")
    w.group("spines/spine1", {"number": 1, "section": "dend3_1[1]", "x": 0.3,
                              "biochemical": True, "stimulated": True})  # fmt: skip
    w.series("spines/spine1/weight_t_ms", unit="ms")
    w.series("spines/spine1/weight", unit="1")
    w.series("spines/spine1/t_ms", unit="ms")
    w.series("spines/spine1/species/CaMKIIbar", unit="1", attrs={"quantity": "value"})
    w.write("events/t_ms", [150.0, 200.0], unit="ms")
    w.write("events/spine", np.array([1, 1]), unit="1")
    w.write("events/synapse", ["ampa", "ampa"], unit="text")
    w.write("events/delay_ms", [1.0, 1.0], unit="ms")
    w.write("morphology/sections/name", ["soma", "dend1"], unit="text")
    w.write("morphology/sections/parent", [-1, 0], unit="1")
    w.write("morphology/sections/parent_x", [0.0, 1.0], unit="1")
    w.write("morphology/sections/L_um", [16.0, 20.0], unit="um")
    w.write("morphology/sections/diam_um", [16.0, 2.25], unit="um")
    w.write("morphology/spines/number", [1], unit="1")
    w.write("morphology/spines/section", ["dend1"], unit="text")
    w.write("morphology/spines/x", [0.3], unit="1")
    t = np.arange(n) * 0.1
    for k in range(0, n, 10):
        w.append("electrical/t_ms", t[k : k + 10])
        w.append("electrical/soma/v", -80.0 + t[k : k + 10])
        w.append("spines/spine1/weight_t_ms", [t[k]])
        w.append("spines/spine1/weight", [1.0 + 0.01 * k])
        w.append("spines/spine1/t_ms", [t[k]])
        w.append("spines/spine1/species/CaMKIIbar", [0.03 + 0.001 * k])
        w.flush(t_done_ms=float(t[min(k + 9, n - 1)]))
    if not killed:
        w.close(status="complete")
    return w


def test_written_file_reads_back_with_units(tmp_path):
    path = tmp_path / "s.h5"
    _synthetic(path)
    with Results(path) as r:
        assert r.status == "complete" and r.experiment == {"experiment": {"name": "s"}}
        t, v = r.trace("soma", "v")
        np.testing.assert_array_equal(t, np.arange(50) * 0.1)
        np.testing.assert_array_equal(v, -80.0 + t)
        assert r.unit("electrical/soma/v") == "mV"
        tw, w = r.weights("spine1")
        assert tw.size == w.size == 5 and w[0] == 1.0
        assert r.species_names("spine1") == ["CaMKIIbar"]
        assert list(r.events()["synapse"]) == ["ampa", "ampa"]
        assert r.spines() == ["spine1"] and r.spine_attrs("spine1")["section"] == "dend3_1[1]"
        assert r.morphology()["sections/name"].tolist() == ["soma", "dend1"]
        for name, ds in iter_datasets(r.f):
            assert "unit" in ds.attrs, name


def test_truncate_and_reopen_cut_series_back(tmp_path):
    path = tmp_path / "s.h5"
    w = _synthetic(path, killed=True)
    lengths = w.lengths()
    w.append("electrical/t_ms", [99.0])
    w.append("electrical/soma/v", [99.0])
    w.f.close()
    w2 = ResultsWriter(path, "r+")
    assert w2.lengths()["electrical/t_ms"] == lengths["electrical/t_ms"] + 1
    w2.truncate(lengths)
    w2.close()
    with Results(path) as r:
        t, _ = r.trace("soma", "v")
        assert t.size == 50 and t[-1] == pytest.approx(4.9)


def test_a_killed_writer_leaves_a_readable_file_up_to_the_last_flush(tmp_path):
    path = tmp_path / "killed.h5"
    code = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(REPO)!r})
        from multiscale.output import ResultsWriter
        w = ResultsWriter({str(path)!r}, "w")
        w.set_attrs(format="multiscale-results", status="running")
        w.series("electrical/t_ms", unit="ms")
        w.append("electrical/t_ms", list(range(1000)))
        w.flush(t_done_ms=99.9)
        w.append("electrical/t_ms", list(range(1000, 2000)))
        os._exit(9)  # no close, no flush: as if killed
    """)
    res = subprocess.run([sys.executable, "-c", code], timeout=120)
    assert res.returncode == 9
    with Results(path) as r:
        assert r.status == "running" and r.t_done_ms == pytest.approx(99.9)
        t = r.f["electrical/t_ms"][()]
        np.testing.assert_array_equal(t[:1000], np.arange(1000))


def test_checkpoints_are_written_atomically(tmp_path):
    ck = checkpoint_path(tmp_path / "run.h5")
    assert ck.name == "run.h5.checkpoint"
    write_checkpoint(ck, {"t_ms": 100.0, "blobs": [b"x" * 10], "lengths": {"a": 3}})
    write_checkpoint(ck, {"t_ms": 200.0, "blobs": [b"y"], "lengths": {"a": 5}})
    got = read_checkpoint(ck)
    assert got["t_ms"] == 200.0 and got["blobs"] == [b"y"] and got["lengths"] == {"a": 5}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.h5.checkpoint"]  # no temp files
    ck.write_bytes(b"garbage")
    with pytest.raises(ResultsError, match="unreadable checkpoint"):
        read_checkpoint(ck)
    with pytest.raises(ResultsError, match="no checkpoint"):
        read_checkpoint(tmp_path / "none.checkpoint")


def test_reader_refuses_files_that_are_not_results(tmp_path):
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["x"] = 1
    with pytest.raises(ResultsError, match="not a multiscale results file"):
        Results(other)
    (tmp_path / "text.h5").write_text("hello")
    with pytest.raises(ResultsError, match="not a readable HDF5 file"):
        Results(tmp_path / "text.h5")
    with pytest.raises(ResultsError, match="file not found"):
        Results(tmp_path / "missing.h5")


# ----------------------------------------------------------------------------- progress


class _Clock:
    def __init__(self, times):
        self.times = list(times)

    def __call__(self):
        return self.times.pop(0) if len(self.times) > 1 else self.times[0]


def test_progress_line_shows_time_wall_eta_and_exchanges():
    out = io.StringIO()
    bar = Progress(100.0, 300.0, stream=out, clock=_Clock([0.0, 30.0]))
    bar.update(150.0, exchanges=42)
    line = out.getvalue()
    assert "25.0%" in line and "t = 150.0 / 300.0 ms" in line
    assert "wall 0:00:30" in line and "ETA 0:01:30" in line and "exchanges 42" in line
    assert line.endswith("\n")  # not a terminal: whole lines


def test_progress_without_terminal_logs_every_5_percent_only():
    out = io.StringIO()
    bar = Progress(0.0, 1000.0, stream=out, clock=_Clock([0.0]))
    for t in range(0, 1001, 10):
        bar.update(float(t))
    assert len(out.getvalue().splitlines()) == 21  # 0, 5, ..., 100 %


def test_progress_on_a_terminal_redraws_in_place():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    out = Tty()
    bar = Progress(0.0, 10.0, stream=out, clock=_Clock([0.0]))
    bar.update(5.0)
    bar.update(10.0)
    bar.close()
    text = out.getvalue()
    assert text.count("\r") == 2 and text.endswith("\n") and text.count("\n") == 1


def test_quiet_progress_writes_nothing():
    out = io.StringIO()
    bar = Progress(0.0, 10.0, stream=out, enabled=False)
    bar.update(5.0, exchanges=1)
    bar.message("checkpoint")
    bar.close()
    assert out.getvalue() == ""


def test_format_duration():
    assert format_duration(0) == "0:00:00"
    assert format_duration(3725.4) == "1:02:05"
    assert format_duration(90000) == "1d 1:00:00"
    assert format_duration(float("nan")) == "--:--:--"
