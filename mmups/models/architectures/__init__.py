from .ups import UPS

__all__ = ['UPS']
