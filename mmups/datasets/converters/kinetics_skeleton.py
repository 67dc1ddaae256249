"""ST-GCN's Kinetics-skeleton release (OpenPose-18 JSON) -> MMAction2 pkl.

Each clip is read by :func:`mmups.datasets.formats.kinetics_json.
read_kinetics_json` (where the release's layout and the reading choices
are described: pixel coordinates of the 340 x 256 frames, persons ranked
by score, frames counted from the file's first index); this module converts
the two parts of the release, with their label indices, into one pkl.
"""
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from mmups.datasets.formats import ConversionError, is_int
from mmups.datasets.formats.kinetics_json import (RELEASE_IMG_SHAPE,
                                                  load_label_index,
                                                  read_kinetics_json)
from mmups.utils import replace_folder

from .common import dump_pickle, progress, write_lines

PARTS = ('train', 'val')
#: Labels are below this: the release has 400 classes, and the label map
#: has a line for every label up to the largest (a damaged index with a
#: label of 10**30 would never finish writing it).
MAX_CLASSES = 100000


@dataclass
class KineticsConversionResult:
    """What :func:`convert_kinetics_skeleton` wrote and skipped."""
    out: str
    num_annotations: int
    split_sizes: Dict[str, int]
    no_skeleton: List[str]  # flagged or found without any skeleton
    not_found: List[str]  # in a label index but without a JSON file
    label_map: Optional[str]


#: The annotation keys that --skeleton-dir moves into the clips' files.
JOINT_KEYS = ('keypoint', 'keypoint_score')


def _convert_clip(vid: str, entry: dict, index_file: str, json_dir: str,
                  max_persons: int, keep_normalized: bool,
                  shape: Tuple[int, int], names: Dict[int, str],
                  no_skeleton: List[str],
                  not_found: List[str]) -> Optional[dict]:
    """One clip's annotation, or None where it is left out (recorded in
    ``no_skeleton`` / ``not_found``); its class name goes to ``names``."""
    label = entry['label_index']
    if not is_int(label) or not 0 <= label < MAX_CLASSES:
        raise ConversionError(index_file, f'entry {vid!r}: '
                              f'label_index {label!r} is not an '
                              f'int in [0, {MAX_CLASSES})')
    if isinstance(entry.get('label'), str):
        names.setdefault(label, entry['label'])
    if not entry.get('has_skeleton', True):
        no_skeleton.append(vid)
        return None
    path = osp.join(json_dir, f'{vid}.json')
    if not osp.isfile(path):
        not_found.append(vid)
        return None
    clip = read_kinetics_json(path, max_persons,
                              None if keep_normalized else shape)
    if clip['keypoint'].shape[0] == 0:
        no_skeleton.append(vid)
        return None
    if clip['label'] is not None and clip['label'] != label:
        raise ConversionError(
            path, f'label_index {clip["label"]} differs from '
            f'{label} in {index_file}')
    return dict(frame_dir=vid, label=int(label),
                keypoint=clip['keypoint'],
                keypoint_score=clip['keypoint_score'],
                total_frames=int(clip['keypoint'].shape[1]),
                img_shape=shape, original_shape=shape)


def convert_kinetics_skeleton(root: Optional[str],
                              out: str,
                              parts: Optional[Dict[str, Tuple[str,
                                                              str]]] = None,
                              max_persons: int = 2,
                              keep_normalized: bool = False,
                              img_shape: Tuple[int, int] = RELEASE_IMG_SHAPE,
                              label_map: Optional[str] = None,
                              skeleton_dir: Optional[str] = None,
                              limit: Optional[int] = None,
                              show_progress: bool = True
                              ) -> KineticsConversionResult:
    """Convert the release into one annotation pkl with splits train / val.

    Args:
        root: the release folder with ``kinetics_{train,val}/`` and
            ``kinetics_{train,val}_label.json``; used for the parts not
            given in ``parts``.
        out: the pkl to write.
        parts: split name -> (JSON folder, label index file); overrides
            ``root``.
        max_persons: person slots per frame.
        keep_normalized: keep [0, 1] coordinates (``img_shape`` (1, 1)).
        img_shape: (H, W) the normalised coordinates are scaled to.
        label_map: where to write the class names (line k = label k, from
            the label index); None writes none.
        skeleton_dir: write each clip's ``keypoint`` and ``keypoint_score``
            to ``<skeleton_dir>/<clip>.pkl`` and keep ``out`` to the clips'
            metadata, the layout of MMAction2's Kinetics-400 HRNet release
            that ``PoseDataset(data_prefix=dict(skeleton=skeleton_dir))``
            reads one clip at a time: the whole release in one pkl is about
            31 GB in every training process (``data/README.md``).
        limit: convert at most this many clips per part (quick tests).
        show_progress: show mmengine's progress bar.
    """
    if parts is None:
        if root is None:
            raise ValueError('give the release folder or the parts')
        parts = {
            p: (osp.join(root, f'kinetics_{p}'),
                osp.join(root, f'kinetics_{p}_label.json'))
            for p in PARTS
        }
    shape = (1, 1) if keep_normalized else tuple(int(v) for v in img_shape)
    annotations, split = [], {}
    no_skeleton, not_found = [], []
    names: Dict[int, str] = {}

    def convert(clip_dir: Optional[str]) -> None:
        """Read every clip; its joints go into its annotation, or with
        ``clip_dir`` into ``<clip_dir>/<clip>.pkl``."""
        for part, (json_dir, index_file) in parts.items():
            index = load_label_index(index_file)
            video_ids = sorted(index)
            if limit is not None:
                video_ids = video_ids[:limit]
            split[part] = []
            for vid in progress(video_ids, len(video_ids), show_progress):
                anno = _convert_clip(vid, index[vid], index_file, json_dir,
                                     max_persons, keep_normalized, shape,
                                     names, no_skeleton, not_found)
                if anno is None:
                    continue
                if clip_dir is not None:
                    dump_pickle({k: anno.pop(k) for k in JOINT_KEYS},
                                osp.join(clip_dir, f'{vid}.pkl'))
                annotations.append(anno)
                split[part].append(vid)

    if skeleton_dir is None:
        convert(None)
    else:
        # A temporary folder that replaces skeleton_dir once every clip is
        # read: a malformed clip leaves an earlier conversion's files as
        # they were, and no clip's joints wait in memory.
        replace_folder(skeleton_dir, convert)
    dump_pickle(dict(split=split, annotations=annotations), out)
    if label_map is not None and names:
        num = max(names) + 1
        write_lines(label_map,
                    [names.get(k, f'unnamed_class_{k}') for k in range(num)])
    return KineticsConversionResult(
        out=out,
        num_annotations=len(annotations),
        split_sizes={k: len(v)
                     for k, v in split.items()},
        no_skeleton=sorted(no_skeleton),
        not_found=sorted(not_found),
        label_map=label_map if names else None)
