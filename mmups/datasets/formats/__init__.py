"""The skeleton file formats mmups reads, each read in one place.

Both the dataset converters (:mod:`mmups.datasets.converters`, behind
``tools/data/``) and inference inputs (:func:`mmups.apis.load_skeletons`)
read these files through the modules here, so that a file reads the same
way whether it is converted or fed to a model:

============================  ============================================
format                        module (what reads it)
============================  ============================================
NTU RGB+D ``.skeleton``       :mod:`.ntu_skeleton` (``read_skeleton_file``,
                              ``select_bodies``, ``parse_sample_name``)
Kinetics-skeleton JSON        :mod:`.kinetics_json` (``read_kinetics_json``,
                              ``load_label_index``)
MMAction2 / PYSKL pkl         :mod:`.mmaction_pkl` (``check_annotation``,
                              ``dense_shape``) on :func:`.files.load_pickle`
JSON text, pickles            :mod:`.files` (``load_json``, ``load_pickle``
                              with an allow-list of numpy arrays and builtin
                              containers)
MATLAB ``.mat`` (Penn Action) :mod:`.matlab` (``load_mat``: scipy's reader,
                              after a check of the elements it would crash
                              on)
============================  ============================================

The formats only inference reads (NumPy arrays, MMPose prediction JSON, the
simple JSON and CSV formats) are in :mod:`mmups.apis.inputs`, the joint
layout of V joints and C coordinates is told by
:func:`mmups.skeleton.infer_layout` (which ``register_layout`` extends).
Every reader raises :class:`ConversionError`, which names the file (and the
line where the format has lines).
"""
from .files import ConversionError, is_int, load_json, load_pickle

__all__ = ['ConversionError', 'is_int', 'load_json', 'load_pickle']
