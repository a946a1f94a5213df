def items(self):
    yield from self._items
