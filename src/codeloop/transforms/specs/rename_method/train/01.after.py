class Store:
    def get_data(self):
        return self.rows


rows = Store().get_data()
