os.makedirs(self.path, exist_ok=True)
