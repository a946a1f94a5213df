class Cache(dict):
    def __setitem__(self, key, value):
        super(Cache, self).__setitem__(key, value)
