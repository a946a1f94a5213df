def items(self):
    for item in self._items:
        yield item
