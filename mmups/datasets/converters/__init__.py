"""Converters from public skeleton datasets to MMAction2 / MMPose files.

One module per source dataset; the command-line tools in ``tools/data/``
are thin wrappers around them. The files they read are read by
:mod:`mmups.datasets.formats` (which inference inputs use too).

* :mod:`.common`: progress, pickle / text output, stratified split.
* :mod:`.ntu`: NTU RGB+D 60 / 120 ``.skeleton`` files.
* :mod:`.kinetics_skeleton`: the OpenPose-18 Kinetics-skeleton JSON release.
* :mod:`.h36m`: Human3.6M positions (VideoPose3D ``.npz``) and cameras.
* :mod:`.h36m_actions`: Human3.6M positions cut into labelled 3D action
  clips.
* :mod:`.penn_action`: Penn Action ``labels/*.mat`` files.
* :mod:`.skeleton_pkl`: structure checks of MMAction2 skeleton annotation
  files (their summary and per-clip files).
* :mod:`.realbench`: the files of ``configs/realbench/`` from Penn Action
  and the Human3.6M motion capture (``prepare_realbench_data``, which
  ``tools/benchmarks/realbench.py`` calls).

The converters themselves use only numpy, scipy and mmengine (no model
code), so they run on any machine that can install mmups.
"""
