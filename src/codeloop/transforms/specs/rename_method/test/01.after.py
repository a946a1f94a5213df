class Feed:
    def get_data(self):
        return []

    def count(self):
        return len(self.get_data())
