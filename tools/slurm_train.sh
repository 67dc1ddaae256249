#!/usr/bin/env bash
# Training on a Slurm cluster:
#   GPUS=16 bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG [ARGS]
# GPUS (8), GPUS_PER_NODE (8), CPUS_PER_TASK (5), SRUN_ARGS: see slurm_run.sh.
exec bash "$(dirname "$0")/slurm_run.sh" train.py "$@"
