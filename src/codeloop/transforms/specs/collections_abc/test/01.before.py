def is_seq(x):
    return isinstance(x, collections.Sequence) and not isinstance(x, str)
