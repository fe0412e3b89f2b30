"""Figures of a results file, written as PNGs next to it (``multiscale plot results.h5``).

=================================  ===================================================
``<stem>_voltage.png``             soma V and the recorded spine-head V
``<stem>_calcium.png``             spine-head calcium (cai + cali) and pathway [ca]
``<stem>_weights.png``             AMPA weight of each biochemical spine, with inputs
``<stem>_species.png``             each recorded pathway species, one line per spine
``<stem>_morphology.png``          the cell drawn flat, spines coloured by weight change
=================================  ===================================================

A figure whose data the file does not hold is skipped (an electrical-only run has
no weights).  The morphology picture needs no 3-D points: each subtree gets an
angular sector proportional to its number of terminal sections, and each section
is a straight line of its length.  matplotlib is needed (``pip install
multiscale-neuro[plot]``).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .output import Results, spine_species

__all__ = ["MAX_LEGEND_ENTRIES", "flat_layout", "plot_results"]

#: Above this many lines a figure gets no legend (the lines are still drawn).
MAX_LEGEND_ENTRIES = 10


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _legend(ax, n: int) -> None:
    if 0 < n <= MAX_LEGEND_ENTRIES:
        ax.legend(fontsize=7, loc="best", frameon=False)


def _events(r: Results) -> dict[str, np.ndarray]:
    ev = r.events()
    return ev if ev and len(ev.get("t_ms", [])) else {}


def _mark_inputs(ax, ev: dict, spine: int | None = None) -> None:
    if not ev:
        return
    sel = np.ones(len(ev["t_ms"]), bool) if spine is None else ev["spine"] == spine
    sel &= ev["synapse"] == "ampa"
    t = (ev["t_ms"][sel] + ev["delay_ms"][sel]) / 1000.0
    if t.size:
        ax.plot(t, np.full(t.size, 0.02), "|", color="0.4", ms=6,
                transform=ax.get_xaxis_transform(), label=None)  # fmt: skip


def _title(r: Results) -> str:
    a = r.attrs
    name = a.get("experiment_name", r.path.stem)
    status = r.status
    extra = "" if status == "complete" else f" ({status} at {r.t_done_ms:g} ms)"
    return f"{name}{' --quick' if a.get('quick') else ''}{extra}"


def _spine_heads(r: Results) -> list[tuple[int, str]]:
    out = []
    for loc in r.locations():
        if loc.startswith("spine") and loc.endswith("_head"):
            out.append((int(loc[5:-5]), loc))
    return sorted(out)


def _voltage(r: Results, path: Path) -> bool:
    plt = _plt()
    locs = r.locations()
    if not locs:
        return False
    heads = _spine_heads(r)
    others = [x for x in locs if x not in {h for _, h in heads} and "v" in r.variables(x)]
    fig, ax = plt.subplots(2 if heads else 1, 1, figsize=(9, 6 if heads else 3.5), sharex=True,
                           squeeze=False)  # fmt: skip
    ax = ax[:, 0]
    for loc in others:
        t, v = r.trace(loc, "v")
        ax[0].plot(t / 1000.0, v, lw=0.6, label=loc)
    ax[0].set_ylabel("V [mV]")
    _legend(ax[0], len(others))
    if heads:
        for n, loc in heads:
            if "v" in r.variables(loc):
                t, v = r.trace(loc, "v")
                ax[1].plot(t / 1000.0, v, lw=0.6, label=f"spine{n} head")
        ax[1].set_ylabel("spine head V [mV]")
        _legend(ax[1], len(heads))
        _mark_inputs(ax[1], _events(r))
    ax[-1].set_xlabel("t [s]")
    ax[0].set_title(_title(r))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def _calcium(r: Results, path: Path) -> bool:
    plt = _plt()
    heads = [(n, loc) for n, loc in _spine_heads(r) if {"cai", "cali"} & set(r.variables(loc))]
    bio = [s for s in r.spines() if "ca" in r.species_names(s)]
    if not heads and not bio:
        return False
    fig, ax = plt.subplots(2 if bio else 1, 1, figsize=(9, 6 if bio else 3.5), sharex=True,
                           squeeze=False)  # fmt: skip
    ax = ax[:, 0]
    for n, loc in heads:
        total = None
        for var in ("cai", "cali"):
            if var in r.variables(loc):
                t, c = r.trace(loc, var)
                total = c if total is None else total[: c.size] + c[: total.size]
        ax[0].plot(t[: total.size] / 1000.0, 1e3 * total, lw=0.6, label=f"spine{n}")  # mM -> uM
    ax[0].set_ylabel("head cai + cali [uM]")
    _legend(ax[0], len(heads))
    if bio:
        for s in bio:
            t, c = r.species(s, "ca")
            scale = 1e6 if r.unit(spine_species(s, "ca")) in ("mol/L", "M") else 1.0  # M -> uM
            ax[1].plot(t / 1000.0, scale * c, lw=0.6, label=s)
        ax[1].set_ylabel("pathway [ca] [uM]")
        _legend(ax[1], len(bio))
    ax[-1].set_xlabel("t [s]")
    ax[0].set_title(_title(r))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def _weights(r: Results, path: Path) -> bool:
    plt = _plt()
    spines = [s for s in r.spines() if r.weights(s)[0].size]
    if not spines:
        return False
    fig, ax = plt.subplots(figsize=(9, 4))
    for s in spines:
        t, w = r.weights(s)
        ax.step(t / 1000.0, w, where="post", lw=0.9, label=s)
    _mark_inputs(ax, _events(r))
    ax.set_xlabel("t [s]")
    ax.set_ylabel("AMPA weight (AMPAR_P / baseline)")
    ax.set_title(_title(r))
    _legend(ax, len(spines))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def _species(r: Results, path: Path) -> bool:
    plt = _plt()
    spines = [s for s in r.spines() if r.species_names(s)]
    if not spines:
        return False
    names = [n for n in r.species_names(spines[0]) if n != "ca"] or r.species_names(spines[0])
    ncol = 2 if len(names) > 1 else 1
    nrow = math.ceil(len(names) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(9, 2.6 * nrow), sharex=True, squeeze=False)
    for k, name in enumerate(names):
        ax = axes[k // ncol][k % ncol]
        for s in spines:
            if name in r.species_names(s):
                t, v = r.species(s, name)
                ax.plot(t / 1000.0, v, lw=0.7, label=s)
        ax.set_ylabel(f"{name} [{r.unit(f'spines/{spines[0]}/species/{name}')}]", fontsize=8)
        if k == 0:
            _legend(ax, len(spines))
    for k in range(len(names), nrow * ncol):
        axes[k // ncol][k % ncol].axis("off")
    for ax in axes[-1]:
        ax.set_xlabel("t [s]")
    fig.suptitle(_title(r))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def flat_layout(names, parent, parent_x, length_um) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """2-D start and end points [um] of every non-spine section, for a flat picture.

    The root sits at the origin; each subtree gets an angular sector proportional to
    its number of terminal sections and each section points along its sector's middle.
    """
    keep = [i for i, n in enumerate(names) if not n.startswith("spine")]
    children: dict[int, list[int]] = {i: [] for i in keep}
    roots = []
    for i in keep:
        p = int(parent[i])
        (children[p] if p >= 0 else roots).append(i)

    def leaves(i: int) -> int:
        return max(1, sum(leaves(c) for c in children[i])) if children[i] else 1

    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def place(i: int, start: np.ndarray, a0: float, a1: float) -> None:
        mid = 0.5 * (a0 + a1)
        end = start + length_um[i] * np.array([math.cos(mid), math.sin(mid)])
        out[names[i]] = (start, end)
        total = sum(leaves(c) for c in children[i]) or 1
        a = a0
        for c in children[i]:
            share = (a1 - a0) * leaves(c) / total
            s = start + float(parent_x[c]) * (end - start)
            place(c, s, a, a + share)
            a += share

    for i in roots:  # the soma: its children spread around it
        r = 0.5 * length_um[i]
        out[names[i]] = (np.array([-r, 0.0]), np.array([r, 0.0]))
        total = sum(leaves(c) for c in children[i]) or 1
        a = 0.0
        for c in children[i]:
            share = 2 * math.pi * leaves(c) / total
            s = np.array([r if parent_x[c] >= 0.5 else -r, 0.0])
            place(c, s, a, a + share)
            a += share
    return out


def _morphology(r: Results, path: Path) -> bool:
    plt = _plt()
    from matplotlib.colors import TwoSlopeNorm

    m = r.morphology()
    if "sections/name" not in m:
        return False
    names = list(m["sections/name"])
    lay = flat_layout(names, m["sections/parent"], m["sections/parent_x"], m["sections/L_um"])
    diam = dict(zip(names, m["sections/diam_um"]))
    fig, ax = plt.subplots(figsize=(8, 8))
    for name, (a, b) in lay.items():
        if name == names[0] and int(m["sections/parent"][0]) < 0:
            ax.add_patch(plt.Circle((0, 0), 0.5 * diam[name], color="0.3"))
            continue
        ax.plot([a[0], b[0]], [a[1], b[1]], color="0.3", lw=max(0.6, 1.5 * diam[name]),
                solid_capstyle="round")  # fmt: skip
    # spines: position, weight change of the biochemical ones
    change = {}
    for s in r.spines():
        _, w = r.weights(s)
        if w.size:
            change[int(r.spine_attrs(s)["number"])] = 100.0 * (w[-1] / w[0] - 1.0)
    stimulated = {int(r.spine_attrs(s)["number"]) for s in r.spines()
                  if r.spine_attrs(s).get("stimulated")}  # fmt: skip
    nums = m.get("spines/number", np.zeros(0, int))
    xy, col, grey = [], [], []
    for k, n in enumerate(nums):
        sec = m["spines/section"][k]
        if sec not in lay:
            continue
        a, b = lay[sec]
        d = b - a
        perp = np.array([-d[1], d[0]]) / (np.linalg.norm(d) or 1.0)
        p = a + float(m["spines/x"][k]) * d + perp * (2.5 if n % 2 else -2.5)
        if int(n) in change:
            xy.append(p)
            col.append(change[int(n)])
        else:
            grey.append(p)
    if grey:
        g = np.array(grey)
        ax.scatter(g[:, 0], g[:, 1], s=2, color="0.75", zorder=2, label="spine")
    if xy:
        p = np.array(xy)
        lim = max(1e-6, max(abs(c) for c in col))
        norm = TwoSlopeNorm(vcenter=0.0, vmin=-lim, vmax=lim)
        edge = ["k" if int(n) in stimulated else "none" for n in change]
        sc = ax.scatter(p[:, 0], p[:, 1], c=col, cmap="coolwarm", norm=norm, s=40,
                        edgecolors=edge, linewidths=0.8, zorder=3)  # fmt: skip
        cb = fig.colorbar(sc, ax=ax, shrink=0.7)
        cb.set_label("AMPA weight change [%] (black edge: stimulated)")
    ax.set_aspect("equal")
    ax.set_xlabel("um")
    ax.set_ylabel("um")
    ax.set_title(_title(r) + " (drawn flat; not the 3-D shape)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


_FIGURES = (("voltage", _voltage), ("calcium", _calcium), ("weights", _weights),
            ("species", _species), ("morphology", _morphology))  # fmt: skip


def plot_results(path: str | Path, out_dir: str | Path | None = None) -> list[Path]:
    """Write the PNGs of a results file; returns the files written.

    Parameters
    ----------
    path : path
        A results file (a killed run's file works too: it is plotted up to its last flush).
    out_dir : path, optional
        Folder for the PNGs (default: the file's folder).
    """
    p = Path(path)
    folder = Path(out_dir) if out_dir is not None else p.parent
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with Results(p) as r:
        for suffix, fn in _FIGURES:
            target = folder / f"{p.stem}_{suffix}.png"
            if fn(r, target):
                written.append(target)
    return written
