if name in registry.keys():
    pass
