class Cache:
    def getData(self, key):
        return self.items[key]

    def first(self):
        return self.getData(0)
