"""How the task routes of a UPS model evolved over training, from the JSON
file :class:`~mmups.engine.RouteHistoryHook` writes."""
import json
import os
from typing import Mapping, NamedTuple, Optional, Union

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .output import PathLike, save_figure
from .routes import check_routes, text_table


class RouteHistory(NamedTuple):
    """A route history as arrays (R records, M tasks, L layers, H blocks).

    Attributes:
        tasks: the M task names.
        iters: (R,) updates made at each record, increasing.
        routes: (R, M, L) evaluation route: selected block per layer.
        probs: (R, M, L, H) probability of a training draw per block.
        changes: (M, L) number of records whose route differs from the
            previous record's.
    """
    tasks: list
    iters: np.ndarray
    routes: np.ndarray
    probs: np.ndarray
    changes: np.ndarray


def load_route_history(history: Union[PathLike, Mapping]) -> RouteHistory:
    """Check a route history (a ``RouteHistoryHook`` file or its contents)
    and return it as arrays.

    Raises:
        ValueError: no records, iterations not increasing, a record without
            every task, routes as :func:`check_routes` rejects them, or
            probabilities not of shape (L, H) per task or not summing to 1.
    """
    where = 'route history'
    if isinstance(history, (str, os.PathLike)):
        where = os.fspath(history)
        with open(history) as f:
            history = json.load(f)
    records = history.get('records') or []
    if not records:
        raise ValueError(f'{where}: no records.')
    tasks = list(history.get('tasks') or records[0]['routes'])
    num_blocks = int(history.get('num_blocks') or
                     len(records[0]['probs'][tasks[0]][0]))
    iters = np.asarray([r['iter'] for r in records])
    if (np.diff(iters) <= 0).any():
        raise ValueError(f'{where}: record iterations must increase; got '
                         f'{iters.tolist()}.')
    routes, probs = [], []
    for r in records:
        if set(r['routes']) != set(tasks) or set(r['probs']) != set(tasks):
            raise ValueError(f'{where}: the record of iteration {r["iter"]} '
                             f'must have routes and probs of the tasks '
                             f'{tasks}.')
        checked = check_routes(r['routes'], num_blocks)
        routes.append([checked[t] for t in tasks])
        shape = (len(routes[-1][0]), num_blocks)
        p = [np.asarray(r['probs'][t], dtype=float) for t in tasks]
        if any(q.shape != shape or not np.allclose(q.sum(-1), 1, atol=1e-4)
               for q in p):
            raise ValueError(f'{where}: the probs of iteration {r["iter"]} '
                             f'must give each task (L, H) = {shape} '
                             'probabilities summing to 1 over the blocks.')
        probs.append(np.stack(p))
    routes = np.asarray(routes)
    changes = (np.diff(routes, axis=0) != 0).sum(0)
    return RouteHistory(tasks, iters, routes, np.stack(probs), changes)


def route_history_table(history: Union[PathLike, Mapping]) -> str:
    """The route history as a text table: one row per record, the
    iteration, then each task's block per encoder layer (0-based); a last
    row with each task's number of route changes (over all layers)."""
    hist = load_route_history(history)
    rows = [['iter'] + hist.tasks]
    rows += [[str(it)] + [' '.join(str(b) for b in route)
                          for route in hist.routes[r]]
             for r, it in enumerate(hist.iters)]
    rows.append(['changes'] + [str(int(c)) for c in hist.changes.sum(-1)])
    return text_table(rows)


def route_history_figure(history: Union[PathLike, Mapping],
                         title: Optional[str] = None) -> Figure:
    """The figure :func:`draw_route_history` writes: one panel per task
    (rows) and encoder layer (columns); in each, the probability that a
    training draw selects each block against the iteration (one line per
    block, the lines of ``ax.lines`` in block order), on a background
    coloured by the evaluation route from each record to the next. Panel
    titles count the route's changes."""
    hist = load_route_history(history)
    num_records, num_tasks, num_layers, num_blocks = hist.probs.shape
    palette = colormaps['tab10'].colors
    colors = [palette[h % len(palette)] for h in range(num_blocks)]
    fig = Figure(figsize=(1.0 + 2.6 * num_layers, 0.9 + 1.7 * num_tasks),
                 layout='constrained')
    axes = fig.subplots(num_tasks, num_layers, sharex=True, sharey=True,
                        squeeze=False)
    for m, task in enumerate(hist.tasks):
        for layer in range(num_layers):
            ax = axes[m, layer]
            for i in range(num_records - 1):
                ax.axvspan(hist.iters[i], hist.iters[i + 1], linewidth=0,
                           alpha=0.15,
                           color=colors[hist.routes[i, m, layer]])
            for h in range(num_blocks):
                ax.plot(hist.iters, hist.probs[:, m, layer, h],
                        color=colors[h], linewidth=1.5, marker='o',
                        markersize=2.5)
            changes = int(hist.changes[m, layer])
            ax.set_title(f'{task}, layer {layer + 1}: {changes} change'
                         f'{"" if changes == 1 else "s"}', fontsize=9)
            ax.set_ylim(-0.03, 1.03)
            if m == num_tasks - 1:
                ax.set_xlabel('iteration')
            if layer == 0:
                ax.set_ylabel('P(block drawn)')
    handles = [Line2D([], [], color=colors[h], linewidth=1.5,
                      label=f'block {h}') for h in range(num_blocks)]
    fig.legend(handles=handles, loc='outside right center', frameon=False,
               fontsize=9, title='shade: route')
    if title:
        fig.suptitle(title)
    return fig


def draw_route_history(history: Union[PathLike, Mapping],
                       out_file: PathLike, title: Optional[str] = None,
                       dpi: float = 100) -> str:
    """Draw how the routes evolved over training
    (:func:`route_history_figure`).

    Args:
        history: a ``RouteHistoryHook`` JSON file or its contents.
        out_file: image file to write (format from its extension).
        title: title above the panels.
        dpi: resolution of the image.

    Returns:
        ``out_file``.

    Raises:
        ValueError: see :func:`load_route_history`.
    """
    return save_figure(route_history_figure(history, title), out_file, dpi)
