"""UPS predictions with exported graphs run by ONNX Runtime.

:class:`ONNXRuntimeUPS` stands in for the UPS model where inference calls
it (``test_step``, ``predict``, and what the task kinds read of a model):
the data preprocessor, the task kind's input preparation, the grammar, the
greedy loop (``SequenceHead.greedy_decode``) and the task kind's read-out
are the PyTorch model's own; ONNX Runtime runs the encoder, the decoder's
once-per-batch part and each decoding step.
"""
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from torch import Tensor, nn

from mmups.tasks import get_task_kind
from .graphs import decoder_cache_names
from .manifest import ExportDirError, check_export_fits, read_manifest
from .onnx_export import layout_keys
from .optional import import_optional


class _TaskExport:
    """The ONNX Runtime sessions and layout data of one export directory."""

    def __init__(self, export_dir: str, manifest: dict, options) -> None:
        ort = import_optional('onnxruntime', 'ONNX Runtime inference')
        self.dir = export_dir
        self.manifest = manifest
        self.sessions = {
            name: ort.InferenceSession(
                osp.join(export_dir, graph['file']), sess_options=options,
                providers=['CPUExecutionProvider'])
            for name, graph in manifest['graphs'].items()}
        with np.load(osp.join(export_dir, manifest['layouts']['file']),
                     allow_pickle=False) as data:
            self.layouts = {name: (data[layout_keys(name)[0]],
                                   data[layout_keys(name)[1]])
                            for name in manifest['layouts']['names']}
        num = manifest['decoder']['num_blocks']
        self.cross_names = decoder_cache_names(num, 'cross')
        self.past_names = decoder_cache_names(num, 'past')

    def layout(self, name: str) -> Tuple[np.ndarray, np.ndarray]:
        """A layout's (graphs, slots) encoder inputs."""
        if name not in self.layouts:
            raise ExportDirError(
                f'{self.dir} has no data of joint layout {name!r}; its '
                f'layouts: {list(self.layouts)}')
        return self.layouts[name]


class ONNXRuntimeUPS:
    """A UPS model's predictions, its networks run by ONNX Runtime from
    export directories (one per task, ``mmups.deployment.export_onnx``).

    Args:
        model: the UPS model of the inference config and checkpoint (built
            by ``init_model``): its data preprocessor, vocabulary, grammar,
            decoding loop and read-out run as they are; its networks are not
            run.
        export_dirs: one export directory or several (of different tasks).
        checkpoint: the checkpoint ``model`` was loaded from (for messages).
        num_threads: ONNX Runtime's intra-op threads; default: PyTorch's
            (``torch.get_num_threads()``), so that both backends compute
            with the same number of threads.

    Raises:
        ExportDirError: a directory is missing or incomplete, or was
            exported for another config or checkpoint, or two are of one
            task.
    """

    def __init__(self, model: nn.Module,
                 export_dirs: Union[str, Sequence[str]],
                 checkpoint: Optional[str] = None,
                 num_threads: Optional[int] = None) -> None:
        ort = import_optional('onnxruntime', 'ONNX Runtime inference')
        self.model = model
        options = ort.SessionOptions()
        options.intra_op_num_threads = (torch.get_num_threads()
                                        if num_threads is None else
                                        num_threads)
        options.inter_op_num_threads = 1
        dirs = [export_dirs] if isinstance(export_dirs, str) else list(
            export_dirs)
        if not dirs:
            raise ExportDirError('no ONNX export directory given')
        self.exports: 'OrderedDict[str, _TaskExport]' = OrderedDict()
        for export_dir in dirs:
            manifest = read_manifest(export_dir)
            check_export_fits(manifest, export_dir, model, checkpoint)
            task = manifest['task']
            if task in self.exports:
                raise ExportDirError(
                    f'{self.exports[task].dir} and {export_dir} are both '
                    f'exports of task {task!r}')
            self.exports[task] = _TaskExport(export_dir, manifest, options)

    # ------------------------------------------- what task kinds read of it
    @property
    def tasks(self) -> Tuple[str, ...]:
        return self.model.tasks

    @property
    def vocabulary(self) -> nn.Module:
        return self.model.vocabulary

    @property
    def test_cfg(self) -> dict:
        return self.model.test_cfg

    @property
    def train_cfg(self) -> dict:
        return self.model.train_cfg

    @property
    def num_pose_frames(self) -> int:
        return self.model.num_pose_frames

    # -------------------------------------------------------------- running
    def _export(self, task: str) -> _TaskExport:
        if task not in self.exports:
            dirs = ', '.join(f'{e.dir} ({t})' for t, e in self.exports.items())
            raise ExportDirError(
                f'no ONNX export of task {task!r} was given (exports: '
                f'{dirs}); export it with tools/deployment/export_onnx.py '
                f'--task {task}')
        return self.exports[task]

    def test_step(self, data: dict) -> List:
        """``UPS.test_step``: preprocess a collated batch and predict."""
        return self.predict(**self.model.data_preprocessor(data, False))

    @torch.no_grad()
    def predict(self, inputs: Tensor, data_samples: List) -> List:
        """``UPS.predict``: each task's kind decodes and reads out its
        samples, through :meth:`generate`. Returns ``data_samples``."""
        for task, idx in self.model._task_groups(data_samples).items():
            get_task_kind(task).predict(
                self, inputs[idx], [data_samples[i] for i in idx], task)
        return data_samples

    def encode(self, inputs: Tensor, samples: Sequence,
               task: str) -> Tuple[Tensor, Tensor]:
        """``UPS.encode``'s memory (n, S, D) and mask (n, S), the encoder
        graph run once per joint layout of the batch.

        Args:
            inputs: (n, M, T, V_max, 3) coordinates of samples of ``task``.
            samples: their data samples (``layout`` metainfo).
            task: the task.
        """
        export = self._export(task)
        layouts = [s.metainfo['layout'] for s in samples]
        inputs = get_task_kind(task).prepare_inputs(self.model, inputs,
                                                    layouts)
        groups: Dict[str, List[int]] = {}
        for i, name in enumerate(layouts):
            groups.setdefault(name, []).append(i)
        memory = mask = None
        session = export.sessions['encoder']
        for name, idx in groups.items():
            graphs, slots = export.layout(name)
            joints = inputs[idx, :, :, :len(slots)].float().cpu().numpy()
            out, out_mask = session.run(None, dict(
                joints=joints, graphs=graphs, slots=slots))
            if memory is None:
                memory = np.zeros((len(samples), ) + out.shape[1:],
                                  np.float32)
                mask = np.zeros((len(samples), ) + out_mask.shape[1:], bool)
            memory[idx], mask[idx] = out, out_mask
        return torch.from_numpy(memory), torch.from_numpy(mask)

    def generate(self, inputs: Tensor, samples: Sequence,
                 task: str) -> Tuple[Dict[str, Tensor], object]:
        """``UPS.generate``: the encoder and decoder graphs, decoded by the
        head's greedy loop under the samples' grammar; returns the loop's
        output and the grammar."""
        export = self._export(task)
        memory, mask = self.encode(inputs, samples, task)
        grammar = self.model._grammar(samples)
        table = self.model.vocabulary.token_table().float().cpu().numpy()
        start, vocab_embed, *cross = export.sessions['decoder_init'].run(
            None, dict(memory=memory.numpy(), vocab_table=table))
        feeds = dict(memory_mask=mask.numpy(), vocab_embed=vocab_embed,
                     **dict(zip(export.cross_names, cross)))
        options = self.model.decoding_options(grammar)
        head = self.model.head
        if (self.model.parallel_decoding and 'decoder_sequence' in
                export.sessions and options['hidden_ids'] is not None):
            limit = head.decoding_limit(grammar)
            if head.inputs_known(grammar, options['hidden_ids'], limit):
                # As SequenceHead.generate(parallel=True): the start token,
                # then zeros, in one pass.
                embeds = np.zeros(start.shape[:1] + (limit, ) +
                                  start.shape[2:], np.float32)
                embeds[:, :1] = start
                logits = torch.from_numpy(export.sessions[
                    'decoder_sequence'].run(None, dict(
                        feeds, input_embeds=embeds))[0])
                out = head.greedy_decode(
                    lambda new_input, step: logits[:, step],
                    torch.from_numpy(start), torch.from_numpy(vocab_embed),
                    **options)
                return out, grammar
        # Nothing decoded yet: empty self-attention caches (P = 0).
        past = [np.zeros(k.shape[:2] + (0, ) + k.shape[3:], np.float32)
                for k in cross]
        session = export.sessions['decoder_step']

        def step_logits(new_input: Tensor, step: int) -> Tensor:
            nonlocal past
            feeds.update(zip(export.past_names, past))
            feeds.update(input_embed=np.ascontiguousarray(new_input.numpy()),
                         position=np.array([step], np.int64))
            logits, *past = session.run(None, feeds)
            return torch.from_numpy(logits)

        out = head.greedy_decode(
            step_logits, torch.from_numpy(start),
            torch.from_numpy(vocab_embed), **options)
        return out, grammar
