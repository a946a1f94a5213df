class Registry(collections.MutableMapping):
    pass
