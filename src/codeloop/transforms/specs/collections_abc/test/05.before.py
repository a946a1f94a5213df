ok = isinstance(x, collections.abc.Mapping)
