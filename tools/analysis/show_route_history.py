"""Show how the task routes of a UPS model changed over its training.

Reads the file ``RouteHistoryHook`` writes in the work dir, prints each
record's routes (iteration, then per task its 0-based block per encoder
layer) and each task's number of route changes, and draws the history.

Example::

    python tools/analysis/show_route_history.py \
        work_dirs/ups_demo/route_history.json --out-file route_history.png
"""
import argparse

import mmups  # noqa: F401  (compatibility shims)
from mmups.visualization import (RouteHistory, draw_route_history,
                                 load_route_history, route_history_table)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Print and draw the route history of a UPS training')
    parser.add_argument('history', help='route_history.json of a work dir')
    parser.add_argument('--out-file', default='route_history.png',
                        help='figure to write (default: route_history.png)')
    parser.add_argument('--title', help='title of the figure')
    return parser.parse_args(argv)


def main(argv=None) -> RouteHistory:
    args = parse_args(argv)
    hist = load_route_history(args.history)
    print('routes (selected block per encoder layer) at each record:')
    print(route_history_table(args.history))
    out_file = draw_route_history(args.history, args.out_file,
                                  title=args.title)
    print(f'figure written to {out_file}')
    return hist


if __name__ == '__main__':
    main()
