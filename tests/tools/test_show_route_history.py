"""tools/analysis/show_route_history.py on a made-up route history."""
import importlib.util
import json
import os.path as osp

from PIL import Image

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
SCRIPT = osp.join(ROOT, 'tools', 'analysis', 'show_route_history.py')


def test_show_route_history(tmp_path, capsys):
    history = dict(tasks=['pe3d', 'ar3d'], num_layers=1, num_blocks=3,
                   records=[dict(iter=i, routes=dict(pe3d=[i % 3],
                                                     ar3d=[2]),
                                 probs=dict(pe3d=[p], ar3d=[[0, 0, 1]]))
                            for i, p in ((0, [0.5, 0.3, 0.2]),
                                         (4, [0.2, 0.5, 0.3]),
                                         (8, [0.1, 0.1, 0.8]))])
    path = tmp_path / 'route_history.json'
    path.write_text(json.dumps(history))
    spec = importlib.util.spec_from_file_location('mmups_tools_srh', SCRIPT)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out_file = tmp_path / 'fig.png'
    hist = tool.main([str(path), '--out-file', str(out_file)])
    assert hist.changes.tolist() == [[2], [0]]
    lines = capsys.readouterr().out.splitlines()
    assert lines[1:6] == ['iter     pe3d  ar3d', '0        0     2',
                          '4        1     2', '8        2     2',
                          'changes  2     0']
    assert lines[6] == f'figure written to {out_file}'
    with Image.open(out_file) as image:
        assert image.format == 'PNG'
