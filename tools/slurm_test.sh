#!/usr/bin/env bash
# Testing on a Slurm cluster:
#   GPUS=16 bash tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [ARGS]
# e.g. ARGS = --dump preds.pkl; GPUS, GPUS_PER_NODE, CPUS_PER_TASK,
# SRUN_ARGS: see slurm_run.sh.
exec bash "$(dirname "$0")/slurm_run.sh" test.py "$@"
