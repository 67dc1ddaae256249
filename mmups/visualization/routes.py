"""Picture of the task routes through the routed encoder (the paper's
Fig. 4): which of the H blocks of each encoder layer every task selects."""
from typing import Dict, List, Mapping, Optional, Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch

from .output import PathLike, save_figure

#: Box size in grid units (layers are 1 apart horizontally, blocks
#: vertically).
_BOX_W, _BOX_H = 0.55, 0.7


def check_routes(routes: Mapping[str, Sequence[int]],
                 num_blocks: int) -> Dict[str, List[int]]:
    """Return ``routes`` as ``{task: [block per layer]}`` of ints.

    Raises:
        ValueError: no task, routes of different lengths, or a block index
            outside [0, num_blocks).
    """
    if num_blocks < 1:
        raise ValueError(f'num_blocks must be >= 1; got {num_blocks}.')
    if not routes:
        raise ValueError('routes must map at least one task to its blocks.')
    checked = {}
    for task, blocks in routes.items():
        blocks = np.asarray(blocks)
        if blocks.ndim != 1 or len(blocks) == 0 or not (
                np.issubdtype(blocks.dtype, np.integer)):
            raise ValueError(f'routes[{task!r}] must be a list of L >= 1 '
                             'block indices (one per encoder layer); got '
                             f'{blocks.tolist()!r}.')
        checked[str(task)] = [int(b) for b in blocks]
    lengths = {len(b) for b in checked.values()}
    if len(lengths) > 1:
        raise ValueError('Every task needs one block index per encoder '
                         f'layer (same length L); got lengths {lengths}.')
    for task, blocks in checked.items():
        if not all(0 <= b < num_blocks for b in blocks):
            raise ValueError(f'routes[{task!r}] = {blocks}: block indices '
                             f'must be in [0, {num_blocks}) (num_blocks).')
    return checked


def routes_table(routes: Mapping[str, Sequence[int]]) -> str:
    """The routes as a text table: one row per task, then its block index
    in each encoder layer (0-based, as ``UPS.get_routes()`` gives them)."""
    num_layers = len(next(iter(routes.values()), []))
    header = ['task'] + [f'layer {i + 1}' for i in range(num_layers)]
    rows = [[str(task)] + [str(b) for b in blocks]
            for task, blocks in routes.items()]
    return text_table([header] + rows)


def text_table(rows: Sequence[Sequence[str]]) -> str:
    """``rows`` of cells as text, each column left-aligned to its widest
    cell, two spaces apart."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return '\n'.join('  '.join(cell.ljust(w) for cell, w in zip(row, widths))
                     .rstrip() for row in rows)


def draw_routes(routes: Mapping[str, Sequence[int]], out_file: PathLike,
                num_blocks: int = 2, title: Optional[str] = None,
                dpi: float = 100) -> str:
    """Draw each task's path through the blocks of the routed encoder.

    Encoder layers are columns and the ``num_blocks`` blocks of a layer are
    boxes stacked in the column. Each task is a coloured path with its own
    lane through the boxes of the blocks it selects, so the tasks sharing a
    block show as several dots in one box; boxes no task selects are drawn
    dashed.

    Args:
        routes: ``{task: [block index per encoder layer]}`` as
            ``UPS.get_routes()`` returns, e.g. ``{'pe3d': [0, 0, 1],
            'ar2d': [1, 0, 1]}``; every list has L entries.
        out_file: image file to write (format from its extension).
        num_blocks: H, the number of blocks in each encoder layer.
        title: title above the grid.
        dpi: resolution of the image.

    Returns:
        ``out_file``.

    Raises:
        ValueError: see :func:`check_routes`.
    """
    routes = check_routes(routes, num_blocks)
    tasks = list(routes)
    num_layers = len(routes[tasks[0]])
    # Lane of each task inside a box, so that shared boxes show every task.
    lanes = (np.arange(len(tasks)) - (len(tasks) - 1) / 2) * (
        _BOX_H / (len(tasks) + 1))
    used = {(layer, b) for blocks in routes.values()
            for layer, b in enumerate(blocks)}

    fig = Figure(figsize=(1.2 + 1.1 * num_layers + 1.3,
                          0.8 + 0.75 * num_blocks), layout='constrained')
    ax = fig.add_subplot()
    for layer in range(num_layers):
        for b in range(num_blocks):
            shared = (layer, b) in used
            ax.add_patch(FancyBboxPatch(
                (layer - _BOX_W / 2, b - _BOX_H / 2), _BOX_W, _BOX_H,
                boxstyle='round,pad=0,rounding_size=0.06',
                facecolor='#f2f2f2' if shared else 'white',
                edgecolor='#555555', linestyle='-' if shared else '--',
                linewidth=1.0))
    palette = colormaps['tab10'].colors
    handles = []
    for i, task in enumerate(tasks):
        color = palette[i % len(palette)]
        ys = np.asarray(routes[task]) + lanes[i]
        layers = np.arange(num_layers)
        # Through each box horizontally, then on to the next layer's box.
        xs = np.stack([layers - _BOX_W / 2, layers + _BOX_W / 2], 1).ravel()
        ax.plot(xs, np.repeat(ys, 2), color=color, linewidth=2.0,
                solid_capstyle='round')
        ax.scatter(layers, ys, s=30, color=color, edgecolors='black',
                   linewidths=0.6, zorder=3)
        handles.append(Line2D([], [], color=color, linewidth=2.0, marker='o',
                              markeredgecolor='black', label=task))
    ax.legend(handles=handles, loc='center left', bbox_to_anchor=(1.0, 0.5),
              frameon=False, fontsize=9, title='task')
    ax.set_xticks(range(num_layers),
                  [f'layer {i + 1}' for i in range(num_layers)])
    ax.set_yticks(range(num_blocks), [f'block {b}' for b in range(num_blocks)])
    ax.xaxis.tick_top()
    ax.tick_params(length=0)
    ax.set_xlim(-0.5, num_layers - 0.5)
    ax.set_ylim(num_blocks - 0.5, -0.5)  # block 0 at the top
    for side in ax.spines.values():
        side.set_visible(False)
    if title:
        ax.set_title(title)
    return save_figure(fig, out_file, dpi)
