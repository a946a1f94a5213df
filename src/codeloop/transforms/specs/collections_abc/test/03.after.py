class Bag(collections.abc.Set, collections.abc.Hashable):
    pass
