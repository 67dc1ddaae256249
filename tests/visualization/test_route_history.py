import copy
import json

import numpy as np
import pytest
from PIL import Image

from mmups.visualization import (draw_route_history, load_route_history,
                                 route_history_figure, route_history_table)

#: Two tasks, two layers, two blocks, three records: task 'a' flips layer 1
#: twice, task 'b' flips layer 2 once.
HISTORY = dict(
    tasks=['a', 'b'], num_layers=2, num_blocks=2,
    records=[
        dict(iter=0, routes=dict(a=[0, 1], b=[1, 1]),
             probs=dict(a=[[0.9, 0.1], [0.3, 0.7]],
                        b=[[0.2, 0.8], [0.4, 0.6]])),
        dict(iter=10, routes=dict(a=[1, 1], b=[1, 0]),
             probs=dict(a=[[0.4, 0.6], [0.2, 0.8]],
                        b=[[0.1, 0.9], [0.55, 0.45]])),
        dict(iter=25, routes=dict(a=[0, 1], b=[1, 0]),
             probs=dict(a=[[0.7, 0.3], [0.1, 0.9]],
                        b=[[0.05, 0.95], [0.8, 0.2]])),
    ])


def test_load_route_history(tmp_path):
    path = tmp_path / 'route_history.json'
    path.write_text(json.dumps(HISTORY))
    hist = load_route_history(path)
    assert hist.tasks == ['a', 'b']
    assert hist.iters.tolist() == [0, 10, 25]
    assert hist.routes.shape == (3, 2, 2) and hist.probs.shape == (3, 2, 2, 2)
    assert hist.routes[:, 0, 0].tolist() == [0, 1, 0]
    assert hist.probs[1, 1, 1].tolist() == [0.55, 0.45]
    assert hist.changes.tolist() == [[2, 0], [0, 1]]


def test_route_history_table():
    assert route_history_table(HISTORY).splitlines() == [
        'iter     a    b',
        '0        0 1  1 1',
        '10       1 1  1 0',
        '25       0 1  1 0',
        'changes  2    1',
    ]


def test_route_history_figure_draws_the_records():
    fig = route_history_figure(HISTORY, title='routes over training')
    axes = fig.get_axes()
    assert len(axes) == 4  # tasks x layers
    b2 = axes[3]  # task 'b', layer 2
    assert b2.get_title() == 'b, layer 2: 1 change'
    assert axes[0].get_title() == 'a, layer 1: 2 changes'
    for h, line in enumerate(b2.lines):
        assert line.get_xdata().tolist() == [0, 10, 25]
        assert np.allclose(line.get_ydata(),
                           [r['probs']['b'][1][h] for r in HISTORY['records']])
    # The background shows the route from each record to the next: block 1,
    # then block 0 (the colours of the block lines).
    spans = b2.patches
    assert len(spans) == 2
    assert spans[0].get_facecolor()[:3] == pytest.approx(
        b2.lines[1].get_color())
    assert spans[1].get_facecolor()[:3] == pytest.approx(
        b2.lines[0].get_color())


def test_draw_route_history(tmp_path):
    path = draw_route_history(HISTORY, tmp_path / 'fig' / 'history.png',
                              title='tiny')
    with Image.open(path) as image:
        assert image.format == 'PNG' and min(image.size) > 100


@pytest.mark.parametrize('change, match', [
    (lambda h: h.update(records=[]), 'no records'),
    (lambda h: h['records'][2].update(iter=10), 'increase'),
    (lambda h: h['records'][1]['routes'].pop('b'), 'tasks'),
    (lambda h: h['records'][1]['routes'].update(a=[0, 2]), 'block indices'),
    (lambda h: h['records'][0]['probs'].update(a=[[0.9, 0.2], [0.3, 0.7]]),
     'summing to 1'),
    (lambda h: h['records'][0]['probs'].update(a=[[1.0], [1.0]]), 'probs'),
])
def test_bad_histories(change, match):
    history = copy.deepcopy(HISTORY)
    change(history)
    with pytest.raises(ValueError, match=match):
        load_route_history(history)
