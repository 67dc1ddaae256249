import numpy as np
import pytest
from PIL import Image

from mmups.visualization import check_routes, draw_routes, routes_table

ROUTES = {'pe3d': [0, 0, 1], 'ar2d': [1, 0, 1], 'eap3d': [0, 1, 1],
          'ar3d': [1, 1, 0]}


def test_draw_routes(tmp_path):
    path = draw_routes(ROUTES, tmp_path / 'a' / 'routes.png', title='routes',
                       dpi=30)
    with Image.open(path) as two:
        assert two.format == 'PNG'
        two_size = two.size
    # More blocks per layer: a taller grid; arrays are accepted.
    path = draw_routes({'a': np.array([3, 0]), 'b': (0, 0)},
                       tmp_path / 'four.png', num_blocks=4, dpi=30)
    with Image.open(path) as four:
        assert four.height > two_size[1]


def test_routes_table():
    lines = routes_table(ROUTES).splitlines()
    assert lines[0].split() == ['task', 'layer', '1', 'layer', '2', 'layer',
                                '3']
    assert [line.split() for line in lines[1:]] == [
        [task, *map(str, blocks)] for task, blocks in ROUTES.items()]


def test_route_errors(tmp_path):
    out = tmp_path / 'x.png'
    with pytest.raises(ValueError, match=r'in \[0, 2\)'):
        draw_routes({'a': [0, 2]}, out)
    with pytest.raises(ValueError, match='same length'):
        draw_routes({'a': [0, 1], 'b': [0]}, out)
    with pytest.raises(ValueError, match='at least one task'):
        draw_routes({}, out)
    with pytest.raises(ValueError, match='block indices'):
        draw_routes({'a': [0.5, 1]}, out)
    with pytest.raises(ValueError, match='num_blocks'):
        check_routes(ROUTES, 0)
    assert not out.exists()
