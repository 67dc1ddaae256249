#!/usr/bin/env bash
# Start a tools/ entry point on a Slurm cluster, one task per GPU:
#   GPUS=16 bash tools/slurm_run.sh ENTRY.py PARTITION JOB_NAME [ARGS]
# (used by slurm_train.sh and slurm_test.sh). mmengine's slurm launcher
# reads the ranks and the master address from Slurm's variables.
set -x
ENTRY=$1
PARTITION=$2
JOB_NAME=$3
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}

# SRUN_ARGS is a list of options: split on purpose.
# shellcheck disable=SC2086
PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
srun -p "$PARTITION" \
    --job-name="$JOB_NAME" \
    --gres=gpu:"$GPUS_PER_NODE" \
    --ntasks="$GPUS" \
    --ntasks-per-node="$GPUS_PER_NODE" \
    --cpus-per-task="$CPUS_PER_TASK" \
    --kill-on-bad-exit=1 \
    $SRUN_ARGS \
    python -u "$(dirname "$0")/$ENTRY" "${@:4}" --launcher slurm
