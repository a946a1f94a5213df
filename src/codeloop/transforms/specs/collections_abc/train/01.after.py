import collections
isinstance(x, collections.abc.Mapping)
