"""Picture of early action prediction: class scores against the observed
fraction of the sequence."""
from typing import List, Optional, Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import PercentFormatter

from .output import PathLike, save_figure


def _check_curve_inputs(ratios, scores, class_names: Sequence[str],
                        top_k: int):
    ratios = np.asarray(ratios, dtype=float)
    scores = np.asarray(scores, dtype=float)
    if ratios.ndim != 1 or len(ratios) == 0:
        raise ValueError(f'ratios must have shape (R,) with R >= 1; got shape '
                         f'{tuple(ratios.shape)}.')
    if scores.ndim != 2 or scores.shape[0] != len(ratios):
        raise ValueError(f'scores must have shape (R, n_cls) with R = '
                         f'{len(ratios)} ratios; got shape '
                         f'{tuple(scores.shape)}.')
    if len(class_names) != scores.shape[1]:
        raise ValueError(f'class_names must have n_cls = {scores.shape[1]} '
                         f'names (scores is (R, n_cls)); got {len(class_names)}.')
    if not np.all((ratios > 0) & (ratios <= 1)):
        raise ValueError(f'ratios must be observed fractions in (0, 1]; got '
                         f'{ratios.tolist()}.')
    if not np.all(np.isfinite(scores)):
        raise ValueError('scores must be finite.')
    if top_k < 1:
        raise ValueError(f'top_k must be >= 1; got {top_k}.')
    return ratios, scores


def curve_classes(scores: np.ndarray, top_k: int) -> List[int]:
    """The classes whose curves are drawn, best first.

    Args:
        scores: (R, n_cls) class scores at R observed ratios.
        top_k: number of best classes.

    Returns:
        The ``top_k`` classes with the highest maximum score over the
        ratios, then any other class that is the arg-max at some ratio.
    """
    predicted = set(scores.argmax(axis=1).tolist())
    ranked = np.argsort(-scores.max(axis=0), kind='stable').tolist()
    return ranked[:top_k] + [k for k in ranked[top_k:] if k in predicted]


def draw_early_prediction_curve(ratios, scores, class_names: Sequence[str],
                                out_file: PathLike, top_k: int = 3,
                                title: Optional[str] = None,
                                dpi: float = 100) -> str:
    """Plot how the class scores evolve as more of a sequence is observed.

    The curves drawn are those of the ``top_k`` classes with the highest
    *maximum* score over the ratios (so a class the model was confident
    about early and then dropped is shown), plus any other class that is
    the prediction at some ratio (:func:`curve_classes`). The predicted
    class (arg-max) at each ratio is marked with a black-edged dot on its
    curve.

    Args:
        ratios: (R,) observed fractions of the sequence, in (0, 1]; any
            order.
        scores: (R, n_cls) class scores (e.g. probabilities) at each ratio.
        class_names: the n_cls class names, for the legend.
        out_file: image file to write (format from its extension).
        top_k: number of best classes drawn.
        title: title above the plot.
        dpi: resolution of the image.

    Returns:
        ``out_file``.

    Raises:
        ValueError: wrong shapes, ratios outside (0, 1], non-finite scores
            or ``top_k`` < 1.
    """
    ratios, scores = _check_curve_inputs(ratios, scores, class_names, top_k)
    order = np.argsort(ratios, kind='stable')
    ratios, scores = ratios[order], scores[order]
    predicted = scores.argmax(axis=1)  # (R,)

    fig = Figure(figsize=(5.5, 3.0), layout='constrained')
    ax = fig.add_subplot()
    palette = colormaps['tab10'].colors
    for i, k in enumerate(curve_classes(scores, top_k)):
        color = palette[i % len(palette)]
        ax.plot(ratios, scores[:, k], color=color, linewidth=1.5,
                marker='.', markersize=4, label=class_names[k])
        is_pred = predicted == k
        ax.scatter(ratios[is_pred], scores[is_pred, k], s=36, color=color,
                   edgecolors='black', linewidths=1.0, zorder=3)
    handles, _ = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], linestyle='none', marker='o',
                          markerfacecolor='white', markeredgecolor='black',
                          label='predicted class'))
    ax.legend(handles=handles, loc='upper left', bbox_to_anchor=(1.01, 1),
              fontsize=8, frameon=False)
    ax.set_xlim(0, 1.02)
    ax.xaxis.set_major_formatter(PercentFormatter(xmax=1))
    if scores.min() >= 0 and scores.max() <= 1:  # probabilities
        ax.set_ylim(0, 1.03)
    ax.set_xlabel('observed part of the sequence')
    ax.set_ylabel('class score')
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title)
    return save_figure(fig, out_file, dpi)
