"""Check that the data files a config reads exist, before building it.

Without this, a missing annotation file surfaces deep inside a dataset
constructor of MMAction2 or MMPose; here it fails at once with the file's
name and the section of ``data/README.md`` that tells how to make it.
"""
import os.path as osp
from typing import Iterator, List, Tuple

#: Path prefix -> section title of data/README.md.
README_SECTIONS = (
    # Before the datasets' own folders: realbench paths contain them.
    ('data/realbench', 'Realbench (Penn Action, Human3.6M mocap)'),
    ('data/label_maps/', 'Label maps'),
    ('data/ntu/', 'NTU RGB+D'),
    # Before data/skeleton/: MMAction2 keeps its NTU pkls in that folder.
    ('data/skeleton/ntu', 'NTU RGB+D'),
    ('data/kinetics400/',
     "ST-GCN's Kinetics-skeleton (OpenPose, 18 joints)"),
    ('data/skeleton/', "MMAction2's HRNet 2D skeletons (COCO, 17 joints)"),
    ('data/h36m/', 'Human3.6M'),
    ('data/penn_action/', 'Penn Action'),
)

_FILE_KEYS = ('ann_file', 'camera_param_file', 'keypoint_2d_det_file')


def _datasets(cfg) -> Iterator[dict]:
    """Every dataset config in ``cfg``, through wrappers."""
    if not isinstance(cfg, dict):
        return
    yield cfg
    inner = cfg.get('datasets')
    if isinstance(inner, dict):
        inner = list(inner.values())
    for sub in inner or ():
        yield from _datasets(sub)
    if isinstance(cfg.get('dataset'), dict):  # RepeatDataset and the like
        yield from _datasets(cfg['dataset'])


def data_files(cfg) -> List[Tuple[str, str]]:
    """``(path, what)`` of the data files the config reads, label maps
    first."""
    files = []
    vocab = (cfg.get('model') or {}).get('vocabulary') or {}
    for name, path in (vocab.get('label_sets') or {}).items():
        if isinstance(path, str):
            files.append((path, f'label map of {name!r}'))
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader_cfg = cfg.get(loader)
        if not loader_cfg:
            continue
        for ds in _datasets(loader_cfg.get('dataset')):
            root = ds.get('data_root')
            for key in _FILE_KEYS:
                path = ds.get(key)
                if not path:
                    continue
                if root and not osp.isabs(path):
                    path = osp.join(root, path)
                files.append((path, key))
            prefix = ds.get('data_prefix')
            if isinstance(prefix, dict) and prefix.get('skeleton'):
                files.append((prefix['skeleton'], 'skeleton folder'))
    seen, unique = set(), []
    for path, what in files:
        if path not in seen:
            seen.add(path)
            unique.append((path, what))
    return unique


def readme_section(path: str) -> str:
    """Section title of data/README.md about ``path`` ('' if none)."""
    norm = osp.normpath(path).replace('\\', '/') + '/'
    for prefix, title in README_SECTIONS:
        if norm.startswith(prefix) or f'/{prefix}' in norm:
            return title
    return ''


def check_data_files(cfg) -> None:
    """Raise FileNotFoundError for the first data file of ``cfg`` missing.

    Looks at the datasets of the train, val and test dataloaders (through
    ``MultiTaskDataset`` and ``ConcatDataset``): ``ann_file`` (joined with
    ``data_root`` when relative), ``camera_param_file``,
    ``keypoint_2d_det_file``, ``data_prefix.skeleton``, and the label maps
    of the model's vocabulary. Demo configs (``demo_data`` set) are skipped:
    their data is generated on first use.
    """
    if cfg.get('demo_data'):
        return
    for path, what in data_files(cfg):
        if osp.exists(path):
            continue
        section = readme_section(path)
        where = (f'section "{section}" of data/README.md' if section
                 else 'data/README.md')
        raise FileNotFoundError(
            f'{what} {path} does not exist. How to get or make it: see '
            f'{where}.')
