class Cache:
    def get_data(self, key):
        return self.items[key]

    def first(self):
        return self.get_data(0)
