import numpy as np
import pytest
from PIL import Image

from mmups.visualization import draw_early_prediction_curve
from mmups.visualization.early_prediction import curve_classes

NAMES = ['drink', 'wave', 'sit', 'jump', 'clap']


def test_curve_classes():
    scores = np.array([[0.9, 0.05, 0.05, 0.0, 0.0],   # class 0 early ...
                       [0.2, 0.3, 0.1, 0.0, 0.4],     # class 4 mid-way
                       [0.1, 0.8, 0.05, 0.05, 0.0]])  # ... class 1 at the end
    # Ranked by maximum score; predicted classes are always drawn.
    assert curve_classes(scores, 2) == [0, 1, 4]
    assert curve_classes(scores, 4) == [0, 1, 4, 2]


def test_draw_curve(tmp_path):
    rng = np.random.default_rng(0)
    scores = rng.dirichlet(np.ones(5), size=4)
    ratios = [1.0, 0.25, 0.5, 0.75]  # any order
    path = draw_early_prediction_curve(ratios, scores, NAMES,
                                       tmp_path / 'a' / 'curve.png', top_k=2,
                                       title='early', dpi=30)
    assert path == str(tmp_path / 'a' / 'curve.png')
    with Image.open(path) as image:
        assert image.format == 'PNG' and image.size[0] > 0


def test_input_errors(tmp_path):
    out = tmp_path / 'x.png'
    scores = np.full((3, 5), 0.2)
    ratios = [0.3, 0.6, 1.0]
    with pytest.raises(ValueError, match=r'scores must have shape \(R, n_cls\)'):
        draw_early_prediction_curve(ratios, scores[:2], NAMES, out)
    with pytest.raises(ValueError, match=r'ratios must have shape \(R,\)'):
        draw_early_prediction_curve([ratios], scores, NAMES, out)
    with pytest.raises(ValueError, match='n_cls = 5'):
        draw_early_prediction_curve(ratios, scores, NAMES[:4], out)
    with pytest.raises(ValueError, match=r'\(0, 1\]'):
        draw_early_prediction_curve([0.0, 0.5, 1.0], scores, NAMES, out)
    with pytest.raises(ValueError, match='top_k'):
        draw_early_prediction_curve(ratios, scores, NAMES, out, top_k=0)
    assert not out.exists()
