from .ups_data_sample import UPSDataSample

__all__ = ['UPSDataSample']
