"""Point-neuron networks written by the experiments' writer (multiscale.point_output)."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from electrical.point import HTNeuron, Network
from multiscale.errors import ResultsError
from multiscale.output import FORMAT, FORMAT_VERSION
from multiscale.point_output import read_point_results, write_point_results


def _recorded_network():
    net = Network(0.1)
    pop = net.create(HTNeuron(), 2)
    net.connect(net.dc_generator(40.0), pop)
    net.multimeter(pop, ["V_m", "g_AMPA"], interval_ms=0.5)
    sr = net.spike_recorder(pop)
    net.run(30.0)
    return net, pop, sr


def test_point_results_in_the_experiments_format(tmp_path):
    net, pop, sr = _recorded_network()
    path = write_point_results(tmp_path / "p.h5", net)
    with h5py.File(path) as f:
        assert f.attrs["format"] == FORMAT and f.attrs["format_version"] == FORMAT_VERSION
        assert f.attrs["status"] == "complete" and f.attrs["t_done_ms"] == 30.0
        assert "numpy" in f.attrs["versions"]
        g = f["point"][pop.name]
        assert g["V_m"].shape == (60, 2) and g["V_m"].attrs["unit"] == "mV"
        assert g["g_AMPA"].attrs["unit"] == "1"
        assert g["t_ms"].attrs["unit"] == "ms"
        for ds in (g["V_m"], g["t_ms"], f["point/spikes/t_ms"]):
            assert ds.attrs["description"]
        np.testing.assert_array_equal(f["point/spikes/t_ms"][:], sr.times_ms)
        assert f["point/spikes/t_ms"].attrs["unit"] == "ms"
        assert f["point/spikes/neuron"].attrs["unit"] == "1"
        assert f["point/spikes/population"].attrs["unit"] == "text"
        assert sr.times_ms.size > 0
    back = read_point_results(path)
    mm = pop.multimeter
    np.testing.assert_array_equal(back["populations"][pop.name]["V_m"], mm.data["V_m"])
    np.testing.assert_array_equal(back["spikes"]["neuron"], sr.senders)
    assert set(back["spikes"]["population"]) == {pop.name}
    assert back["units"][f"{pop.name}/V_m"] == "mV"


def test_an_existing_file_is_refused_byte_for_byte_unless_overwrite(tmp_path):
    net, _, _ = _recorded_network()
    path = tmp_path / "keep.h5"
    path.write_bytes(b"not ours")
    with pytest.raises(ResultsError, match="keep.h5: the file exists"):
        write_point_results(path, net)
    assert path.read_bytes() == b"not ours"
    write_point_results(path, net, overwrite=True)
    assert read_point_results(path)["spikes"]["t_ms"].size > 0


def test_reading_a_file_without_point_data_names_it(tmp_path):
    path = tmp_path / "x.h5"
    with h5py.File(path, "w"):
        pass
    with pytest.raises(ResultsError, match="x.h5: no point-neuron data"):
        read_point_results(path)
