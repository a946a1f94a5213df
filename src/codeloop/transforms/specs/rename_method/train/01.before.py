class Store:
    def getData(self):
        return self.rows


rows = Store().getData()
