"""Record how the task routes of a UPS model change over training."""
import json
import os
import os.path as osp
from typing import List, Optional

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmups.models.encoders import find_routed_encoders
from mmups.registry import HOOKS


@HOOKS.register_module()
class RouteHistoryHook(Hook):
    """Write the routes of every task to a JSON file in the work dir, before
    training, every ``interval`` iterations and after the last.

    The file (``out_file`` in ``runner.work_dir``, rewritten at each
    record; the main process writes it) holds::

        {"tasks": [task, ...], "num_layers": L, "num_blocks": H,
         "records": [{"iter": i,
                      "routes": {task: [block per layer]},
                      "probs": {task: [[p per block] per layer]},
                      "gumbel_tau": ..., "score_scale": ...}, ...]}

    ``iter`` counts the updates made; ``routes`` is the evaluation route
    (argmax of the scores, ``UPS.get_routes``) and ``probs`` the
    probability that a training draw selects each block
    (``UPS.get_route_probabilities``), both at that moment. A resumed run
    keeps the records before the iteration it resumes from.
    :func:`mmups.visualization.draw_route_history` draws the file; with
    ``interval`` equal to the checkpoint interval it has the route of every
    checkpoint.

    Args:
        interval: record every ``interval`` training iterations.
        out_file: name of the file in the work dir.
    """

    priority = 'LOW'  # after the hooks that change the routing's settings

    def __init__(self, interval: int = 100,
                 out_file: str = 'route_history.json') -> None:
        if interval < 1:
            raise ValueError(f'RouteHistoryHook interval must be >= 1, got '
                             f'{interval}')
        self.interval = interval
        self.out_file = out_file
        self.records: List[dict] = []

    def _path(self, runner) -> str:
        return osp.join(runner.work_dir, self.out_file)

    def _record(self, runner, iteration: int) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        for method in ('get_routes', 'get_route_probabilities'):
            if not hasattr(model, method):
                raise TypeError(f'RouteHistoryHook: {type(model).__name__} '
                                f'has no {method}(); expected a UPS model.')
        encoder = find_routed_encoders(model)[0]
        routes = model.get_routes()
        self.records.append(dict(
            iter=iteration, routes=routes,
            probs=model.get_route_probabilities(),
            gumbel_tau=float(encoder.gumbel_tau),
            score_scale=float(encoder.score_scale)))
        if not is_main_process():
            return
        history = dict(tasks=list(routes), num_layers=encoder.num_layers,
                       num_blocks=encoder.num_blocks, records=self.records)
        path = self._path(runner)
        # Written aside and moved, so a reader never sees half a file.
        with open(path + '.tmp', 'w') as f:
            json.dump(history, f, indent=1)
        os.replace(path + '.tmp', path)

    def before_train(self, runner) -> None:
        self.records = []
        path = self._path(runner)
        if runner.iter > 0 and osp.exists(path):
            with open(path) as f:
                self.records = [r for r in json.load(f)['records']
                                if r['iter'] < runner.iter]
        self._record(runner, runner.iter)

    def after_train_iter(self, runner, batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        if self.every_n_train_iters(runner, self.interval) or \
                self.is_last_train_iter(runner):
            self._record(runner, runner.iter + 1)
