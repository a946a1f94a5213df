def reset(self):
    self.errors = list()
    self.warnings = list()
