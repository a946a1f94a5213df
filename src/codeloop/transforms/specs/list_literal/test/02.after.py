def reset(self):
    self.errors = []
    self.warnings = []
