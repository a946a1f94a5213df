if isinstance(f, collections.Callable):
    f()
