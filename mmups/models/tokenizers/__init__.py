from .joint_tokenizer import JointTokenizer

__all__ = ['JointTokenizer']
