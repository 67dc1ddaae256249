#!/usr/bin/env bash
# Distributed training on one machine (or NNODES machines):
#   bash tools/dist_train.sh CONFIG GPUS [ARGS]
# Runs on CPUs too (gloo backend), e.g. for testing without GPUs.
CONFIG=$1
GPUS=$2
exec bash "$(dirname "$0")/dist_run.sh" train.py "$GPUS" "$CONFIG" "${@:3}"
