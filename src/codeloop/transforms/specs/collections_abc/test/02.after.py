if isinstance(f, collections.abc.Callable):
    f()
