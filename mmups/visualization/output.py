"""Writing pictures: output folders and saving figures without a display."""
import os
import os.path as osp
from typing import Union

from matplotlib.figure import Figure

PathLike = Union[str, os.PathLike]


def prepare_out_file(out_file: PathLike) -> str:
    """Create the folder of ``out_file`` and return the path as a string."""
    out_file = os.fspath(out_file)
    folder = osp.dirname(osp.abspath(out_file))
    os.makedirs(folder, exist_ok=True)
    return out_file


def save_figure(fig: Figure, out_file: PathLike, dpi: float = 100) -> str:
    """Write ``fig`` to ``out_file`` (format from the file extension).

    A bare :class:`~matplotlib.figure.Figure` renders with Agg, so this needs
    no display and leaves pyplot's global state alone.
    """
    out_file = prepare_out_file(out_file)
    fig.savefig(out_file, dpi=dpi)
    return out_file
