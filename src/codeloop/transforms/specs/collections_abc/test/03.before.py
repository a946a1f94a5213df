class Bag(collections.Set, collections.Hashable):
    pass
