ok = isinstance(obj, collections.abc.Iterable)
counts = collections.Counter(obj)
