def is_seq(x):
    return isinstance(x, collections.abc.Sequence) and not isinstance(x, str)
