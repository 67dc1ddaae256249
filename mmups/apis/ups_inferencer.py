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

from mmups.datasets.transforms import ObservationRatio, PackUPSInputs
from mmups.datasets.transforms.formatting import DEFAULT_META_KEYS
from mmups.models.vocabularies.unified_vocabulary import read_label_map
from mmups.registry import TRANSFORMS
from mmups.tasks import get_task_kind
from .inference import init_model
from .inputs import SkeletonInput, SkeletonInputError, load_skeletons

InputType = Union[str, np.ndarray, dict, SkeletonInput]

#: Observation ratios of the early-prediction curve.
DEFAULT_RATIOS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
#: What can run the networks (``UPSInferencer(backend=...)``).
BACKENDS = ('torch', 'onnxruntime')
#: Metainfo keys the inferencer adds to packed samples, to regroup outputs.
_META_KEYS = ('input_index', 'person', 'target_frame', 'obs_ratio',
              'frame_dir')


def _is_step(step: dict, transform: type) -> bool:
    """Whether a pipeline step config builds ``transform`` (its type
    resolved by the mmups registry, ``mmups.`` prefix or not)."""
    step_type = step.get('type')
    if not isinstance(step_type, str):
        return step_type is transform
    return TRANSFORMS.get(step_type) is transform


class UPSInferencer(BaseInferencer):
    """Action recognition, early action prediction and 2D-to-3D pose
    estimation with one trained UPS model.

    Inputs are skeleton files or arrays in any format
    :func:`mmups.apis.inputs.load_skeletons` reads. Action inputs go through
    the test pipeline of the model's config for the task (the same
    normalisation and frame sampling as in testing). Pose estimation lifts
    every frame of every person: each frame is the centre of a window of the
    config's length (edge frames repeated), through the config's test
    pipeline too (its lifting codec normalises the 2D pixels). What each
    kind of task makes of an input and returns is its task kind's
    (``TaskKind.inference_samples`` / ``inference_result``).

    Args:
        model: config file or ``Config``.
        weights: checkpoint file.
        device: e.g. ``'cpu'``, ``'cuda:0'``; default: CUDA if available.
        labels: class names (a list or a label map file, one name per line)
            to predict over instead of the training label set: the open
            vocabulary (see :meth:`set_labels`).
        show_progress: show a progress bar while predicting.
        backend: what runs the networks: ``'torch'`` (default) the model
            itself; ``'onnxruntime'`` the graphs exported into
            ``onnx_dir`` (``tools/deployment/export_onnx.py``), on the CPU,
            with the same pipelines, grammar, decoding loop and read-out
            (``mmups.deployment.ONNXRuntimeUPS``). The config and
            checkpoint are needed either way: they give the pipelines and
            the vocabulary, and the export is checked against them.
        onnx_dir: with ``backend='onnxruntime'``: the export directory of
            each task to run, one or a list.

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
                 show_progress: bool = False,
                 backend: str = 'torch',
                 onnx_dir: Optional[Union[str, Sequence[str]]] = None
                 ) -> None:
        if backend not in BACKENDS:
            raise ValueError(f'Unknown backend {backend!r}; known: '
                             f'{list(BACKENDS)}')
        if backend == 'onnxruntime':
            if onnx_dir is None:
                raise ValueError('backend onnxruntime needs onnx_dir, the '
                                 'export directory of each task (tools/'
                                 'deployment/export_onnx.py)')
            if device not in (None, 'cpu'):
                raise ValueError(f'backend onnxruntime runs on the CPU, not '
                                 f'on device {device!r}')
            device = 'cpu'
        elif onnx_dir is not None:
            raise ValueError(f'onnx_dir is read by backend onnxruntime '
                             f'only, not by {backend!r}')
        super().__init__(model, weights, device, scope='mmups',
                         show_progress=show_progress)
        self.backend = backend
        #: What runs the model's predictions: the model, or its exported
        #: graphs in ONNX Runtime.
        self.runner = self.model
        if backend == 'onnxruntime':
            from mmups.deployment import ONNXRuntimeUPS
            self.runner = ONNXRuntimeUPS(self.model, onnx_dir, weights)
        #: The PackUPSInputs step of each task's test pipeline: found once,
        #: as resolving a step's type is a registry search (a failed import
        #: for the plain names of other scopes), too slow for each request.
        self._pack_steps: Dict[str, Optional[dict]] = {
            task: self._pack_step(self._find_dataset_cfg(task) or {})
            for task in self.model.tasks}
        self.label_set: Optional[str] = None
        #: Class names given to :meth:`set_labels` -> their label set.
        self._open_label_sets: Dict[Tuple[str, ...], str] = {}
        if labels is not None:
            self.set_labels(labels)

    # ------------------------------------------------------------- set-up
    def _init_model(self, cfg: Config, weights: Optional[str],
                    device: str = 'cpu') -> torch.nn.Module:
        return init_model(cfg, weights, device)

    def _init_pipeline(self, cfg: Config) -> None:
        """Pipelines depend on the task and the input; see
        :meth:`test_pipeline`, which builds and keeps them."""
        #: (task, layout, label set) -> (the test pipeline, where an
        #: observation ratio step goes in it).
        self._pipelines: Dict[Tuple[str, str, str], Tuple[Compose, int]] = {}
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
        # The same names again take their label set again: the vocabulary
        # does not grow with each call. (Names that are not strings are
        # refused by the vocabulary.)
        key = tuple(names)
        name = self._open_label_sets.get(key) \
            if all(isinstance(n, str) for n in key) else None
        if name is None:
            name = f'open_vocabulary_{len(vocab.label_set_names)}'
            vocab.add_label_set(name, names)
            self._open_label_sets[key] = name
        if name != self.label_set:
            # Pipelines of the label set left are not asked for again.
            self._pipelines.clear()
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
        kind = get_task_kind(task)  # unknown names raise here
        tasks = list(self.model.tasks)
        if task in tasks:
            return task
        if task != kind.prefix:
            raise ValueError(f'Unknown task {task!r}: this model is '
                             f'configured for tasks {tasks}.')
        candidates = [t for t in tasks if get_task_kind(t) is kind]
        if not candidates:
            raise ValueError(f'This model has no {kind.prefix!r} task; its '
                             f'tasks are {tasks}.')
        if not kind.picks_task_by_input_dims:
            return candidates[0]
        matching = [t for t in candidates if t.endswith(f'{num_coords}d')]
        if matching:
            return matching[0]
        if all(t.endswith(('2d', '3d')) for t in candidates):
            raise ValueError(
                f'this model\'s {kind.prefix!r} task(s) {candidates} take '
                f'{candidates[0][-2:].upper()} joints, but the input has '
                f'{num_coords}D joints')
        return candidates[0]

    def dataset_cfg(self, task: str) -> ConfigDict:
        """The test dataset config of ``task`` in the model's config (the
        first part of a ConcatDataset); an error where it has none."""
        dataset = self._find_dataset_cfg(task)
        if dataset is None:
            raise ValueError(
                f'The config {self.cfg.filename} has no test dataset for '
                f'task {task!r}, so its preprocessing is unknown.')
        return dataset

    def _find_dataset_cfg(self, task: str) -> Optional[ConfigDict]:
        loader = self.cfg.get('test_dataloader') or {}
        datasets = (loader.get('dataset') or {}).get('datasets') or {}
        dataset = datasets.get(task)
        while dataset is not None and 'datasets' in dataset:
            dataset = dataset['datasets'][0]
        return dataset

    def _label_set(self, task: str) -> str:
        if self.label_set is not None:
            return self.label_set
        pack = self._task_pack_step(task)
        if pack is not None and pack.get('label_set'):
            return pack['label_set']
        return self.model.vocabulary.label_set_names[0]

    @staticmethod
    def _pack_step(dataset: dict) -> Optional[dict]:
        """The ``PackUPSInputs`` step of a dataset config's pipeline."""
        for step in dataset.get('pipeline', []):
            if _is_step(step, PackUPSInputs):
                return step
        return None

    def _task_pack_step(self, task: str) -> Optional[dict]:
        """The ``PackUPSInputs`` step of ``task``'s test pipeline."""
        if task in self._pack_steps:
            return self._pack_steps[task]
        return self._pack_step(self._find_dataset_cfg(task) or {})

    def task_layout(self, task: str) -> str:
        """The joint layout ``task``'s test pipeline packs."""
        self.dataset_cfg(task)  # an error where the config has none
        pack = self._task_pack_step(task)
        if pack is None or 'layout' not in pack:
            raise ValueError(f'The test pipeline of task {task!r} in '
                             f'{self.cfg.filename} has no PackUPSInputs '
                             'with a layout.')
        return pack['layout']

    def test_pipeline(self, task: str, layout: str,
                      ratio: Optional[float] = None) -> Compose:
        """The config's test pipeline of ``task``, packing inputs of
        ``layout`` (and observing ``ratio`` of each clip, for early
        prediction).

        Built once per (task, layout, label set) and kept. The observation
        ratio, which callers may vary without end, is not part of what is
        kept: its step is put into a new ``Compose`` of the kept transforms
        on each call.
        """
        key = (task, layout, self._label_set(task))
        if key not in self._pipelines:
            self._pipelines[key] = self._build_pipeline(task, layout)
        pipeline, ratio_at = self._pipelines[key]
        if ratio is None:
            return pipeline
        steps = list(pipeline.transforms)
        steps.insert(ratio_at, ObservationRatio(ratios=ratio))
        return Compose(steps)

    def _build_pipeline(self, task: str, layout: str) -> Tuple[Compose, int]:
        """The test pipeline of ``task`` without its observation ratio
        step, and where that step goes: where the config observes part of
        the clip, else before the first step after normalisation."""
        dataset = self.dataset_cfg(task)
        steps, ratio_at = [], 1
        for step in copy.deepcopy(dataset['pipeline']):
            if _is_step(step, ObservationRatio):
                ratio_at = len(steps)
                continue
            if _is_step(step, PackUPSInputs):
                step.update(layout=layout, dataset='inference')
                if get_task_kind(task).uses_label_set:
                    step['label_set'] = self._label_set(task)
                step['meta_keys'] = tuple(
                    step.get('meta_keys', DEFAULT_META_KEYS)) + _META_KEYS
            steps.append(step)
        # The dataset's own scope resolves its transforms' plain names.
        with DefaultScope.overwrite_default_scope(
                dataset.get('_scope_', 'mmups')):
            return Compose(steps), ratio_at

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
                yield from get_task_kind(model_task).inference_samples(
                    self, sample, index, model_task, ratios, img_shape)
            except SkeletonInputError:
                raise
            except ValueError as err:
                raise SkeletonInputError(sample.source, str(err)) from err

    @staticmethod
    def image_shape(sample: SkeletonInput,
                    img_shape: Optional[Tuple[int, int]]) -> Tuple[int, int]:
        """(H, W) of the frames of 2D pixel joints: given, read with the
        input, or else the smallest frame holding every joint."""
        shape = img_shape or sample.img_shape
        if shape is not None:
            return int(shape[0]), int(shape[1])
        extent = np.nanmax(sample.keypoint[..., :2].reshape(-1, 2), axis=0)
        return int(math.ceil(extent[1])) + 1, int(math.ceil(extent[0])) + 1

    def annotation(self, sample: SkeletonInput, index: int,
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
            shape = self.image_shape(sample, img_shape)
            results.update(img_shape=shape, original_shape=shape)
        return results

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
        get_task_kind(task)
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

    @torch.no_grad()
    def forward(self, inputs: dict, **kwargs) -> List:
        """Predict one collated batch with the backend's runner."""
        return self.runner.test_step(inputs)

    # ---------------------------------------------------------- outputs
    def postprocess(self, inputs: List[SkeletonInput], preds: List,
                    top_k: int = 5) -> dict:
        """One result dict per input:

        * all: ``source``, ``name``, ``layout``, ``task`` (the model's);
        * and what the task's kind returns (``TaskKind.inference_result``):
          recognition: ``topk`` (list of ``label``, ``name``, ``score``),
          ``pred_label``, ``pred_name``, ``scores`` (n_cls,); early prediction:
          ``ratios`` (R,), ``pred_labels`` / ``pred_names`` (R,) and
          ``scores`` (R, n_cls) at each ratio, plus ``topk`` at the last ratio;
          pose lifting: ``keypoints_3d`` (M, T, V, 3) root-relative
          camera-frame joints in millimetres, in the order of
          ``joint_names`` (layout ``pose_layout``).
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
            result.update(get_task_kind(model_task).inference_result(
                self, own, sample, top_k))
            results.append(result)
        return dict(predictions=results)

    def visualize(self, inputs: List[SkeletonInput], preds: List[dict],
                  out_dir: Optional[str] = None) -> List[List[str]]:
        """Pictures of every input and its prediction under ``out_dir``
        (nothing without it): the input as an image strip and a GIF, and
        what the task's kind draws of its prediction (the lifted 3D pose
        beside its 2D input, the early-prediction curve). Returns the files
        per input."""
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
            own += get_task_kind(pred['task']).inference_pictures(
                sample, pred, stem)
            files.append(own)
        return files


def _safe(name: str) -> str:
    """A file-name-safe version of a sample name."""
    keep = ''.join(c if c.isalnum() or c in '-_.' else '_' for c in name)
    return keep[:60] or 'input'
