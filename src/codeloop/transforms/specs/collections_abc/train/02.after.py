class Registry(collections.abc.MutableMapping):
    pass
