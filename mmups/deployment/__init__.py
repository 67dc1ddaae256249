"""Deployment: ONNX export of UPS inference and ONNX Runtime inference.

``onnx`` and ``onnxruntime`` are imported only where they are used
(:mod:`mmups.deployment.optional`).
"""
from .manifest import ExportDirError, read_manifest
from .onnx_export import DEFAULT_OPSET, export_onnx
from .ort_model import ONNXRuntimeUPS

__all__ = ['export_onnx', 'DEFAULT_OPSET', 'ONNXRuntimeUPS',
           'ExportDirError', 'read_manifest']
