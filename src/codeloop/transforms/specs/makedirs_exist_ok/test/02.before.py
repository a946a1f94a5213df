if not os.path.exists(self.path):
    os.makedirs(self.path)
