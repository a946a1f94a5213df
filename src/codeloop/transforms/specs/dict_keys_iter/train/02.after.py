if name in registry:
    pass
