class Feed:
    def getData(self):
        return []

    def count(self):
        return len(self.getData())
