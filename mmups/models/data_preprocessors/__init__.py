from .ups_data_preprocessor import UPSDataPreprocessor

__all__ = ['UPSDataPreprocessor']
