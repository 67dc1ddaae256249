"""Show which encoder block each task of a trained UPS model selects.

Prints the routes as a table (task, then the 0-based block index in each
encoder layer) and draws them as the paper's routing figure.

Example::

    python tools/analysis/show_routes.py configs/ups/ups_demo.py \
        work_dirs/ups_demo/iter_600.pth --out-file routes.png
"""
import argparse
from typing import Dict, List

from mmengine.config import DictAction

import mmups  # noqa: F401  (compatibility shims, registration)
from mmups.apis import init_model
from mmups.visualization import draw_routes, routes_table


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Print and draw the task routes of a UPS model')
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out-file', default='routes.png',
                        help='figure to write (default: routes.png)')
    parser.add_argument('--title', help='title of the figure')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    return parser.parse_args(argv)


def main(argv=None) -> Dict[str, List[int]]:
    args = parse_args(argv)
    model = init_model(args.config, args.checkpoint,
                       cfg_options=args.cfg_options)
    if not hasattr(model, 'get_routes'):
        raise TypeError(f'{type(model).__name__} (from {args.config}) has no '
                        'routed encoder: expected a UPS model.')
    routes = model.get_routes()
    print('routes (selected block per encoder layer):')
    print(routes_table(routes))
    out_file = draw_routes(routes, args.out_file,
                           num_blocks=model.encoder.num_blocks,
                           title=args.title)
    print(f'figure written to {out_file}')
    return routes


if __name__ == '__main__':
    main()
