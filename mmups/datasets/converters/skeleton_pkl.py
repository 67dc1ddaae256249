"""Structure checks of MMAction2 skeleton annotation pkl files (one
annotation's checks: :mod:`mmups.datasets.formats.mmaction_pkl`).

The file forms (a dict with ``split`` and ``annotations``, a list of
annotations, one annotation; dense ``keypoint`` (M, T, V, C) or MMAction2's
compressed Kinetics-400 form with per-clip files) are described in
:mod:`mmups.datasets.formats.mmaction_pkl`; both forms and the per-clip
files are checked here.

:func:`inspect_skeleton_data` lists every problem it finds instead of
stopping at the first, and summarises the content (counts, shapes, value
ranges, the joint layout inferred from V and C).
"""
import os.path as osp
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from mmups.datasets.formats import is_int, load_pickle
from mmups.datasets.formats.mmaction_pkl import check_annotation, dense_shape
from mmups.skeleton import infer_layout as _infer_layout


def infer_layout(num_joints: int, num_coords: int) -> str:
    """Name of the joint layout with V joints and C coordinates
    (:func:`mmups.skeleton.infer_layout`: 17 joints are COCO-17 in 2D and
    Human3.6M-17 in 3D); ``'unknown'`` where it cannot be told."""
    return _infer_layout(num_joints, num_coords) or 'unknown'


@dataclass
class SkeletonPklReport:
    """Summary and problems of one skeleton annotation file."""
    container: str  # 'dict(split, annotations)', 'list' or 'single'
    num_annotations: int = 0
    split_sizes: Dict[str, int] = field(default_factory=dict)
    num_persons: Tuple[int, int] = (0, 0)  # min, max of M
    num_frames: Tuple[int, float, int] = (0, 0.0, 0)  # min, mean, max of T
    joints: Dict[int, int] = field(default_factory=dict)  # V -> count
    coords: Dict[int, int] = field(default_factory=dict)  # C -> count
    layout: str = 'unknown'
    labels: Tuple[int, int, int] = (0, 0, 0)  # min, max, distinct
    keypoint_range: List[Tuple[float, float]] = field(default_factory=list)
    has_score: int = 0  # annotations with keypoint_score
    img_shapes: Dict[Tuple, int] = field(default_factory=dict)
    problems: List[str] = field(default_factory=list)
    checked: Optional[int] = None  # annotations checked, if not all

    @property
    def ok(self) -> bool:
        return not self.problems

    def format(self, max_problems: int = 20) -> str:
        """Human-readable summary (and the first problems)."""
        lines = [
            f'container: {self.container}',
            f'annotations: {self.num_annotations}' +
            (f' ({self.checked} checked)' if self.checked is not None
             else ''),
        ]
        for name, size in self.split_sizes.items():
            lines.append(f'  split {name}: {size}')
        if self.num_annotations:
            lines += [
                f'persons M: {self.num_persons[0]}..{self.num_persons[1]}',
                'frames T: {}..{} (mean {:.1f})'.format(
                    self.num_frames[0], self.num_frames[2],
                    self.num_frames[1]),
                f'joints V: {_fmt_counts(self.joints)}',
                f'coordinates C: {_fmt_counts(self.coords)}',
                f'layout: {self.layout}',
                'labels: {}..{} ({} distinct)'.format(*self.labels),
                'keypoint range: ' + ', '.join(
                    f'{"xyz"[i]} [{lo:.4g}, {hi:.4g}]'
                    for i, (lo, hi) in enumerate(self.keypoint_range)),
                f'with keypoint_score: {self.has_score}',
            ]
            if self.img_shapes:
                lines.append(f'img_shape: {_fmt_counts(self.img_shapes)}')
        if self.problems:
            lines.append(f'{len(self.problems)} problem(s):')
            lines += [f'  {p}' for p in self.problems[:max_problems]]
            if len(self.problems) > max_problems:
                lines.append(f'  ... and {len(self.problems) - max_problems}'
                             ' more')
        else:
            lines.append('no problems found')
        return '\n'.join(lines)


def _fmt_counts(counts: Dict[Any, int], top: int = 6) -> str:
    """``value (count x)`` of the ``top`` most frequent values."""
    common = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
    text = ', '.join(f'{k} ({v}x)' for k, v in common[:top])
    if len(common) > top:
        text += f', ... ({len(common)} distinct)'
    return text


def merge_skeleton_files(annos: List[Any], skeleton_dir: str) -> List[str]:
    """Add the keys of ``<skeleton_dir>/<frame_dir>.pkl`` to annotations
    without ``keypoint`` (as MMAction2's ``PoseDataset`` does with
    ``data_prefix=dict(skeleton=...)``); returns the problems found."""
    problems = []
    for i, anno in enumerate(annos):
        if not isinstance(anno, dict) or 'keypoint' in anno:
            continue
        name = anno.get('frame_dir', anno.get('filename'))
        path = osp.join(skeleton_dir, f'{name}.pkl')
        try:
            extra = load_pickle(path)
        except Exception as e:  # missing or unreadable: report, go on
            problems.append(f'annotation {i} ({name}): cannot read {path} '
                            f'({type(e).__name__}: {e})')
            continue
        if isinstance(extra, dict):
            anno.update(extra)
        else:
            problems.append(f'annotation {i} ({name}): {path} is not a '
                            'dict')
    return problems


def inspect_skeleton_data(data: Any,
                          skeleton_dir: Optional[str] = None,
                          limit: Optional[int] = None) -> SkeletonPklReport:
    """Check and summarise loaded annotation data (see module docstring).

    Args:
        data: the unpickled file.
        skeleton_dir: folder of per-clip files holding the joints of
            annotations without ``keypoint`` (merged in first).
        limit: only check the first ``limit`` annotations (huge files).
    """
    split = None
    if isinstance(data, dict) and 'annotations' in data:
        container = 'dict(split, annotations)' if 'split' in data else \
            'dict(annotations)'
        annos = data['annotations']
        split = data.get('split')
    elif isinstance(data, dict) and 'keypoint' in data:
        container, annos = 'single annotation', [data]
    elif isinstance(data, list):
        container, annos = 'list', data
    else:
        report = SkeletonPklReport(container=type(data).__name__)
        keys = list(data)[:10] if isinstance(data, dict) else None
        report.problems.append(
            'not a skeleton annotation file: expected a dict with '
            '"annotations" (and "split"), a list of annotations or one '
            'annotation dict with "keypoint"' +
            (f'; got a dict with keys {keys}' if keys is not None else
             f'; got {type(data).__name__}'))
        return report

    report = SkeletonPklReport(container=container)
    if not isinstance(annos, list):
        report.problems.append(
            f'annotations is {type(annos).__name__}, not a list')
        return report
    report.num_annotations = len(annos)
    if not annos:
        report.problems.append('no annotations')
    # Split membership is checked against every name, even with a limit.
    all_names = {
        a.get('frame_dir', a.get('filename'))
        for a in annos if isinstance(a, dict)
        and isinstance(a.get('frame_dir', a.get('filename')), str)
    }
    if limit is not None:
        annos = annos[:limit]
        report.checked = len(annos)
    if skeleton_dir is not None:
        annos = [dict(a) if isinstance(a, dict) else a for a in annos]
        report.problems += merge_skeleton_files(annos, skeleton_dir)

    persons, frames, labels, names = [], [], [], []
    joints: Counter = Counter()
    coords: Counter = Counter()
    shapes: Counter = Counter()
    lo = np.full(3, np.inf)
    hi = np.full(3, -np.inf)
    for i, anno in enumerate(annos):
        problems = check_annotation(anno, f'annotation {i}')
        report.problems += problems
        if not isinstance(anno, dict):
            continue
        name = anno.get('frame_dir', anno.get('filename'))
        if isinstance(name, str):
            names.append(name)
        if is_int(anno.get('label')):
            labels.append(int(anno['label']))
        if 'keypoint_score' in anno:
            report.has_score += 1
        img_shape = _summary_img_shape(anno.get('img_shape'))
        if img_shape is not None:
            shapes[img_shape] += 1
        shape = dense_shape(anno)
        if shape is not None:
            m, t, v, c = shape
            persons.append(m)
            frames.append(t)
            joints[v] += 1
            coords[c] += 1
            kp = anno['keypoint'][..., :c]
            finite = kp[np.isfinite(kp).all(-1)]
            if finite.size:
                lo[:c] = np.minimum(lo[:c], finite.min(0))
                hi[:c] = np.maximum(hi[:c], finite.max(0))

    if persons:
        report.num_persons = (min(persons), max(persons))
        report.num_frames = (min(frames), float(np.mean(frames)), max(frames))
    report.joints, report.coords = dict(joints), dict(coords)
    report.img_shapes = dict(shapes)
    if len(joints) > 1 or len(coords) > 1:
        report.problems.append(
            f'annotations mix joint / coordinate counts: V {dict(joints)}, '
            f'C {dict(coords)}')
    if joints and coords:
        report.layout = infer_layout(joints.most_common(1)[0][0],
                                     coords.most_common(1)[0][0])
        c_max = max(coords)
        report.keypoint_range = [(float(lo[i]), float(hi[i]))
                                 for i in range(c_max)
                                 if np.isfinite(lo[i])]
    if labels:
        report.labels = (min(labels), max(labels), len(set(labels)))

    dupes = [n for n, k in Counter(names).items() if k > 1]
    if dupes:
        report.problems.append(f'{len(dupes)} frame_dir names occur more '
                               f'than once, e.g. {dupes[:3]}')
    if split is not None:
        _check_split(split, all_names, report)
    return report


def _summary_img_shape(img_shape: Any) -> Optional[Tuple[int, ...]]:
    """``img_shape`` as a tuple of ints for the summary; None where it is
    absent or no such tuple (``check_annotation`` reports that)."""
    if img_shape is None:
        return None
    try:
        return tuple(int(v) for v in np.ravel(img_shape))
    except (TypeError, ValueError, OverflowError):  # text, NaN, inf, ragged
        return None


def _check_split(split: Any, names: set, report: SkeletonPklReport) -> None:
    """Check that every split is a list of known annotation names."""
    if not isinstance(split, dict):
        report.problems.append(f'split is {type(split).__name__}, not a '
                               'dict of name lists')
        return
    for key, members in split.items():
        if not isinstance(members, (list, tuple)):
            report.problems.append(f'split {key!r} is '
                                   f'{type(members).__name__}, not a list')
            continue
        report.split_sizes[str(key)] = len(members)
        unknown = [
            m for m in members if not isinstance(m, str) or m not in names
        ]
        if unknown:
            report.problems.append(
                f'split {key!r} names {len(unknown)} samples without an '
                f'annotation, e.g. {unknown[:3]}')
        repeated = len(members) - len(set(map(str, members)))
        if repeated:
            report.problems.append(f'split {key!r} repeats {repeated} '
                                   'names')
