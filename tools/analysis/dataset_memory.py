"""Host memory of a config's datasets, per training process.

Builds every task's train and val datasets of a config in this process, as
``tools/train.py`` holds them during training (mmengine's Runner builds the
train loader, then the val loader when training starts; each rank process
builds its own, and dataloader workers share the parent's serialised data
copy-on-write), and prints the resident memory each one adds and the peak
reached while loading (a ``PoseDataset`` loads the whole annotation pkl
before keeping its split).

On the real data (the config's files under ``data/``)::

    python tools/analysis/dataset_memory.py configs/ups/ups_all.py

Without the data, ``--synthetic F`` writes files of the converters' formats
into a temporary folder with F times the clip counts of the real datasets
(``FULL_SIZE`` below; per-clip shapes as the releases have them; Human3.6M:
synthetic motion capture through the project's converter, F times its frame
count), measures at F / 2 and F, and extrapolates to the full datasets with
the slope between the two (memory is linear in the number of clips; what
does not grow with the data, such as modules imported on first use, drops
out)::

    python tools/analysis/dataset_memory.py configs/ups/ups_all.py \\
        --synthetic 0.05
"""
import argparse
import gc
import multiprocessing
import os
import os.path as osp
import pickle
import sys
import tempfile
from typing import Dict, List, Optional, Tuple

import numpy as np
from mmengine.config import Config
from mmengine.registry import DefaultScope

import mmups  # noqa: F401  (applies the compatibility shims)
from mmups.registry import DATASETS
from mmups.tasks import resolve_tasks
from mmups.utils import limit_heap_fragmentation, release_free_memory

#: Clip counts and per-clip shapes of the real datasets, for --synthetic.
#: NTU RGB+D: 56,880 (60) / 114,480 (120) samples less the 302 / 535
#: without skeletons; about 4 million frames over the 56,880 samples of
#: NTU RGB+D 60 in its paper (mean T 70); two bodies in the mutual actions
#: (11 of 60 classes). Kinetics-skeleton (ST-GCN's release): 240,436 train
#: and 19,796 val clips of up to 300 frames (10 s at 30 fps), 2 persons kept.
#: Human3.6M: 1,559,752 train (S1, S5-S8) and 543,344 test (S9, S11) 2D
#: samples at 50 Hz over the 4 cameras.
FULL_SIZE = dict(
    ntu60=dict(clips=56578, frames=70, two_person_share=11 / 60),
    ntu120=dict(clips=113945, frames=70, two_person_share=26 / 120),
    kinetics=dict(train=240436, val=19796, frames=300, persons=2),
    h36m=dict(train=1559752, test=543344),
)


def rss_mb() -> Tuple[float, float]:
    """(resident, peak resident) memory of this process, in MB."""
    values = {}
    with open('/proc/self/status') as f:
        for line in f:
            key, _, rest = line.partition(':')
            if key in ('VmRSS', 'VmHWM'):
                values[key] = int(rest.split()[0]) / 1024
    return values['VmRSS'], values['VmHWM']


def _dump(obj, path: str) -> None:
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    with open(path, 'wb') as f:
        pickle.dump(obj, f, protocol=4)


def _split_names(cfg, ann_file: str) -> List[str]:
    """The splits of ``ann_file`` that the config's datasets read."""
    names = set()
    for ds in _datasets(cfg):
        if ds.get('ann_file') == ann_file and ds.get('split'):
            names.add(ds['split'])
    return sorted(names)


def _datasets(cfg) -> List[dict]:
    out = []
    for loader in ('train_dataloader', 'val_dataloader'):
        for task_ds in cfg[loader].dataset.datasets.values():
            out.extend(task_ds.get('datasets', [task_ds]))
    return out


def write_ntu_pkl(path: str, splits: List[str], fraction: float,
                  size: dict, rng: np.random.Generator) -> None:
    """An MMAction2-format NTU pkl: every clip in every split named (the
    real splits partition the clips in about 2:1 train:val; here each clip
    is in one *_train or one *_val split of each benchmark)."""
    num = max(2, round(size['clips'] * fraction))
    annos = []
    for k in range(num):
        persons = 2 if rng.random() < size['two_person_share'] else 1
        annos.append(dict(
            frame_dir=f'clip{k:06d}', label=k % 60,
            total_frames=size['frames'],
            img_shape=(1080, 1920), original_shape=(1080, 1920),
            keypoint=rng.normal(size=(persons, size['frames'], 25, 3)).astype(
                np.float32)))
    benchmarks = sorted({s.rsplit('_', 1)[0] for s in splits})
    split = {}
    for bench in benchmarks:
        split[f'{bench}_train'] = [a['frame_dir'] for k, a in enumerate(annos)
                                   if k % 3 != 0]
        split[f'{bench}_val'] = [a['frame_dir'] for k, a in enumerate(annos)
                                 if k % 3 == 0]
    _dump(dict(split=split, annotations=annos), path)


def write_kinetics_pkl(path: str, fraction: float, size: dict,
                       rng: np.random.Generator,
                       skeleton_dir: Optional[str] = None) -> None:
    """A pkl as tools/data/kinetics_skeleton_to_pkl.py writes it (with
    ``skeleton_dir``: ``--skeleton-dir``, the joints in one file a clip)."""
    annos, split = [], {}
    for part in ('train', 'val'):
        num = max(1, round(size[part] * fraction))
        names = [f'{part}{k:06d}' for k in range(num)]
        split[part] = names
        shape = (size['persons'], size['frames'], 18)
        for k, name in enumerate(names):
            joints = dict(
                keypoint=(rng.random(shape + (2, )) * 256).astype(np.float32),
                keypoint_score=rng.random(shape).astype(np.float32))
            anno = dict(frame_dir=name, label=k % 400,
                        total_frames=size['frames'], img_shape=(256, 340),
                        original_shape=(256, 340))
            if skeleton_dir is None:
                anno.update(joints)
            else:
                _dump(joints, osp.join(skeleton_dir, f'{name}.pkl'))
            annos.append(anno)
    _dump(dict(split=split, annotations=annos), path)


def write_h36m(root: str, ds_cfgs: List[dict], fraction: float) -> float:
    """MMPose's Human3.6M files under ``root`` (the project's converter on
    synthetic motion capture: 7 subjects x 30 takes, 4 cameras) and
    CPN-style detections; returns the fraction of the full size written."""
    from mmups.datasets.converters.h36m import convert_h36m
    from mmups.datasets.demo_data import make_cameras, make_mocap
    subjects = ('S1', 'S5', 'S6', 'S7', 'S8', 'S9', 'S11')
    full = FULL_SIZE['h36m']['train'] + FULL_SIZE['h36m']['test']
    per_take = max(30, round(full * fraction / (4 * 30 * len(subjects))))
    data = make_mocap({s: 30 for s in subjects}, num_frames=per_take)
    positions = osp.join(root, 'source', 'positions.npz')
    cameras = osp.join(root, 'source', 'cameras.pkl')
    os.makedirs(osp.dirname(positions), exist_ok=True)
    np.savez(positions, positions_3d=data)
    _dump(make_cameras(list(data)), cameras)
    convert_h36m(positions, cameras, root, show_progress=False)
    written = 0
    for ds in ds_cfgs:
        npz = np.load(osp.join(root, ds['ann_file']))
        rows = npz['part'].shape[0]
        written += rows
        det = ds.get('keypoint_2d_det_file')
        if det:
            path = osp.join(root, det)
            os.makedirs(osp.dirname(path), exist_ok=True)
            np.save(path, npz['part'].astype(np.float32))
    return written / full


def make_synthetic(cfg, fraction: float) -> Dict[str, float]:
    """Write the config's data files under the current folder; returns
    each file's fraction of its real size."""
    rng = np.random.default_rng(0)
    scale = {}
    h36m_cfgs = {}
    for ds in _datasets(cfg):
        ann = ds.get('ann_file')
        if 'Human36mDataset' in ds.get('type', ''):
            h36m_cfgs.setdefault(ds['data_root'], {})[ann] = ds
            continue
        if ann in scale:
            continue
        if 'ntu120' in ann:
            write_ntu_pkl(ann, _split_names(cfg, ann), fraction,
                          FULL_SIZE['ntu120'], rng)
        elif 'ntu' in ann:
            write_ntu_pkl(ann, _split_names(cfg, ann), fraction,
                          FULL_SIZE['ntu60'], rng)
        elif 'k400_2d' in ann:
            raise SystemExit(f'--synthetic: {ann} (MMAction2\'s compressed '
                             'HRNet skeletons) is not made synthetic; '
                             'measure it on the real data.')
        else:
            write_kinetics_pkl(ann, fraction, FULL_SIZE['kinetics'], rng,
                               ds.get('data_prefix', {}).get('skeleton'))
        scale[ann] = fraction
    for root, by_file in h36m_cfgs.items():
        part = write_h36m(root, list(by_file.values()), fraction)
        for ann in by_file:
            scale[ann] = part
    return scale


def _serialised_bytes(dataset) -> int:
    """Bytes of mmengine's serialised data list, through ConcatDataset."""
    inner = getattr(dataset, 'datasets', None)
    if inner is not None:
        return sum(_serialised_bytes(d) for d in inner)
    data = getattr(dataset, 'data_bytes', None)
    return 0 if data is None else int(data.nbytes)


def _measure_one(config: str, loader: str, task: str, queue) -> None:
    """In a fresh process: build one dataset, put what it costs."""
    limit_heap_fragmentation()  # as tools/train.py and tools/test.py do
    cfg = resolve_tasks(Config.fromfile(config))
    ds_cfg = cfg[loader].dataset.datasets[task]
    gc.collect()
    before, _ = rss_mb()
    with DefaultScope.overwrite_default_scope('mmups'):
        dataset = DATASETS.build(ds_cfg)
    gc.collect()
    release_free_memory()  # as MultiTaskDataset does after each build
    after, peak = rss_mb()
    queue.put(dict(samples=len(dataset), added_mb=after - before,
                   peak_mb=peak - before,
                   serialised_mb=_serialised_bytes(dataset) / 2**20))


def measure(config: str, cfg, scale: Dict[str, float]) -> List[dict]:
    """One row per train / val dataset of every task, each built in a
    fresh process (so that memory freed by one does not hide the next)."""
    ctx = multiprocessing.get_context('spawn')
    rows = []
    for loader in ('train_dataloader', 'val_dataloader'):
        for task, ds_cfg in cfg[loader].dataset.datasets.items():
            queue = ctx.Queue()
            proc = ctx.Process(target=_measure_one,
                               args=(config, loader, task, queue))
            proc.start()
            row = queue.get()
            proc.join()
            ann = ds_cfg.get('datasets', [ds_cfg])[0].get('ann_file')
            rows.append(dict(row, task=task, loader=loader.split('_')[0],
                             scale=scale.get(ann, 1.0)))
    return rows


def report(rows: List[dict], base_mb: float) -> str:
    """A markdown table and the total per process."""
    lines = ['| task | loader | samples | added (MB) | peak (MB) | '
             'serialised (MB) |', '|---|---|---|---|---|---|']
    total = peak = 0.0
    for r in rows:
        # Datasets are built one after the other: the peak is the largest
        # transient above what the earlier ones hold.
        peak = max(peak, total + r['peak_mb'])
        total += r['added_mb']
        lines.append(
            f"| {r['task']} | {r['loader']} | {r['samples']} | "
            f"{r['added_mb']:.0f} | {r['peak_mb']:.0f} | "
            f"{r['serialised_mb']:.0f} |")
    lines += ['', f'All datasets: {total / 1024:.1f} GB per process, '
              f'{peak / 1024:.1f} GB at the peak of loading, '
              f'+ {base_mb / 1024:.1f} GB for Python and the libraries.']
    return '\n'.join(lines)


def extrapolate(small: List[dict], large: List[dict]) -> List[dict]:
    """Full-size rows from two synthetic sizes: the slope of each figure
    over the data's fraction of the full size (what does not grow with
    the data, such as modules imported on first use, drops out)."""
    rows = []
    for a, b in zip(small, large):
        span = b['scale'] - a['scale']
        if span <= 0:
            raise SystemExit(f"{b['task']} {b['loader']}: its data did not "
                             'grow with F; use a larger --synthetic F')
        row = dict(b, scale=1.0)
        for key in ('samples', 'added_mb', 'peak_mb', 'serialised_mb'):
            row[key] = max(0.0, (b[key] - a[key]) / span)
        row['samples'] = int(round(row['samples']))
        rows.append(row)
    return rows


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--synthetic', type=float, metavar='F',
                        help='synthetic data at F times the real clip counts')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    config = osp.abspath(args.config)
    cfg = resolve_tasks(Config.fromfile(config))
    base, _ = rss_mb()
    if args.synthetic is None:
        print(report(measure(config, cfg, {}), base))
        return
    if not 0 < args.synthetic <= 1:
        raise SystemExit('--synthetic: F must be in (0, 1]')
    cwd = os.getcwd()
    runs = []
    for fraction in (args.synthetic / 2, args.synthetic):
        with tempfile.TemporaryDirectory() as tmp:
            os.chdir(tmp)
            try:
                scale = make_synthetic(cfg, fraction)
                rows = measure(config, cfg, scale)
            finally:
                os.chdir(cwd)
        runs.append(rows)
        print(f'Synthetic data at F = {fraction:g}:')
        print(report(rows, base) + '\n')
    print('Extrapolated to the full datasets (slope between the two sizes):')
    print(report(extrapolate(*runs), base))


if __name__ == '__main__':
    sys.exit(main())
