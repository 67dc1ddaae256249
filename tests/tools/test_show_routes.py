"""tools/analysis/show_routes.py on the tiny model and a saved checkpoint."""
import importlib.util
import os.path as osp

import torch
from PIL import Image

from mmups.apis import init_model

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
SCRIPT = osp.join(ROOT, 'tools', 'analysis', 'show_routes.py')
TINY = osp.join(ROOT, 'configs', '_base_', 'models', 'ups_tiny.py')


def load_tool():
    spec = importlib.util.spec_from_file_location('mmups_tools_show_routes',
                                                  SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_show_routes(tmp_path, capsys):
    torch.manual_seed(0)
    model = init_model(TINY)
    checkpoint = str(tmp_path / 'tiny.pth')
    torch.save({'state_dict': model.state_dict()}, checkpoint)
    out_file = tmp_path / 'figs' / 'routes.png'

    routes = load_tool().main([TINY, checkpoint, '--out-file',
                               str(out_file), '--title', 'tiny UPS'])
    assert routes == model.get_routes()
    with Image.open(out_file) as image:
        image.verify()
    with Image.open(out_file) as image:
        assert image.format == 'PNG' and min(image.size) > 0

    out = capsys.readouterr().out
    lines = out.splitlines()
    header = lines.index(next(line for line in lines
                              if line.startswith('task')))
    num_layers = len(routes[model.tasks[0]])
    assert lines[header].split()[2::2] == [
        str(i + 1) for i in range(num_layers)]
    printed = {cells[0]: [int(c) for c in cells[1:]]
               for cells in (line.split() for line in
                             lines[header + 1:header + 1 + len(routes)])}
    assert printed == model.get_routes()
    assert f'figure written to {out_file}' in out
