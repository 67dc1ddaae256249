#!/usr/bin/env bash
# Distributed testing: bash tools/dist_test.sh CONFIG CHECKPOINT GPUS [ARGS]
CONFIG=$1
CHECKPOINT=$2
GPUS=$3
exec bash "$(dirname "$0")/dist_run.sh" test.py "$GPUS" "$CONFIG" \
    "$CHECKPOINT" "${@:4}"
