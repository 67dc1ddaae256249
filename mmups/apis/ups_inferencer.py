"""Running a trained UPS model on skeleton files or arrays."""
import copy
import math
import os.path as osp
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config, ConfigDict
from mmengine.dataset import Compose, pseudo_collate
from mmengine.infer import BaseInferencer
from mmengine.registry import DefaultScope

from mmups.datasets.transforms.formatting import DEFAULT_META_KEYS
from mmups.models.vocabularies.unified_vocabulary import read_label_map
from mmups.skeleton import convert_layout, get_layout
from mmups.structures import UPSDataSample, task_kind
from .inference import init_model
from .inputs import SkeletonInput, SkeletonInputError, load_skeletons

InputType = Union[str, np.ndarray, dict, SkeletonInput]

#: Observation ratios of the early-prediction curve.
DEFAULT_RATIOS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
#: Metainfo keys the inferencer adds to packed samples, to regroup outputs.
_META_KEYS = ('input_index', 'person', 'target_frame', 'obs_ratio',
              'frame_dir')
_RATIO_TRANSFORMS = ('ObservationRatio', 'mmups.ObservationRatio')


class UPSInferencer(BaseInferencer):
    """Action recognition, early action prediction and 2D-to-3D pose
    estimation with one trained UPS model.

    Inputs are skeleton files or arrays in any format
    :func:`mmups.apis.inputs.load_skeletons` reads. Action inputs go through
    the test pipeline of the model's config for the task (the same
    normalisation and frame sampling as in testing). Pose estimation lifts
    every frame of every person: each frame is the centre of a window of the
    config's length (edge frames repeated), 2D pixels normalised as MMPose's
    ``VideoPoseLifting`` codec does (centre of the image, half its width).

    Args:
        model: config file or ``Config``.
        weights: checkpoint file.
        device: e.g. ``'cpu'``, ``'cuda:0'``; default: CUDA if available.
        labels: class names (a list or a label map file, one name per line)
            to predict over instead of the training label set: the open
            vocabulary (see :meth:`set_labels`).
        show_progress: show a progress bar while predicting.

    Example::

        >>> inferencer = UPSInferencer('configs/ups/ups_demo.py',
        ...                            'work_dirs/ups_demo/iter_600.pth')
        >>> result = inferencer('clip.skeleton', task='ar')
        >>> result['predictions'][0]['topk'][0]
        {'label': 3, 'name': 'jump up', 'score': 0.92}
    """

    preprocess_kwargs = {'ratios', 'img_shape'}
    forward_kwargs: set = set()
    visualize_kwargs = {'out_dir'}
    postprocess_kwargs = {'top_k'}

    def __init__(self,
                 model: Union[str, Config],
                 weights: Optional[str] = None,
                 device: Optional[str] = None,
                 labels: Optional[Union[str, Sequence[str]]] = None,
                 show_progress: bool = False) -> None:
        super().__init__(model, weights, device, scope='mmups',
                         show_progress=show_progress)
        self.label_set: Optional[str] = None
        if labels is not None:
            self.set_labels(labels)

    # ------------------------------------------------------------- set-up
    def _init_model(self, cfg: Config, weights: Optional[str],
                    device: str = 'cpu') -> torch.nn.Module:
        return init_model(cfg, weights, device)

    def _init_pipeline(self, cfg: Config) -> None:
        """Pipelines depend on the task and the input; see
        :meth:`_action_pipeline`, which builds and keeps them."""
        self._pipelines: Dict[tuple, Compose] = {}
        return None

    def _init_collate(self, cfg: Config):
        return pseudo_collate

    def _init_visualizer(self, cfg: Config) -> None:
        return None  # pictures are drawn by mmups.visualization

    def set_labels(self, labels: Union[str, Sequence[str]]) -> List[str]:
        """Predict actions over new class names (open vocabulary).

        The names are embedded by the vocabulary's text model (through its
        cache) and added as a label set; action tasks then score these
        classes instead of the training label set. Names the model was
        trained with keep their trained token.

        Args:
            labels: a label map file (one class name per line) or a list.

        Returns:
            The (normalised) class names.
        """
        names = read_label_map(labels, 'open vocabulary') \
            if isinstance(labels, str) else list(labels)
        vocab = self.model.vocabulary
        name = f'open_vocabulary_{len(vocab.label_set_names)}'
        vocab.add_label_set(name, names)
        self.label_set = name
        return vocab.label_names(name)

    # --------------------------------------------------------------- tasks
    def resolve_task(self, task: str, num_coords: int) -> str:
        """The model task that handles ``task`` for inputs with
        ``num_coords`` coordinates.

        ``task`` is a model task name (``'ar3d'``) or a kind (``'ar'``,
        ``'eap'``, ``'pe'``); a kind picks the model's task of that kind
        whose name ends in ``'2d'`` / ``'3d'`` as the input (pose estimation:
        its first), else its first.
        """
        kind = task_kind(task)  # unknown names raise here
        tasks = list(self.model.tasks)
        if task in tasks:
            return task
        if task != kind:
            raise ValueError(f'Unknown task {task!r}: this model is '
                             f'configured for tasks {tasks}.')
        candidates = [t for t in tasks if task_kind(t) == kind]
        if not candidates:
            raise ValueError(f'This model has no {kind!r} task; its tasks '
                             f'are {tasks}.')
        if kind == 'pe':  # lifts 2D joints whatever the name says
            return candidates[0]
        matching = [t for t in candidates if t.endswith(f'{num_coords}d')]
        if matching:
            return matching[0]
        if all(t.endswith(('2d', '3d')) for t in candidates):
            raise ValueError(
                f'this model\'s {kind!r} task(s) {candidates} take '
                f'{candidates[0][-2:].upper()} joints, but the input has '
                f'{num_coords}D joints')
        return candidates[0]

    def _dataset_cfg(self, task: str) -> Optional[ConfigDict]:
        """The test dataset config of ``task`` in the model's config, if
        it has one (the first part of a ConcatDataset)."""
        loader = self.cfg.get('test_dataloader') or {}
        datasets = (loader.get('dataset') or {}).get('datasets') or {}
        dataset = datasets.get(task)
        while dataset is not None and 'datasets' in dataset:
            dataset = dataset['datasets'][0]
        return dataset

    def _label_set(self, task: str) -> str:
        if self.label_set is not None:
            return self.label_set
        dataset = self._dataset_cfg(task) or {}
        for step in dataset.get('pipeline', []):
            if step.get('type', '').endswith('PackUPSInputs') and \
                    step.get('label_set'):
                return step['label_set']
        return self.model.vocabulary.label_set_names[0]

    def _action_pipeline(self, task: str, layout: str,
                         ratio: Optional[float]) -> Compose:
        """The config's test pipeline of ``task``, for one input layout
        (and observation ratio, for early prediction); built once per
        (task, layout, ratio, label set)."""
        key = (task, layout, ratio, self._label_set(task))
        if key not in self._pipelines:
            self._pipelines[key] = self._build_action_pipeline(*key[:3])
        return self._pipelines[key]

    def _build_action_pipeline(self, task: str, layout: str,
                               ratio: Optional[float]) -> Compose:
        dataset = self._dataset_cfg(task)
        if dataset is None:
            raise ValueError(
                f'The config {self.cfg.filename} has no test dataset for '
                f'task {task!r}, so its preprocessing is unknown.')
        steps, ratio_at = [], None
        for step in copy.deepcopy(dataset['pipeline']):
            if step['type'] in _RATIO_TRANSFORMS:
                ratio_at = len(steps)
                continue
            if step['type'].endswith('PackUPSInputs'):
                step.update(layout=layout, label_set=self._label_set(task),
                            dataset='inference')
                step['meta_keys'] = tuple(
                    step.get('meta_keys', DEFAULT_META_KEYS)) + _META_KEYS
            steps.append(step)
        if ratio is not None:
            # Where the config observes part of the clip; else before the
            # first step after normalisation.
            steps.insert(1 if ratio_at is None else ratio_at,
                         dict(type='mmups.ObservationRatio', ratios=ratio))
        # The dataset's own scope resolves its transforms' plain names.
        with DefaultScope.overwrite_default_scope(
                dataset.get('_scope_', 'mmups')):
            return Compose(steps)

    def _lifting_window(self, task: str) -> int:
        dataset = self._dataset_cfg(task) or {}
        return int(dataset.get('seq_len', 27))

    # ---------------------------------------------------------- preprocess
    def _inputs_to_list(self, inputs: Any) -> List[InputType]:
        if isinstance(inputs, (list, tuple)):
            return list(inputs)
        return [inputs]

    def _load(self, inputs: List[InputType], task: str,
              layout: Optional[str]) -> List[SkeletonInput]:
        samples = []
        for item in inputs:
            if isinstance(item, SkeletonInput):
                samples.append(item)
            else:
                samples += load_skeletons(item, layout=layout, task=task)
        return samples

    def preprocess(self, inputs: List[SkeletonInput], batch_size: int = 1,
                   task: str = 'ar', **kwargs) -> Iterator[dict]:
        """Packed model inputs in batches of ``batch_size``.

        One input gives one sample for AR, one per ratio for EAP and one per
        frame and person for PE.
        """
        items = self._samples(inputs, task, **kwargs)
        batch = []
        for item in items:
            batch.append(item)
            if len(batch) == batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch:
            yield self.collate_fn(batch)

    def _samples(self, inputs: List[SkeletonInput], task: str,
                 ratios: Sequence[float] = DEFAULT_RATIOS,
                 img_shape: Optional[Tuple[int, int]] = None
                 ) -> Iterator[dict]:
        for index, sample in enumerate(inputs):
            try:
                model_task = self.resolve_task(task,
                                               sample.keypoint.shape[-1])
            except ValueError as err:
                raise SkeletonInputError(sample.source, str(err)) from err
            kind = task_kind(model_task)
            if kind == 'pe':
                yield from self._lifting_samples(sample, index, model_task,
                                                 img_shape)
                continue
            results = self._action_results(sample, index, img_shape)
            for ratio in (ratios if kind == 'eap' else (None, )):
                pipeline = self._action_pipeline(model_task, sample.layout,
                                                 ratio)
                packed = pipeline(copy.deepcopy(results))
                packed['data_samples'].set_metainfo(dict(task=model_task))
                yield packed

    @staticmethod
    def _image_shape(sample: SkeletonInput,
                     img_shape: Optional[Tuple[int, int]]) -> Tuple[int, int]:
        """(H, W) of the frames of 2D pixel joints: given, read with the
        input, or else the smallest frame holding every joint."""
        shape = img_shape or sample.img_shape
        if shape is not None:
            return int(shape[0]), int(shape[1])
        extent = np.nanmax(sample.keypoint[..., :2].reshape(-1, 2), axis=0)
        return int(math.ceil(extent[1])) + 1, int(math.ceil(extent[0])) + 1

    def _action_results(self, sample: SkeletonInput, index: int,
                        img_shape: Optional[Tuple[int, int]]) -> dict:
        """MMAction2's skeleton annotation dict of one input."""
        kp = sample.keypoint
        results = dict(
            keypoint=kp.astype(np.float32),
            total_frames=kp.shape[1], label=-1, start_index=0,
            modality='Pose', frame_dir=sample.name or f'input_{index}',
            input_index=index)
        if kp.shape[-1] == 2:
            score = sample.keypoint_score
            results['keypoint_score'] = np.ones(kp.shape[:3], np.float32) \
                if score is None else score.astype(np.float32)
            shape = self._image_shape(sample, img_shape)
            results.update(img_shape=shape, original_shape=shape)
        return results

    def _lifting_samples(self, sample: SkeletonInput, index: int, task: str,
                         img_shape: Optional[Tuple[int, int]]
                         ) -> Iterator[dict]:
        """One packed sample per person and frame: the window of 2D joints
        centred on the frame, normalised like MMPose's lifting codec."""
        if sample.keypoint.shape[-1] != 2:
            raise SkeletonInputError(
                sample.source, 'pose estimation lifts 2D joints, but the '
                f'input has {sample.keypoint.shape[-1]} coordinates per joint')
        try:
            joints = convert_layout(sample.keypoint, sample.layout, 'h36m')
        except ValueError as err:
            raise SkeletonInputError(sample.source, str(err)) from err
        height, width = self._image_shape(sample, img_shape)
        centre = np.array([width / 2, height / 2], np.float32)
        joints = (joints - centre) / (width / 2)
        length = self._lifting_window(task)
        num_frames = joints.shape[1]
        offsets = np.arange(length) - length // 2
        for person in range(joints.shape[0]):
            for frame in range(num_frames):
                window = np.clip(frame + offsets, 0, num_frames - 1)
                data_sample = UPSDataSample(metainfo=dict(
                    task=task, layout='h36m', dataset='inference',
                    input_index=index, person=person, target_frame=frame,
                    frame_dir=sample.name))
                yield dict(inputs=torch.from_numpy(np.ascontiguousarray(
                    joints[person:person + 1, window], dtype=np.float32)),
                    data_samples=data_sample)

    # ----------------------------------------------------------- the call
    def __call__(self,
                 inputs: Union[InputType, Sequence[InputType]],
                 task: str = 'ar',
                 return_datasamples: bool = False,
                 batch_size: int = 8,
                 layout: Optional[str] = None,
                 **kwargs) -> dict:
        """Predict ``task`` for every input.

        Args:
            inputs: one input or a list (file paths, arrays (M, T, V, C) /
                (T, V, C), annotation dicts or :class:`SkeletonInput`).
            task: ``'ar'``, ``'eap'``, ``'pe'`` or a task name of the model.
            return_datasamples: also return the raw data samples.
            batch_size: model samples per forward pass.
            layout: joint layout of the inputs (inferred where None).
            ratios: (EAP) observation ratios, default 10%, 20%, ... 100%.
            img_shape: (H, W) of 2D pixel inputs whose file does not say it.
            top_k: classes listed per action prediction (default 5).
            out_dir: write pictures of every input and prediction there.

        Returns:
            ``dict(predictions=[one dict per input], visualization=[picture
            paths per input])``; see :meth:`postprocess`.
        """
        task_kind(task)
        samples = self._load(self._inputs_to_list(inputs), task, layout)
        (preprocess_kwargs, forward_kwargs, visualize_kwargs,
         postprocess_kwargs) = self._dispatch_kwargs(**kwargs)
        preds = []
        for data in self.preprocess(samples, batch_size=batch_size,
                                    task=task, **preprocess_kwargs):
            preds.extend(self.forward(data, **forward_kwargs))
        results = self.postprocess(samples, preds, **postprocess_kwargs)
        results['visualization'] = self.visualize(
            samples, results['predictions'], **visualize_kwargs)
        if return_datasamples:
            results['data_samples'] = preds
        return results

    # ---------------------------------------------------------- outputs
    def postprocess(self, inputs: List[SkeletonInput], preds: List,
                    top_k: int = 5) -> dict:
        """One result dict per input:

        * all: ``source``, ``name``, ``layout``, ``task`` (the model's);
        * AR: ``topk`` (list of ``label``, ``name``, ``score``),
          ``pred_label``, ``pred_name``, ``scores`` (K,);
        * EAP: ``ratios`` (R,), ``pred_labels`` / ``pred_names`` (R,) and
          ``scores`` (R, K) at each ratio, plus ``topk`` at the last ratio;
        * PE: ``keypoints_3d`` (M, T, 17, 3) root-relative camera-frame
          joints in millimetres, Human3.6M joint order (``joint_names``).
        """
        grouped: Dict[int, list] = {i: [] for i in range(len(inputs))}
        for pred in preds:
            grouped[pred.metainfo['input_index']].append(pred)
        results = []
        for index, sample in enumerate(inputs):
            own = grouped[index]
            model_task = own[0].metainfo['task']
            result = dict(source=sample.source, name=sample.name,
                          layout=sample.layout, task=model_task)
            kind = task_kind(model_task)
            if kind == 'pe':
                result.update(self._lifted(own, sample))
            else:
                label_set = own[0].metainfo['label_set']
                names = self.model.vocabulary.label_names(label_set)
                own.sort(key=lambda p: p.metainfo.get('obs_ratio', 1.0))
                scores = np.stack([p.pred_score.numpy() for p in own])
                labels = [int(p.pred_label) for p in own]
                order = np.argsort(-scores[-1])[:top_k]
                result.update(
                    label_set=label_set,
                    topk=[dict(label=int(k), name=names[k],
                               score=float(scores[-1, k])) for k in order],
                    pred_label=labels[-1], pred_name=names[labels[-1]],
                    class_names=names)
                if kind == 'eap':
                    result.update(
                        ratios=[float(p.metainfo['obs_ratio']) for p in own],
                        pred_labels=labels,
                        pred_names=[names[k] for k in labels],
                        scores=scores.tolist())
                else:
                    result['scores'] = scores[-1].tolist()
            results.append(result)
        return dict(predictions=results)

    def _lifted(self, preds: List, sample: SkeletonInput) -> dict:
        num_persons = 1 + max(p.metainfo['person'] for p in preds)
        num_frames = 1 + max(p.metainfo['target_frame'] for p in preds)
        out = np.zeros((num_persons, num_frames, 17, 3), np.float32)
        for p in preds:
            # (F=1, 17, 3) metres -> millimetres
            out[p.metainfo['person'], p.metainfo['target_frame']] = \
                p.pred_instances.keypoints[0] * 1000.
        return dict(keypoints_3d=out,
                    joint_names=list(get_layout('h36m').joint_names),
                    units='mm')

    def visualize(self, inputs: List[SkeletonInput], preds: List[dict],
                  out_dir: Optional[str] = None) -> List[List[str]]:
        """Pictures of every input and its prediction under ``out_dir``
        (nothing without it): the input as an image strip and a GIF, and
        the predicted 3D pose beside its 2D input (PE) or the
        early-prediction curve (EAP). Returns the files per input."""
        if out_dir is None:
            return [[] for _ in inputs]
        from mmups import visualization as vis
        files = []
        for index, (sample, pred) in enumerate(zip(inputs, preds)):
            stem = osp.join(out_dir, f'{index:03d}_{_safe(sample.name)}')
            kp = sample.keypoint
            own = [vis.draw_sequence_strip(kp, sample.layout,
                                           f'{stem}_input.png',
                                           title=sample.name),
                   vis.save_sequence_animation(kp, sample.layout,
                                               f'{stem}_input.gif')]
            kind = task_kind(pred['task'])
            if kind == 'pe':
                frame = kp.shape[1] // 2
                own.append(vis.draw_pose_lifting(
                    convert_layout(kp[0, frame], sample.layout, 'h36m'),
                    pred['keypoints_3d'][0, frame], f'{stem}_pose3d.png',
                    title=f'{sample.name} frame {frame}'))
            elif kind == 'eap':
                own.append(vis.draw_early_prediction_curve(
                    pred['ratios'], np.asarray(pred['scores']),
                    pred['class_names'], f'{stem}_early_prediction.png',
                    title=sample.name))
            files.append(own)
        return files


def _safe(name: str) -> str:
    """A file-name-safe version of a sample name."""
    keep = ''.join(c if c.isalnum() or c in '-_.' else '_' for c in name)
    return keep[:60] or 'input'
