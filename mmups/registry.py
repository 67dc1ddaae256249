"""Registries of mmups, children of mmengine's root registries.

Their scope is ``mmups`` (the package name), so a config with
``default_scope='mmups'`` builds mmups components by plain ``type`` names and
still reaches MMAction2 / MMPose components:

* ``_scope_='mmaction'`` in a sub-config builds it, and everything nested in
  it, in that scope (e.g. a ``RecognizerGCN`` with its backbone and head);
* ``type='mmpose.XXX'`` switches the registry for that one component only:
  its own sub-components are still looked up in the current scope, so it
  suits leaf components (metrics, transforms) only.

``KEYPOINT_CODECS`` is a child of MMPose's codec registry (MMPose has no
mmengine root for codecs), so MMPose codecs are reachable from it too.

Registries whose components will live in packages that do not exist yet
have no ``locations``: mmengine imports every location when a Runner builds
from the ``mmups`` scope, and a missing one is an error.
"""
from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import INFERENCERS as MMENGINE_INFERENCERS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import TASK_UTILS as MMENGINE_TASK_UTILS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import Registry
from mmpose.registry import KEYPOINT_CODECS as MMPOSE_KEYPOINT_CODECS

__all__ = [
    'RUNNERS', 'LOOPS', 'HOOKS', 'LOG_PROCESSORS', 'DATASETS', 'DATA_SAMPLERS',
    'TRANSFORMS', 'MODELS', 'MODEL_WRAPPERS', 'OPTIMIZERS', 'OPTIM_WRAPPERS',
    'OPTIM_WRAPPER_CONSTRUCTORS', 'PARAM_SCHEDULERS', 'METRICS', 'EVALUATOR',
    'TASK_UTILS', 'KEYPOINT_CODECS', 'VISUALIZERS', 'VISBACKENDS',
    'INFERENCERS', 'FUNCTIONS', 'TASKS'
]

RUNNERS = Registry('runner', parent=MMENGINE_RUNNERS)
LOOPS = Registry('loop', parent=MMENGINE_LOOPS, locations=['mmups.engine'])
HOOKS = Registry('hook', parent=MMENGINE_HOOKS, locations=['mmups.engine'])
LOG_PROCESSORS = Registry(
    'log processor', parent=MMENGINE_LOG_PROCESSORS)

DATASETS = Registry('dataset', parent=MMENGINE_DATASETS,
                    locations=['mmups.datasets'])
DATA_SAMPLERS = Registry('data sampler', parent=MMENGINE_DATA_SAMPLERS,
                         locations=['mmups.datasets'])
TRANSFORMS = Registry('transform', parent=MMENGINE_TRANSFORMS)

MODELS = Registry('model', parent=MMENGINE_MODELS, locations=['mmups.models'])
MODEL_WRAPPERS = Registry('model_wrapper', parent=MMENGINE_MODEL_WRAPPERS)

OPTIMIZERS = Registry('optimizer', parent=MMENGINE_OPTIMIZERS)
OPTIM_WRAPPERS = Registry('optim_wrapper', parent=MMENGINE_OPTIM_WRAPPERS)
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS)
PARAM_SCHEDULERS = Registry('parameter scheduler',
                            parent=MMENGINE_PARAM_SCHEDULERS)

METRICS = Registry('metric', parent=MMENGINE_METRICS,
                   locations=['mmups.evaluation'])
EVALUATOR = Registry('evaluator', parent=MMENGINE_EVALUATOR,
                     locations=['mmups.evaluation'])

TASK_UTILS = Registry('task util', parent=MMENGINE_TASK_UTILS)
# Coordinate codecs (quantizers), next to MMPose's keypoint codecs.
KEYPOINT_CODECS = Registry('KEYPOINT_CODECS', parent=MMPOSE_KEYPOINT_CODECS,
                           locations=['mmups.codecs'])

VISUALIZERS = Registry('visualizer', parent=MMENGINE_VISUALIZERS)
VISBACKENDS = Registry('vis_backend', parent=MMENGINE_VISBACKENDS)
INFERENCERS = Registry('inferencer', parent=MMENGINE_INFERENCERS)
FUNCTIONS = Registry('function', parent=MMENGINE_FUNCTIONS)
# Task kinds (recognition, early prediction, pose lifting): what a kind of
# task outputs and how its samples are packed, supervised and read back.
TASKS = Registry('task kind', locations=['mmups.tasks'])
