ok = isinstance(obj, collections.Iterable)
counts = collections.Counter(obj)
