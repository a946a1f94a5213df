import collections
isinstance(x, collections.Mapping)
